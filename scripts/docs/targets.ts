/**
 * Where each generated region lives, once: `npm run docs`, bench/readme-table.ts,
 * bench/encode-load.ts and the tests that check the regions are current all read it. The README is
 * a short way in; the reference it used to hold (and these tables with it) is in docs/.
 */
export const REGION_FILES = {
  options: 'docs/OPTIONS.md',
  /** The registered architectures (scripts/docs/architectures.ts). */
  architectures: 'docs/ARCHITECTURES.md',
  /** What each imported format's fields become (scripts/docs/sae-formats.ts). */
  saeFormats: 'docs/IMPORT.md',
  /** The README's one-line list of the architectures and table of the formats it imports. */
  architectureList: 'README.md',
  saeFormatList: 'README.md',
  /** The CLI synopsis: the CLI's reference and the contract. */
  cli: ['docs/CLI.md', 'docs/SPEC.md'],
  fuzzRoutes: 'docs/RELIABILITY.md',
  encodeLoad: 'docs/BENCHMARKS.md',
  /** A 768 → 24576 bf16 model uploaded in parts and encoded in wrangler dev (bench/model-parts-table.ts). */
  modelParts: 'docs/BENCHMARKS.md',
  bundle: 'docs/BACKENDS.md',
  /** 2 threads against 1 (bench/threads.bench.ts, bench/threads-table.ts). */
  threads: 'docs/BACKENDS.md',
  /** The model's encode against onnxruntime, and the targets (bench/encode-model-table.ts). */
  encodeModel: 'docs/ENCODING.md',
  benchTable: 'docs/BENCHMARKS.md',
  e2eScale: 'docs/DATA.md',
  /** The sharded encoder's e2e figures (scripts/e2e-shards.ts, bench/e2e-shards-table.ts). */
  e2eShards: 'docs/ENCODING.md',
  /** What the presets of src/model/presets.ts reach on the sample data (scripts/docs/sparsity.ts). */
  sparsity: ['docs/SPARSITY.md', 'README.md'],
  /** The output of the README's CLI walk, the CLI's own words (scripts/docs/cli-walk.ts). */
  cliWalk: 'README.md',
} as const;
