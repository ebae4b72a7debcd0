/**
 * SAELens' sparsity.safetensors (sae_lens/training/sae_trainer.py save_checkpoint: {"sparsity":
 * log10(feature_sparsity + 1e-10)}, [d_sae]): kept at import as the model's logFeatureDensity,
 * carried by both model files (version 2), written back by the SAELens export, drawn by the
 * density picture (frequenciesFromLog10: −10 and below dead); bad values refused naming the file
 * and the tensor. The fixture (scripts/fixtures/make-sae-fixtures.py) has two dead units.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportSae, importSae, importSaeState, loadModel, ModelFileError } from '../../src/index.js';
import { toFloat64 } from '../../src/formats/convert.js';
import { writeSafetensors } from '../../src/formats/safetensors.js';
import { frequenciesFromLog10, renderDensityHistogramSvg } from '../../src/viz/index.js';
import { folderFiles } from './folders.js';
import { FIXTURES, fixtureFile } from './library-formulas.js';

const fixture = () => toFloat64(fixtureFile('saelens-standard', 'sparsity.safetensors').tensors.get('sparsity')!);

function sparsityFile(values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, k) => view.setFloat32(4 * k, v, true));
  return writeSafetensors([{ name: 'sparsity', dtype: 'F32', shape: [values.length], bytes }], {});
}

describe("SAELens' sparsity.safetensors", () => {
  it('is kept as logFeatureDensity, in both model files (version 2), and absent without the file', async () => {
    const model = await importSae(join(FIXTURES, 'saelens-standard'));
    const expected = fixture();
    expect(Array.from(model.logFeatureDensity!)).toEqual(Array.from(expected));
    expect(expected.filter((v) => v === -10).length).toBe(2);
    for (const file of [model.toBinaryFile(), new TextEncoder().encode(JSON.stringify(model.toFile()))]) {
      const back = await loadModel(file);
      expect(back.logFeatureDensity).toEqual(model.logFeatureDensity);
    }
    expect(model.toFile().version).toBe(2);
    expect(model.withWeightDtype('bf16').logFeatureDensity).toEqual(model.logFeatureDensity);
    expect((await importSae(join(FIXTURES, 'saelens-gated'))).logFeatureDensity).toBeNull();
  });

  it('goes back out with the SAELens export and reimports the same', async () => {
    const model = await importSae(join(FIXTURES, 'saelens-standard'));
    const files = exportSae(model, 'saelens');
    expect(files.has('sparsity.safetensors')).toBe(true);
    expect(importSaeState(files).state.logFeatureDensity).toEqual(model.logFeatureDensity);
    expect(exportSae(await importSae(join(FIXTURES, 'saelens-gated')), 'saelens').has('sparsity.safetensors')).toBe(false);
  });

  it('is drawn by the density picture: 10^v, −10 and below in the dead bar', async () => {
    const model = await importSae(join(FIXTURES, 'saelens-standard'));
    const frequencies = frequenciesFromLog10(model.logFeatureDensity!);
    const expected = fixture();
    frequencies.forEach((f, j) => (expected[j]! <= -10 ? expect(f).toBe(0) : expect(f).toBeCloseTo(10 ** expected[j]!, 12)));
    const svg = renderDensityHistogramSvg(frequencies);
    expect(svg).toMatch(/16 units, 2 dead/);
    expect(frequenciesFromLog10([1e-11, -Infinity, -10.5, -3])).toEqual(Float64Array.from([1, 0, 0, 10 ** -3]));
  });

  it('a −∞ is read as −10; NaN, +∞, a value above 0, a wrong length or a missing tensor are refused naming the file and the tensor', () => {
    const files = folderFiles('saelens-standard');
    const h = 16;
    const base = Array.from(fixture());
    const withValue = (v: number) => new Map(files).set('sparsity.safetensors', sparsityFile(base.map((x, j) => (j === 5 ? v : x))));
    expect(importSaeState(withValue(-Infinity)).state.logFeatureDensity![5]).toBe(-10);
    const refused = (f: Map<string, Uint8Array>, pattern: RegExp) => {
      expect(() => importSaeState(f)).toThrow(ModelFileError);
      expect(() => importSaeState(f)).toThrow(pattern);
    };
    refused(withValue(NaN), /sparsity\.safetensors.*sparsity.*NaN/);
    refused(withValue(Infinity), /sparsity\.safetensors.*sparsity.*Infinity/);
    refused(withValue(0.5), /sparsity\.safetensors: sparsity\[5\]: is 0\.5, but a log10 feature density is at most 0/);
    refused(new Map(files).set('sparsity.safetensors', sparsityFile(base.slice(0, h - 1))), /sparsity\.safetensors: sparsity\.shape: must be \[16\]/);
    refused(new Map(files).set('sparsity.safetensors', writeSafetensors([], {})), /sparsity\.safetensors.*sparsity/);
  });

  it('a model file with a bad logFeatureDensity, or one in a version 1 file, is refused naming the field', async () => {
    const file = (await importSae(join(FIXTURES, 'saelens-standard'))).toFile() as unknown as Record<string, unknown>;
    await expect(loadModel({ ...file, version: 1, source: undefined })).rejects.toThrow(/"logFeatureDensity": is a field of version 2 files/);
    await expect(loadModel({ ...file, logFeatureDensity: [1, 2] })).rejects.toThrow(/"logFeatureDensity": must be an array of 16 numbers/);
    await expect(loadModel({ ...file, logFeatureDensity: Array(16).fill(0.5) })).rejects.toThrow(/"logFeatureDensity\[0\]": must be at most 0/);
  });
});
