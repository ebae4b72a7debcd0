/** Fixture folders as file maps and zips, and the hostile files of test/fixtures/formats, for the import tests. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { FIXTURES } from './library-formulas.js';

export const HOSTILE = join(import.meta.dirname, '..', 'fixtures', 'formats');

/** A fixture folder's files (one level of subfolders), by relative name. */
export function folderFiles(folder: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path, `${prefix}${name}/`);
      else out.set(prefix + name, new Uint8Array(readFileSync(path)));
    }
  };
  walk(join(FIXTURES, folder), '');
  return out;
}

export const hostile = (name: string) => new Uint8Array(readFileSync(join(HOSTILE, name)));

export function zipOf(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  return zipSync(Object.fromEntries(files), { level: 6, mtime: new Date('1980-01-02T00:00:00Z') });
}

/** The config of a fixture folder with some fields replaced. */
export function withJson(files: Map<string, Uint8Array>, name: string, change: (json: Record<string, unknown>) => void): Map<string, Uint8Array> {
  const json = JSON.parse(new TextDecoder().decode(files.get(name)!));
  change(json);
  return new Map(files).set(name, new TextEncoder().encode(JSON.stringify(json)));
}

/** The hostile cases every surface must refuse (library, CLI, API): files, and what the error must name. */
export function hostileCases(): { name: string; files: Map<string, Uint8Array>; names: RegExp[] }[] {
  const saelens = folderFiles('saelens-standard');
  const dl = folderFiles('dictionary-learning-topk');
  return [
    { name: 'a pickle naming os.system', files: new Map(dl).set('ae.pt', hostile('hostile-os-system.pt')), names: [/ae\.pt/, /os\.system/] },
    { name: 'a truncated checkpoint', files: new Map(dl).set('ae.pt', hostile('hostile-truncated.pt')), names: [/ae\.pt/] },
    { name: 'a member declaring 10 GB', files: new Map([['params.npz', hostile('hostile-member-10gb.npz')]]), names: [/params\.npz/, /W_enc\.npy/] },
    { name: 'safetensors shapes disagreeing with offsets', files: new Map(saelens).set('sae_weights.safetensors', hostile('hostile-shape-offsets.safetensors')), names: [/sae_weights\.safetensors/, /W_enc/] },
    { name: 'a shape whose product overflows', files: new Map(saelens).set('sae_weights.safetensors', hostile('hostile-shape-overflow.safetensors')), names: [/sae_weights\.safetensors/, /W_enc/] },
    { name: 'an unknown architecture', files: withJson(saelens, 'cfg.json', (c) => (c.architecture = 'mystery')), names: [/cfg\.json/, /architecture/, /mystery/] },
    { name: 'a d_sae disagreeing with the tensors', files: withJson(saelens, 'cfg.json', (c) => (c.d_sae = 32)), names: [/cfg\.json/, /d_sae/, /32/] },
  ];
}
