/**
 * Hostile and unsupported SAE folders refused by importSae, each with an error naming the file and
 * the field (TensorFileError, a ModelFileError: 422 in the API, exit 2 in the CLI), before any
 * model exists. The pickle's global is refused at its opcode (src/formats/pickle.ts), never called.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelFileError } from '../../src/errors.js';
import { importSae, importSaeState } from '../../src/index.js';
import { folderFiles, hostileCases, withJson, zipOf } from './folders.js';
import { FIXTURES } from './library-formulas.js';

function refusal(run: () => unknown): ModelFileError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelFileError);
    return error as ModelFileError;
  }
  throw new Error('was not refused');
}

describe('importSae refuses hostile files, naming the file and the field', () => {
  it.each(hostileCases())('$name', ({ files, names }) => {
    const error = refusal(() => importSaeState(files));
    for (const name of names) expect(error.message).toMatch(name);
  });

  it('a truncated zip of a folder', async () => {
    const zip = zipOf(folderFiles('saelens-standard'));
    await expect(importSae(zip.subarray(0, zip.length - 30))).rejects.toThrow(/upload.*(end of central directory|end record|truncated)/i);
  });

  it('an archive that would inflate far beyond its size (a zip bomb of zeros), before inflating', async () => {
    const zeros = zipOf(new Map([['cfg.json', new Uint8Array(2)], ['sae_weights.safetensors', new Uint8Array(40 << 20)]]));
    expect(zeros.length).toBeLessThan(1 << 20);
    await expect(importSae(zeros)).rejects.toThrow(/upload: \(members\): declare 41943042 bytes uncompressed.*refused before inflating/);
    await expect(importSae(zipOf(new Map([['W_enc.npy', new Uint8Array(40 << 20)]])))).rejects.toThrow(/refused before inflating/);
  });

  it('gated SAEs import (their codes: import.test.ts); a gated folder missing a gated tensor is refused, naming it', () => {
    expect(importSaeState(folderFiles('saelens-gated')).state.config.architecture).toBe('gated');
    expect(importSaeState(folderFiles('dictionary-learning-gated')).state.config.architecture).toBe('gated');
    // SAELens' gated SAE has no b_enc: a standard folder relabelled gated lacks b_gate
    expect(refusal(() => importSaeState(withJson(folderFiles('saelens-standard'), 'cfg.json', (c) => (c.architecture = 'gated')))).message).toMatch(/sae_weights\.safetensors.*b_gate/);
  });

  it('transcoders and sparsify skip connections, naming the field', () => {
    expect(refusal(() => importSaeState(withJson(folderFiles('saelens-standard'), 'cfg.json', (c) => (c.architecture = 'skip_transcoder')))).message).toMatch(/architecture: .*transcoder/);
    expect(refusal(() => importSaeState(withJson(folderFiles('sparsify-topk-bf16'), 'cfg.json', (c) => (c.skip_connection = true)))).message).toMatch(/cfg\.json: skip_connection/);
  });

  it('a folder of no known format lists what it holds', () => {
    const files = new Map([['README.md', new Uint8Array(3)], ['weights.bin', new Uint8Array(3)]]);
    expect(refusal(() => importSaeState(files)).message).toMatch(/README\.md, weights\.bin.*saelens \(cfg\.json and sae_weights\.safetensors\)/);
  });

  it('a missing file or tensor is named', () => {
    const files = folderFiles('saelens-standard');
    files.delete('cfg.json');
    expect(refusal(() => importSaeState(files)).message).toMatch(/cfg\.json.*missing.*sae_weights\.safetensors/);
    expect(refusal(() => importSaeState(new Map([['params.npz', folderFiles('gemma-scope').get('params.npz')!.slice(0, 0)]]))).message).toMatch(/params\.npz/);
  });

  it('a k above d_sae in a SAELens cfg', () => {
    const files = withJson(folderFiles('saelens-topk-rescale-uncentred'), 'cfg.json', (c) => (c.k = 99));
    expect(refusal(() => importSaeState(files)).message).toMatch(/cfg\.json: k: is 99/);
  });

  it('the format named when it is given, and an unknown one refused', () => {
    expect(() => importSaeState(folderFiles('saelens-standard'), { format: 'nope' })).toThrow(/format: must be one of saelens, sparsify/);
    expect(refusal(() => importSaeState(folderFiles('saelens-standard'), { format: 'sparsify' })).message).toMatch(/sae\.safetensors.*missing/);
  });

  it('a zip of a folder imports as the folder does', async () => {
    const model = await importSae(zipOf(folderFiles('saelens-standard')));
    const direct = await importSae(join(FIXTURES, 'saelens-standard'));
    const rows = [[0.5, -1, 2, 0, 1, 1, -0.5, 0.25]];
    expect(model.encode(rows).data).toEqual(direct.encode(rows).data);
  });
});
