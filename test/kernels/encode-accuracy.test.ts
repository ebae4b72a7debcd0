/**
 * Accuracy of the bf16 and int8 encode paths against float32 weights on SAE-shaped data
 * (test/helpers/sae-like-data.ts: a 768 → 6144 encoder, a quarter of gpt2-small-res-jb's 24576
 * units, rows with 48 active features and two outlier dimensions). Issue 27's bars: each row's
 * top-32 features overlap float32's by ≥ 0.99 (bf16) and ≥ 0.95 (int8). The figures measured are
 * printed and recorded in docs/ENCODING.md.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { EncoderKernels } from '../../src/backends/assemblyscript/encoder-kernels.js';
import { quantizeInt8PerUnit } from '../../src/backends/assemblyscript/int8-quantize.js';
import { loadKernelModule } from '../../src/backends/assemblyscript/module-node.js';
import { float32ToBf16 } from '../../src/formats/convert.js';
import { codesRelativeError, saeLikeData, topOverlap } from '../helpers/sae-like-data.js';

const [N, H, ROWS, TOP] = [768, 6144, 24, 32];

let z32: Float32Array, zb: Float32Array, zi: Float32Array;
beforeAll(async () => {
  const module = await loadKernelModule();
  const d = saeLikeData(N, H, ROWS, 27);
  z32 = EncoderKernels.create(module, { dtype: 'f32', values: d.wEnc }, d.bEnc, N, H).encode(d.x, ROWS, { relu: true });
  zb = EncoderKernels.create(module, { dtype: 'bf16', bits: float32ToBf16(d.wEnc) }, d.bEnc, N, H).encode(d.x, ROWS, { relu: true });
  zi = EncoderKernels.create(module, { dtype: 'int8', ...quantizeInt8PerUnit(d.wEnc, N, H) }, d.bEnc, N, H).encode(d.x, ROWS, { relu: true });
});

describe(`encode accuracy against float32 weights (${N} → ${H}, ${ROWS} SAE-shaped rows)`, () => {
  it('bf16: top-32 overlap ≥ 0.99', () => {
    const overlap = topOverlap(zb, z32, ROWS, H, TOP);
    console.log(`[encode-accuracy] bf16: top-${TOP} overlap ${overlap.toFixed(4)}, codes' relative error ${codesRelativeError(zb, z32).toExponential(2)}`);
    expect(overlap).toBeGreaterThanOrEqual(0.99);
  });

  it('int8: top-32 overlap ≥ 0.95', () => {
    const overlap = topOverlap(zi, z32, ROWS, H, TOP);
    console.log(`[encode-accuracy] int8: top-${TOP} overlap ${overlap.toFixed(4)}, codes' relative error ${codesRelativeError(zi, z32).toExponential(2)}`);
    expect(overlap).toBeGreaterThanOrEqual(0.95);
  });
});
