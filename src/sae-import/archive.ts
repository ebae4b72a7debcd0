/**
 * An SAE folder sent as one zip (the API's POST /v1/models/import, `edge-sae import --api`): its
 * members as a file map. The zip reader checks the directory before anything is inflated (a
 * member declaring 10 GB in a small file is refused there); here the number of members is bounded
 * too, and directories are skipped. A .pt or .npz is a zip as well: those are one file, not a folder.
 */
import { TensorFileError } from '../errors.js';
import { tensorFileFormat } from '../formats/tensor-file.js';
import { openZip } from '../formats/zip.js';
import type { SaeFiles } from './files.js';

/** A folder of an SAE holds a handful of files; an archive of more is not one. */
export const MAX_ARCHIVE_MEMBERS = 64;

/**
 * What an SAE's files may inflate to, against the archive's size: weights barely compress (random
 * floats), so an archive declaring more than 8 × its size (+ 1 MiB for JSON and tiny files) is
 * refused before anything is inflated. The zip reader alone allows deflate's 1032 to 1, which from
 * a 16 MiB upload would be 16 GB of zeros: more than a Worker has.
 */
export const MAX_INFLATION = 8;
const INFLATION_SLACK = 1 << 20;

/** Refuses a zip (a folder's, an .npz, a .pt) whose members declare more than MAX_INFLATION × its size. */
export function checkInflatedSize(bytes: Uint8Array, source: string): void {
  const archive = openZip(bytes, source);
  let total = 0;
  for (const member of archive.members.values()) total += member.size;
  const limit = MAX_INFLATION * bytes.length + INFLATION_SLACK;
  if (total > limit) {
    throw new TensorFileError('(members)', `declare ${total} bytes uncompressed from a ${bytes.length}-byte archive, more than the ${limit} an SAE's files can take (${MAX_INFLATION} × the archive + 1 MiB); refused before inflating`, source);
  }
}

/** Whether the bytes are a zip of a folder (not a .pt checkpoint or an .npz, which are zips too). */
export function isFolderArchive(bytes: Uint8Array): boolean {
  const format = tensorFileFormat(bytes);
  if (format === 'torch') return false;
  if (format !== 'npz') return false;
  try {
    const names = [...openZip(bytes).members.keys()];
    // an .npz holds only .npy members
    return !names.every((name) => name.endsWith('.npy'));
  } catch {
    return true; // a broken zip: read as a folder archive, whose reader says what is broken
  }
}

/** The files of a zip of an SAE folder. */
export function filesFromArchive(bytes: Uint8Array, source = 'archive.zip'): SaeFiles {
  checkInflatedSize(bytes, source);
  const archive = openZip(bytes, source);
  const names = [...archive.members.keys()].filter((name) => !name.endsWith('/') && !/(^|\/)(__MACOSX|\.DS_Store)/.test(name));
  if (names.length > MAX_ARCHIVE_MEMBERS) {
    throw new TensorFileError('(members)', `the archive has ${names.length} files; an SAE folder has a few (at most ${MAX_ARCHIVE_MEMBERS} are read)`, source);
  }
  for (const name of names) {
    if (name.startsWith('/') || name.split('/').includes('..')) throw new TensorFileError(name, 'is a path outside the archive\'s folder', source);
  }
  return new Map(names.map((name) => [name, archive.read(name)]));
}
