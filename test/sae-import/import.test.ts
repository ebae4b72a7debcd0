/**
 * importSae against each library's own encode (./library-formulas.ts, float64, citing the source
 * file of each formula): for every fixture folder of test/fixtures/sae (written by
 * scripts/fixtures/make-sae-fixtures.py, mirroring each library's save code), the codes of 64 rows
 * within 1e-5 of the row's largest code and the same active set per row; the reconstruction where
 * the library defines one. Weights stored as bf16 / f16 widen to float32 exactly, and F64 rounds
 * once, so the same bound holds for them (measured below).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importSae } from '../../src/index.js';
import { mulberry32 } from '../helpers/random.js';
import { compareRows } from './compare.js';
import * as lib from './library-formulas.js';

const ROWS = 64;
const N = 8;

function rows(seed: number): number[][] {
  const rng = mulberry32(seed);
  return Array.from({ length: ROWS }, () => Array.from({ length: N }, () => Math.fround((rng() - 0.5) * 4)));
}
const flat = (x: number[][]) => Float64Array.from(x.flat());

const CASES: [folder: string, architecture: string, reference: (x: Float64Array) => lib.Reference][] = [
  ['saelens-standard', 'relu', (x) => lib.saelens('saelens-standard', x, ROWS)],
  ['saelens-standard-f64-constant-norm', 'relu', (x) => lib.saelens('saelens-standard-f64-constant-norm', x, ROWS)],
  ['saelens-topk-rescale-uncentred', 'topk', (x) => lib.saelens('saelens-topk-rescale-uncentred', x, ROWS)],
  ['saelens-jumprelu-bf16-layer-norm', 'jumprelu', (x) => lib.saelens('saelens-jumprelu-bf16-layer-norm', x, ROWS)],
  ['saelens-gated', 'gated', (x) => lib.saelens('saelens-gated', x, ROWS)],
  ['saelens-gated-uncentred', 'gated', (x) => lib.saelens('saelens-gated-uncentred', x, ROWS)],
  ['saelens-5-topk-f16', 'topk', (x) => lib.saelens('saelens-5-topk-f16', x, ROWS)],
  ['sparsify-topk-bf16', 'topk', (x) => lib.sparsify('sparsify-topk-bf16', x, ROWS)],
  ['gemma-scope', 'jumprelu', (x) => lib.gemmaScope('gemma-scope', 'params.npz', x, ROWS)],
  ['gemma-scope-2', 'jumprelu', (x) => lib.gemmaScope('gemma-scope-2', 'params.safetensors', x, ROWS)],
  ['llama-scope', 'jumprelu', (x) => lib.llamaScope('llama-scope', x, ROWS)],
  ['dictionary-learning-autoencoder', 'relu', (x) => lib.dictionaryLearning('dictionary-learning-autoencoder', x, ROWS)],
  ['dictionary-learning-jumprelu', 'jumprelu', (x) => lib.dictionaryLearning('dictionary-learning-jumprelu', x, ROWS)],
  ['dictionary-learning-topk', 'topk', (x) => lib.dictionaryLearning('dictionary-learning-topk', x, ROWS)],
  ['dictionary-learning-batchtopk', 'jumprelu', (x) => lib.dictionaryLearning('dictionary-learning-batchtopk', x, ROWS)],
  ['dictionary-learning-matryoshka', 'jumprelu', (x) => lib.dictionaryLearning('dictionary-learning-matryoshka', x, ROWS)],
  ['dictionary-learning-gated', 'gated', (x) => lib.dictionaryLearning('dictionary-learning-gated', x, ROWS)],
  ['openai-topk-v5', 'topk', (x) => lib.openai('openai-topk-v5', x, ROWS)],
  ['openai-relu', 'relu', (x) => lib.openai('openai-relu', x, ROWS)],
];

describe('importSae: the codes of each library', () => {
  it.each(CASES)('%s imports as %s and encodes as its library does', async (folder, architecture, reference) => {
    const model = await importSae(join(lib.FIXTURES, folder));
    expect(model.config.architecture).toBe(architecture);
    const x = rows(7);
    const expected = reference(flat(x));
    const codes = model.encode(x);
    expect(codes.cols).toBe(expected.h);
    const { worst, activeMismatches } = compareRows(codes.data, expected.codes, ROWS, expected.h);
    expect(activeMismatches).toBe(0);
    expect(worst).toBeLessThan(1e-5);
    // some units on and some off, so the comparison says something
    const active = codes.data.filter((v) => v > 0).length;
    expect(active).toBeGreaterThan(ROWS);
    expect(active).toBeLessThan(ROWS * expected.h);
    if (expected.reconstruction) {
      const out = model.reconstruct(x).outputs;
      expect(compareRows(out.data, expected.reconstruction, ROWS, N).worst).toBeLessThan(1e-5);
    }
    expect(model.source?.format).toBeDefined();
  });
});
