/**
 * The CLI's side effects in one place: where text goes (so tests can capture it), reading model
 * files, and writing outputs atomically (a temp file in the same directory, then a rename), so a
 * failed or interrupted run never leaves a partial file behind.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { parseJsonText } from '../data/json.js';
import { describeFsError, readBytes, readText } from '../data/read-file.js';
import { readModelBytes } from '../model/model-bytes.js';
import type { ModelState } from '../model/model-file.js';
import type { ParsedOptions } from './args.js';

export { modelBytesFor } from '../model/model-bytes.js';
export { writeFileAtomic } from '../data/write-file.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** On a terminal progress is a bar redrawn in place; elsewhere plain lines. */
  readonly stderrIsTTY: boolean;
  /** The terminal's width, when stderr is one. */
  readonly stderrColumns?: number;
}

/** The real process streams. */
export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    stderrIsTTY: process.stderr.isTTY === true,
    stderrColumns: process.stderr.columns,
  };
}

/**
 * Reads and checks a model file of either form, told apart by content (binary safetensors or JSON
 * text, whatever the name); a missing file, bad JSON or a bad field is an InputError naming the
 * file and the field or position.
 */
export function readModelFileAt(file: string): ModelState {
  return readModelBytes(readBytes(file), file);
}


/**
 * Checks, before any long work, that `file` can be written: its directory exists and it is not a
 * directory itself. Throws InputError naming the flag.
 */
export function checkOutputPath(file: string, flag: string): void {
  const dir = path.dirname(path.resolve(file));
  let dirStat;
  try {
    dirStat = statSync(dir);
  } catch (error) {
    throw new InputError(`${flag} ${file}: cannot write there, the directory ${dir}: ${describeFsError(error)}`);
  }
  if (!dirStat.isDirectory()) throw new InputError(`${flag} ${file}: ${dir} is not a directory`);
  try {
    if (statSync(file).isDirectory()) throw new InputError(`${flag} ${file}: is a directory`);
  } catch (error) {
    if (error instanceof InputError) throw error;
    // Not there yet: fine.
  }
}


/** What a command that writes a file prints: one JSON line with --json, nothing with --quiet, else `text`. */
export function reportWritten(options: ParsedOptions, io: CliIo, summary: Record<string, unknown>, text: string): void {
  if (options.flag('json')) io.stdout(`${JSON.stringify(summary)}\n`);
  else if (!options.flag('quiet')) io.stdout(`${text}\n`);
}
