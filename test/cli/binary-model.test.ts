/**
 * The CLI and the binary model file: `--out *.safetensors` writes it, every command that reads
 * a model reads either form by content (whatever the name), and every malformed binary file
 * exits 2 naming the field, with nothing written or changed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFileForm } from '../../src/model/model-bytes.js';
import { badBinaryModels } from '../helpers/bad-binary-models.js';
import { runMain } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'edge-sae-binary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => path.join(dir, name);

const CSV = 'a,b,c,d\n0.1,0.2,0.3,0.9\n0.4,0.5,0.6,0.1\n0.7,0.8,0.9,0.5\n0.2,0.1,0,0.3\n';
const TRAIN = ['train', '--data', at('d.csv'), '--hidden', '3', '--epochs', '4', '--seed', '3', '--backend', 'assemblyscript'];

beforeAll(async () => {
  writeFileSync(at('d.csv'), CSV);
  for (const out of ['m.json', 'm.safetensors']) {
    const r = await runMain([...TRAIN, '--out', at(out), '--quiet']);
    expect(r.code, r.stderr).toBe(0);
  }
});

describe('CLI with binary model files', () => {
  it('should write the binary form for --out *.safetensors, the same model as the JSON form', async () => {
    const binary = readFileSync(at('m.safetensors'));
    expect(modelFileForm(binary)).toBe('safetensors');
    expect(modelFileForm(readFileSync(at('m.json')))).toBe('json');
    const codes: string[] = [];
    for (const model of ['m.json', 'm.safetensors']) {
      const r = await runMain(['encode', '--model', at(model), '--data', at('d.csv')]);
      expect(r.code, r.stderr).toBe(0);
      codes.push(r.stdout);
    }
    expect(codes[1]).toBe(codes[0]);
  });

  it('should read either form by content, whatever the file is called', async () => {
    writeFileSync(at('binary-named.json'), readFileSync(at('m.safetensors')));
    writeFileSync(at('json-named.safetensors'), readFileSync(at('m.json')));
    const reference = await runMain(['evaluate', '--model', at('m.json'), '--data', at('d.csv')]);
    for (const model of ['binary-named.json', 'json-named.safetensors']) {
      const r = await runMain(['evaluate', '--model', at(model), '--data', at('d.csv')]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(reference.stdout);
    }
    // --init from a binary file continues the run exactly as from the JSON file.
    for (const [init, out] of [['m.json', 'c1.json'], ['m.safetensors', 'c2.json']]) {
      const r = await runMain(['train', '--data', at('d.csv'), '--init', at(init!), '--epochs', '2', '--out', at(out!), '--quiet']);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(readFileSync(at('c2.json'), 'utf8')).toBe(readFileSync(at('c1.json'), 'utf8'));
    const r = await runMain(['filters', '--model', at('m.safetensors'), '--out', at('filters.svg')]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('should exit 2 naming the field for every malformed binary file, writing and changing nothing', async () => {
    writeFileSync(at('existing.safetensors'), 'keep me');
    for (const { what, bytes, field } of badBinaryModels(readFileSync(at('m.safetensors')))) {
      writeFileSync(at('bad.safetensors'), bytes);
      for (const argv of [
        ['encode', '--model', at('bad.safetensors'), '--data', at('d.csv'), '--out', at('codes.csv')],
        ['train', '--init', at('bad.safetensors'), '--data', at('d.csv'), '--out', at('existing.safetensors')],
      ]) {
        const r = await runMain(argv);
        expect(r.code, `${what}: ${r.stderr}`).toBe(2);
        expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
        const named = /model file field "([^"]+)"/.exec(r.stderr)?.[1];
        expect(named, `${what}: ${r.stderr}`).toBeDefined();
        if (typeof field === 'string') expect(named, what).toBe(field);
        else expect(named, what).toMatch(field);
        expect(r.stderr).toContain('bad.safetensors');
      }
      expect(() => readFileSync(at('codes.csv'))).toThrow();
      expect(readFileSync(at('existing.safetensors'), 'utf8')).toBe('keep me');
    }
  });
});
