/** Writing a file whole or not at all (a model file, for the CLI and the sweep's trials). */
import { randomBytes } from 'node:crypto';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeFsError } from './read-file.js';

/** Writes `content` to `file` all or nothing: a temp file beside it, then an atomic rename. */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(temp, content, typeof content === 'string' ? { encoding: 'utf8', flag: 'wx' } : { flag: 'wx' });
    renameSync(temp, file);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // The temp file was never created, or is already gone.
    }
    // Not an InputError: the path was checked up front, so this is the disk failing (exit 1).
    throw new Error(`cannot write ${file}: ${describeFsError(error)}`, { cause: error });
  }
}
