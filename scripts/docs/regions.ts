/**
 * Generated regions of the README and docs: the text between `<!-- NAME:start … -->` and
 * `<!-- NAME:end -->` is written by a script, never by hand. A region is whole lines (the markers
 * on lines of their own, the body ending with a newline) or inline, within one line such as a
 * table cell (`<!-- NAME:start -->43 routes<!-- NAME:end -->`, the body without a newline).
 */
import { readFileSync, writeFileSync } from 'node:fs';

// The newline after a start marker belongs to the marker: a region of whole lines starts after it.
const startMarker = (name: string) => new RegExp(`<!-- ${name}:start[^>]*-->\\n?`);
const endMarker = (name: string) => `<!-- ${name}:end -->`;

/** The current text of region `name` in `file` (between its markers, without them). */
export function readRegion(file: string, name: string): string {
  const text = readFileSync(file, 'utf8');
  const start = startMarker(name).exec(text);
  const end = text.indexOf(endMarker(name));
  if (!start || end < start.index) throw new Error(`${file} has no ${name}:start / ${name}:end markers`);
  return text.slice(start.index + start[0].length, end);
}

/** Replaces region `name` of `file` with `body` (which should end with a newline). */
export function writeRegion(file: string, name: string, body: string): void {
  const text = readFileSync(file, 'utf8');
  const old = readRegion(file, name);
  const start = startMarker(name).exec(text)!;
  const from = start.index + start[0].length;
  writeFileSync(file, text.slice(0, from) + body + text.slice(from + old.length));
}
