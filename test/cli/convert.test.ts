/**
 * `edge-sae convert`: a model rewritten with bf16 or int8 weights (binary file only), read back by
 * every command (encode here), converted back to f32 exactly; bad requests exit 2 naming the flag.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelBytes } from '../../src/model/model-bytes.js';
import { runMain } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'edge-sae-convert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => path.join(dir, name);

const CSV = 'a,b,c,d\n0.1,0.2,0.3,0.9\n0.4,0.5,0.6,0.1\n0.7,0.8,0.9,0.5\n0.2,0.1,0,0.3\n';

beforeAll(async () => {
  writeFileSync(at('d.csv'), CSV);
  const r = await runMain(['train', '--data', at('d.csv'), '--architecture', 'relu', '--hidden', '6', '--epochs', '4', '--seed', '3', '--out', at('m.json'), '--quiet']);
  expect(r.code, r.stderr).toBe(0);
});

describe('edge-sae convert', () => {
  it('should write bf16 and int8 binary files that encode, and convert back to f32 exactly', async () => {
    for (const dtype of ['bf16', 'int8']) {
      const out = at(`m-${dtype}.safetensors`);
      const r = await runMain(['convert', '--model', at('m.json'), '--out', out, '--dtype', dtype, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ out, from: 'f32', dtype, form: 'safetensors', inputSize: 4, hiddenSize: 6 });
      const state = readModelBytes(readFileSync(out));
      expect(state.stored?.dtype).toBe(dtype);
      const e = await runMain(['encode', '--model', out, '--data', at('d.csv'), '--out', at(`codes-${dtype}.json`)]);
      expect(e.code, e.stderr).toBe(0);
      expect(JSON.parse(readFileSync(at(`codes-${dtype}.json`), 'utf8'))).toHaveLength(4);

      const back = at(`m-${dtype}-f32.json`);
      expect((await runMain(['convert', '--model', out, '--out', back, '--dtype', 'f32', '--quiet'])).code).toBe(0);
      const wide = readModelBytes(readFileSync(back));
      expect(wide.stored ?? null).toBeNull();
      expect(wide.parameters.W1).toEqual(state.parameters.W1);
    }
  });

  it('should refuse a bf16 or int8 JSON file and an unknown dtype, exit 2, writing nothing', async () => {
    const r = await runMain(['convert', '--model', at('m.json'), '--out', at('x.json'), '--dtype', 'bf16']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out .*x\.json: a bf16 model is written as a binary model file; name it \*\.safetensors/);
    const bad = await runMain(['convert', '--model', at('m.json'), '--out', at('x.safetensors'), '--dtype', 'fp16']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--dtype/);
    expect(() => readFileSync(at('x.json'))).toThrow();
    expect(() => readFileSync(at('x.safetensors'))).toThrow();
  });

  it('should refuse to train on from a bf16 file, saying to convert it', async () => {
    const r = await runMain(['train', '--data', at('d.csv'), '--init', at('m-bf16.safetensors'), '--epochs', '1', '--out', at('t.safetensors')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bf16; training needs float32 weights/);
  });
});
