/**
 * The fenced code blocks of the README and docs/*.md, so that tests can run the ones meant to run.
 * A block runs by its language (ts: a library example; sh: commands against a dev server; json:
 * must parse) unless the line before its fence says otherwise:
 *   <!-- doc-test: skip (why) -->   not run, for the reason given (deploys, takes minutes, …)
 *   <!-- doc-test: client -->       a ts block for the typed API client: type-checked, then run
 * A block with no language (a synopsis, a layout) is text and never runs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface DocBlock {
  /** File (relative to the repository) and 1-based line of the opening fence. */
  file: string;
  line: number;
  lang: string;
  code: string;
  /** "run" (by language), "client", or "skip". */
  mode: 'run' | 'client' | 'skip';
  /** A skip's reason. */
  reason?: string;
}

const DIRECTIVE = /^<!-- doc-test: (skip|client)(?: \((.+)\))? -->$/;

export function docFiles(root: string): string[] {
  const docs = readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => join(root, 'docs', name));
  return [join(root, 'README.md'), ...docs];
}

export function readDocBlocks(root: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  for (const path of docFiles(root)) {
    const lines = readFileSync(path, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const open = /^```(\S*)/.exec(lines[i]!);
      if (!open) continue;
      const end = lines.findIndex((text, j) => j > i && text.startsWith('```'));
      if (end < 0) throw new Error(`${path}:${i + 1}: unclosed code block`);
      const directive = DIRECTIVE.exec(lines[i - 1] ?? '');
      const mode = directive ? (directive[1] as 'skip' | 'client') : 'run';
      if (mode === 'skip' && !directive?.[2]) throw new Error(`${path}:${i}: a doc-test skip needs a reason: <!-- doc-test: skip (why) -->`);
      blocks.push({
        file: relative(root, path),
        line: i + 1,
        lang: open[1] ?? '',
        code: lines.slice(i + 1, end).join('\n') + '\n',
        mode,
        ...(directive?.[2] ? { reason: directive[2] } : {}),
      });
      i = end;
    }
  }
  return blocks;
}

export const where = (block: DocBlock) => `${block.file}:${block.line}`;
