/**
 * The accuracy of a bf16 or int8 model's encode against the same model's float32 codes, through
 * the model (withWeightDtype, the encode-only session), on SAE-shaped data at a small real-like
 * shape (768 → 2048; the figures at 768 → 24576 are the bench's, docs/ENCODING.md): each row's
 * top-32 features overlap float32's by ≥ 0.99 (bf16) and ≥ 0.95 (int8), and the codes' relative
 * error stays small.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { resolveModelConfig, resolveTrainingOptions } from '../../src/model/config.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { codesRelativeError, saeLikeData, topOverlap } from '../helpers/sae-like-data.js';

const N = 768, H = 2048, ROWS = 24, TOP = 32;
let f32: SparseAutoencoder;
let rows: { rows: number; cols: number; data: Float32Array };

beforeAll(async () => {
  const { backend } = await loadNodeBackend('assemblyscript');
  const data = saeLikeData(N, H, ROWS, 3);
  rows = { rows: ROWS, cols: N, data: data.x };
  f32 = SparseAutoencoder.fromState(
    {
      shape: { inputSize: N, hiddenSize: H },
      config: resolveModelConfig(N, { architecture: 'relu', hiddenSize: H, normalize: 'none' }),
      normalization: { kind: 'none' },
      parameters: { W1: data.wEnc, b1: data.bEnc, W2: new Float32Array(H * N), b2: new Float32Array(N) },
      training: { ...resolveTrainingOptions({}), epochsCompleted: 0 },
      trainedWith: 'test',
      optimizerState: null,
      metrics: null,
      lossHistory: [],
    },
    backend,
  );
}, 60_000);

describe('bf16 and int8 models encode close to float32', () => {
  it('bf16: top-32 overlap ≥ 0.99, relative error < 5e-3', () => {
    const z32 = f32.encode(rows).data;
    const z = f32.withWeightDtype('bf16').encode(rows).data;
    expect(topOverlap(z, z32, ROWS, H, TOP)).toBeGreaterThanOrEqual(0.99);
    expect(codesRelativeError(z, z32)).toBeLessThan(5e-3);
  });

  it('int8: top-32 overlap ≥ 0.95, relative error < 2e-2', () => {
    const z32 = f32.encode(rows).data;
    const z = f32.withWeightDtype('int8').encode(rows).data;
    expect(topOverlap(z, z32, ROWS, H, TOP)).toBeGreaterThanOrEqual(0.95);
    expect(codesRelativeError(z, z32)).toBeLessThan(2e-2);
  });
});
