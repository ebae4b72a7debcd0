/**
 * `edge-sae import` of transcoders (docs/IMPORT.md, "Transcoders"): the model file written runs as
 * importSae's model (codes and transcode outputs of d_out values), the summary says the shape, and
 * `edge-sae export` of it is exit 2 naming the transcoder.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importSae, loadModel } from '../../src/index.js';
import { runMain } from '../helpers/cli.js';
import { FIXTURES } from '../sae-import/library-formulas.js';

const root = mkdtempSync(path.join(tmpdir(), 'edge-sae-transcoder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const rows = [
  [0.5, -1, 2, 0, 1, 1, -0.5, 0.25],
  [1.5, 0.2, -2, 0.7, -1, 0.3, 0.5, -0.25],
];

describe('edge-sae import of a transcoder', () => {
  it.each(['saelens-skip-transcoder', 'sparsify-transcoder-skip'])('%s → a model file that runs as importSae\'s model', async (folder) => {
    const out = path.join(root, `${folder}.safetensors`);
    const r = await runMain(['import', '--from', path.join(FIXTURES, folder), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/transcoder \(d_in 8 → d_out \d, with W_skip\)/);
    const model = await loadModel(new Uint8Array(readFileSync(out)));
    const direct = await importSae(path.join(FIXTURES, folder));
    expect(model.shape).toEqual(direct.shape);
    expect(model.encode(rows).data).toEqual(direct.encode(rows).data);
    expect(model.transcode(rows).data).toEqual(direct.transcode(rows).data);

    const exported = await runMain(['export', '--model', out, '--format', 'saelens', '--out', path.join(root, `${folder}-back`)]);
    expect(exported.code).toBe(2);
    expect(exported.stderr).toMatch(/transcoder: .*does not write yet/);
  });
});
