/**
 * The generated regions of the README and docs are current: each is what its script writes now
 * (`npm run docs` rewrites them; scripts/docs/targets.ts says which file holds which). The bundle size moves with every code change, so it is allowed
 * 3% of drift before the test asks for a rerun; everything else must match exactly.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderArchitectureList, renderArchitectures } from '../../scripts/docs/architectures.js';
import { renderSaeFormatList, renderSaeFormats } from '../../scripts/docs/sae-formats.js';
import { renderEncodeLoad, type LoadResults } from '../../bench/encode-load-table.js';
import { renderShards, type ShardsResults } from '../../bench/e2e-shards-table.js';
import { renderEncodeModel, type SuiteResults } from '../../bench/encode-model-table.js';
import { renderThreads, type ThreadsResults } from '../../bench/threads-table.js';
import { renderModelParts, type ModelPartsFigures } from '../../bench/model-parts-table.js';
import { measureBundle } from '../../scripts/docs/bundle.js';
import { renderCliSynopsis } from '../../scripts/docs/cli.js';
import { renderCliWalk } from '../../scripts/docs/cli-walk.js';
import { renderFuzzRoutes } from '../../scripts/docs/fuzz-routes.js';
import { renderKeyCacheBound, renderScopes } from '../../scripts/docs/keys.js';
import { renderLimits } from '../../scripts/docs/limits.js';
import { openApiDocument } from '../../scripts/docs/openapi.js';
import { renderOptions } from '../../scripts/docs/options.js';
import { renderProblemTypes } from '../../scripts/docs/problem-types.js';
import { readRegion } from '../../scripts/docs/regions.js';
import { measureSparsity, pictureFiles, renderSparsity } from '../../scripts/docs/sparsity.js';
import { REGION_FILES } from '../../scripts/docs/targets.js';

const ROOT = resolve(import.meta.dirname, '../..');
const STALE = 'stale: run `npm run docs`';

describe('generated docs', () => {
  it('should list every problem type of src/api/problem-types.ts in docs/API.md', () => {
    expect(readRegion(resolve(ROOT, 'docs/API.md'), 'problem-types'), STALE).toBe(renderProblemTypes());
  });

  it('should give docs/API.md the table of every limit of src/api/limits.ts', () => {
    expect(readRegion(resolve(ROOT, 'docs/API.md'), 'limits'), STALE).toBe(renderLimits());
  });

  it('should give docs/OPTIONS.md the options table of src/model/options.ts', () => {
    expect(readRegion(resolve(ROOT, REGION_FILES.options), 'options'), STALE).toBe(renderOptions());
  });

  it('should give docs/ARCHITECTURES.md the table of every registered architecture', () => {
    const table = readRegion(resolve(ROOT, REGION_FILES.architectures), 'architectures');
    expect(table, STALE).toBe(renderArchitectures());
    expect(table).toMatch(/\| `jumprelu` \|/);
  });

  it('should give docs/IMPORT.md the table of every imported format\'s fields', () => {
    const tables = readRegion(resolve(ROOT, REGION_FILES.saeFormats), 'sae-formats');
    expect(tables, STALE).toBe(renderSaeFormats());
    expect(tables).toMatch(/### `llama-scope`/);
  });

  it('should give the README the list of architectures and the table of imported formats, from their registries', () => {
    expect(readRegion(resolve(ROOT, REGION_FILES.architectureList), 'architecture-list'), STALE).toBe(renderArchitectureList());
    expect(readRegion(resolve(ROOT, REGION_FILES.saeFormatList), 'sae-format-list'), STALE).toBe(renderSaeFormatList());
  });

  it('should give docs/CLI.md and docs/SPEC.md the CLI synopsis of src/cli/commands.ts', () => {
    for (const file of REGION_FILES.cli) expect(readRegion(resolve(ROOT, file), 'cli'), `${file}: ${STALE}`).toBe(renderCliSynopsis());
  });

  it('should give docs/RELIABILITY.md the count of the routes the fuzz suite calls, from the OpenAPI document', { timeout: 60_000 }, async () => {
    const doc = await openApiDocument();
    const operations = Object.values(doc.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
    expect(operations, 'the document has the routes').toBeGreaterThan(30);
    expect(readRegion(resolve(ROOT, REGION_FILES.fuzzRoutes), 'fuzz-routes'), STALE).toBe(renderFuzzRoutes(doc));
    // No hand-typed count of routes left beside it.
    const row = readFileSync(resolve(ROOT, REGION_FILES.fuzzRoutes), 'utf8').split('\n').find((line) => line.includes('fuzz-routes:start'))!;
    expect(row.replace(/<!-- fuzz-routes:start -->.*<!-- fuzz-routes:end -->/, '')).not.toMatch(/\b\d+ routes\b/);
  });

  it('should give docs/API.md every scope of src/api/scopes.ts with the operations that need it, and the key cache bound', { timeout: 60_000 }, async () => {
    const doc = await openApiDocument();
    const scopes = readRegion(resolve(ROOT, 'docs/API.md'), 'scopes');
    expect(scopes, STALE).toBe(renderScopes(doc));
    // Every secured operation is in the table once.
    const secured = Object.values(doc.paths).flatMap((methods) => Object.values(methods)).filter((op) => op.security?.length);
    expect(scopes.match(/`(GET|POST|PUT|DELETE) \//g)?.length).toBe(secured.length);
    expect(readRegion(resolve(ROOT, 'docs/API.md'), 'key-cache-bound'), STALE).toBe(renderKeyCacheBound());
  });

  it('should give docs/ENCODING.md the encode-model table of bench/encode-model.json and bench/encode-memory.json', () => {
    const suite = (name: string) => JSON.parse(readFileSync(resolve(ROOT, `bench/${name}.json`), 'utf8')) as SuiteResults;
    expect(readRegion(resolve(ROOT, REGION_FILES.encodeModel), 'encode-model'), STALE).toBe(renderEncodeModel(suite('encode-model'), suite('encode-memory')));
  });

  it('should give docs/BACKENDS.md the threads table of bench/threads.json', () => {
    const results = JSON.parse(readFileSync(resolve(ROOT, 'bench/threads.json'), 'utf8')) as ThreadsResults;
    expect(readRegion(resolve(ROOT, REGION_FILES.threads), 'threads'), STALE).toBe(renderThreads(results));
  });

  it('should give docs/ENCODING.md the sharded encoder table of bench/e2e-shards.json', () => {
    const results = JSON.parse(readFileSync(resolve(ROOT, 'bench/e2e-shards.json'), 'utf8')) as ShardsResults;
    expect(readRegion(resolve(ROOT, REGION_FILES.e2eShards), 'e2e-shards'), STALE).toBe(renderShards(results));
  });

  it('should give docs/BENCHMARKS.md the encode load table of bench/encode-load.json', () => {
    const results = JSON.parse(readFileSync(resolve(ROOT, 'bench/encode-load.json'), 'utf8')) as LoadResults;
    expect(readRegion(resolve(ROOT, REGION_FILES.encodeLoad), 'encode-load'), STALE).toBe(renderEncodeLoad(results));
  });

  it('should give docs/BENCHMARKS.md the model-parts table of bench/workerd-model-parts.json', () => {
    const figures = JSON.parse(readFileSync(resolve(ROOT, 'bench/workerd-model-parts.json'), 'utf8')) as ModelPartsFigures;
    expect(readRegion(resolve(ROOT, REGION_FILES.modelParts), 'model-parts'), STALE).toBe(renderModelParts(figures));
  });

  it('should give docs/BACKENDS.md the bundle size wrangler measures now (within 3%)', { timeout: 60_000 }, () => {
    const written = /\*\*(\d+) KiB, (\d+) KiB gzip\*\*/.exec(readRegion(resolve(ROOT, REGION_FILES.bundle), 'bundle'));
    expect(written, 'the bundle region has no "**N KiB, M KiB gzip**"').not.toBeNull();
    const now = measureBundle();
    expect(Math.abs(now.totalKiB / Number(written![1]) - 1), STALE).toBeLessThan(0.03);
    expect(Math.abs(now.gzipKiB / Number(written![2]) - 1), STALE).toBeLessThan(0.03);
  });

  it('should give docs/SPARSITY.md and the README the l0 and fvu the presets reach on the sample data, and their pictures', { timeout: 120_000 }, async () => {
    const measured = await measureSparsity();
    for (const file of REGION_FILES.sparsity) expect(readRegion(resolve(ROOT, file), 'sparsity'), `${file}: ${STALE}`).toBe(renderSparsity(measured));
    for (const picture of pictureFiles(measured)) expect(Buffer.from(readFileSync(resolve(ROOT, picture.path))).equals(Buffer.from(picture.bytes)), `${picture.path}: ${STALE}`).toBe(true);
    // What the docs say of them: the tutorial's defaults are not sparse on the sample data, the presets are.
    const [defaults, sigmoid, topk] = measured;
    expect(defaults!.metrics.l0 / defaults!.hiddenSize).toBeGreaterThan(0.9);
    expect(sigmoid!.metrics.l0 / sigmoid!.hiddenSize).toBeLessThan(0.35);
    expect(topk!.metrics.l0).toBeLessThanOrEqual(3);
    expect(sigmoid!.metrics.fvu).toBeLessThan(0.2);
    expect(topk!.metrics.fvu).toBeLessThan(0.2);
  });

  it('should give the README the output of its CLI walk, in the CLI\'s own words', { timeout: 120_000 }, async () => {
    expect(readRegion(resolve(ROOT, REGION_FILES.cliWalk), 'cli-walk'), STALE).toBe(await renderCliWalk());
  });
});
