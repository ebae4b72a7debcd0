/**
 * importSae / importSaeState with a weight dtype (src/model/convert-dtype.ts at import): bf16
 * keeps a bf16 source's weights exactly (and its codes the library's), int8 stays near f32's
 * codes, a gated SAE narrows too; an unknown dtype, and a weight bf16 cannot hold, are refused
 * naming the field.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, importSae, importSaeState, ModelFileError } from '../../src/index.js';
import { readSafetensors, writeSafetensors } from '../../src/formats/safetensors.js';
import { mulberry32 } from '../helpers/random.js';
import { compareRows } from './compare.js';
import { folderFiles } from './folders.js';
import * as lib from './library-formulas.js';

const ROWS = 64;
const rng = mulberry32(31);
const x = Array.from({ length: ROWS }, () => Array.from({ length: 8 }, () => Math.fround((rng() - 0.5) * 4)));

describe('import with a weight dtype', () => {
  it('bf16 keeps a bf16 source (sparsify) exactly: the same widened weights, the library\'s codes, a smaller file', async () => {
    const f32 = await importSae(join(lib.FIXTURES, 'sparsify-topk-bf16'));
    const bf16 = await importSae(join(lib.FIXTURES, 'sparsify-topk-bf16'), { dtype: 'bf16' });
    expect(f32.weightDtype).toBe('f32');
    expect(bf16.weightDtype).toBe('bf16');
    expect(bf16.getParameters().W1).toEqual(f32.getParameters().W1);
    expect(bf16.getParameters().W2).toEqual(f32.getParameters().W2);
    const expected = lib.sparsify('sparsify-topk-bf16', Float64Array.from(x.flat()), ROWS);
    const { worst, activeMismatches } = compareRows(bf16.encode(x).data, expected.codes, ROWS, expected.h);
    expect(activeMismatches).toBe(0);
    expect(worst).toBeLessThan(1e-5);
    expect(bf16.toBinaryFile().length).toBeLessThan(f32.toBinaryFile().length);
  });

  it('int8 stays near the f32 codes; a gated SAE narrows to bf16 and keeps its codes within bf16 rounding', async () => {
    const f32 = await importSae(join(lib.FIXTURES, 'saelens-standard'));
    const int8 = await importSae(join(lib.FIXTURES, 'saelens-standard'), { dtype: 'int8' });
    expect(int8.weightDtype).toBe('int8');
    const near = compareRows(int8.encode(x).data, Float64Array.from(f32.encode(x).data), ROWS, 16);
    expect(near.worst).toBeLessThan(0.05);
    const gated = await importSae(join(lib.FIXTURES, 'saelens-gated'), { dtype: 'bf16' });
    expect(gated.weightDtype).toBe('bf16');
    const reference = lib.saelens('saelens-gated', Float64Array.from(x.flat()), ROWS);
    // each weight rounds by at most 2^-9 of itself: the codes by a few times that of the row's scale
    expect(compareRows(gated.encode(x).data, reference.codes, ROWS, 16).worst).toBeLessThan(2 ** -9 * 9 * 4);
  });

  it('an unknown dtype is refused before reading; a weight above bf16\'s range is refused naming it', () => {
    expect(() => importSaeState(folderFiles('saelens-standard'), { dtype: 'f16' })).toThrow(ConfigError);
    expect(() => importSaeState(folderFiles('saelens-standard'), { dtype: 'f16' })).toThrow(/dtype: must be one of f32, bf16, int8, got "f16"/);
    const files = folderFiles('saelens-standard');
    const { tensors } = readSafetensors(files.get('sae_weights.safetensors')!);
    const big = [...tensors.values()].map((t) => {
      if (t.name !== 'W_enc') return t;
      const bytes = t.bytes.slice();
      new DataView(bytes.buffer).setFloat32(4 * 3, 3.4e38, true);
      return { ...t, bytes };
    });
    files.set('sae_weights.safetensors', writeSafetensors(big, {}));
    expect(importSaeState(files).state.parameters.W1[3]).toBe(Math.fround(3.4e38));
    expect(() => importSaeState(files, { dtype: 'bf16' })).toThrow(ModelFileError);
    expect(() => importSaeState(files, { dtype: 'bf16' })).toThrow(/saelens: dtype: cannot be bf16: encoder\.weight\[0\]\[3\] is .*bfloat16 cannot hold/);
  });
});

describe('importing without extra float32 copies (filesOwned)', () => {
  it('folds float32 weights where they lie in files it owns, and leaves a caller\'s files as they were', () => {
    // saelens-topk-rescale-uncentred: both folds write W_enc, b_enc and W_dec
    const caller = folderFiles('saelens-topk-rescale-uncentred');
    const before = caller.get('sae_weights.safetensors')!.slice();
    const copied = importSaeState(caller).state;
    expect(caller.get('sae_weights.safetensors')).toEqual(before);
    expect(copied.parameters.W1.buffer).not.toBe(caller.get('sae_weights.safetensors')!.buffer);

    const owned = folderFiles('saelens-topk-rescale-uncentred');
    const state = importSaeState(owned, { filesOwned: true }).state;
    const file = owned.get('sae_weights.safetensors')!;
    expect(state.parameters.W1.buffer).toBe(file.buffer);
    expect(state.parameters.W2.buffer).toBe(file.buffer);
    // the same weights either way, bit for bit
    expect(state.parameters.W1).toEqual(copied.parameters.W1);
    expect(state.parameters.W2).toEqual(copied.parameters.W2);
    expect(state.parameters.b1).toEqual(copied.parameters.b1);
  });
});
