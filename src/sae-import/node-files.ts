/**
 * importSae's sources in Node: a folder (its files, and one level of subfolders, e.g. Llama
 * Scope's checkpoints/), a zip of a folder, or one tensor file (an OpenAI .pt, a params.npz).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InputError } from '../errors.js';
import { filesFromArchive, isFolderArchive, MAX_ARCHIVE_MEMBERS } from './archive.js';
import type { SaeFiles } from './files.js';

/** The files of the SAE at `path`. */
export async function readSaeSource(path: string): Promise<SaeFiles> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new InputError(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  if (info.isFile()) {
    const bytes = ownBytes(await readFile(path));
    return isFolderArchive(bytes) ? filesFromArchive(bytes, path) : new Map([[basename(path), bytes]]);
  }
  const files = new Map<string, Uint8Array>();
  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const name = prefix + entry.name;
      if (entry.isDirectory() && depth < 1) await walk(join(dir, entry.name), `${name}/`, depth + 1);
      else if (entry.isFile() && isSaeFileName(entry.name)) {
        if (files.size >= MAX_ARCHIVE_MEMBERS) throw new InputError(`${path}: holds more than ${MAX_ARCHIVE_MEMBERS} files; point --from at the SAE's own folder`);
        files.set(name, ownBytes(await readFile(join(dir, entry.name))));
      }
    }
  };
  await walk(path, '', 0);
  return files;
}

/** A file's bytes without copying them when readFile gave the Buffer its own memory (large files), else a copy out of Node's shared pool. */
function ownBytes(buffer: Buffer): Uint8Array {
  return buffer.byteOffset === 0 && buffer.buffer.byteLength === buffer.length ? new Uint8Array(buffer.buffer, 0, buffer.length) : new Uint8Array(buffer);
}

/** The files an SAE folder's formats read (others, such as a README or a training log, are skipped). */
function isSaeFileName(name: string): boolean {
  return /\.(json|safetensors|npz|npy|pt|pth)$/.test(name);
}
