/**
 * What `edge-sae upload` remembers between runs, so running it again resumes an interrupted
 * upload: one small JSON file per (API, data file) in the user's state directory
 * ($EDGE_SAE_STATE_DIR, else $XDG_STATE_HOME/edge-sae, else ~/.local/state/edge-sae), keyed by
 * the file's path, size and modification time, so an edited file starts a new upload.
 * Written beside nothing of the user's: the data may sit on a read-only disk.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from './io.js';

export interface UploadRecord {
  readonly api: string;
  readonly file: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly uploadId: string;
  readonly rows: number;
  readonly cols: number;
}

/** Where the record of uploading `file` to `api` lives, and the identity the file has now. */
export interface UploadSlot {
  readonly path: string;
  readonly identity: Pick<UploadRecord, 'api' | 'file' | 'size' | 'mtimeMs'>;
}

export function stateDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EDGE_SAE_STATE_DIR) return env.EDGE_SAE_STATE_DIR;
  const base = env.XDG_STATE_HOME || path.join(homedir(), '.local', 'state');
  return path.join(base, 'edge-sae');
}

export function uploadSlot(api: string, file: string, env: NodeJS.ProcessEnv = process.env): UploadSlot {
  const absolute = path.resolve(file);
  const { size, mtimeMs } = statSync(absolute);
  const key = createHash('sha256').update(JSON.stringify([api, absolute, size, mtimeMs])).digest('hex').slice(0, 32);
  return { path: path.join(stateDirectory(env), 'uploads', `${key}.json`), identity: { api, file: absolute, size, mtimeMs } };
}

/** The record of an earlier run for the same API and file as it is now, or null. */
export function readUploadRecord(slot: UploadSlot): UploadRecord | null {
  let record: Partial<UploadRecord>;
  try {
    record = JSON.parse(readFileSync(slot.path, 'utf8')) as Partial<UploadRecord>;
  } catch {
    return null; // none, or unreadable: start afresh (the server cleans up an abandoned upload)
  }
  const { api, file, size, mtimeMs } = slot.identity;
  const same = record.api === api && record.file === file && record.size === size && record.mtimeMs === mtimeMs;
  return same && typeof record.uploadId === 'string' && Number.isInteger(record.rows) && Number.isInteger(record.cols) ? (record as UploadRecord) : null;
}

export function writeUploadRecord(slot: UploadSlot, record: UploadRecord): void {
  mkdirSync(path.dirname(slot.path), { recursive: true });
  writeFileAtomic(slot.path, `${JSON.stringify(record)}\n`);
}

export function forgetUpload(slot: UploadSlot): void {
  rmSync(slot.path, { force: true });
}
