/**
 * The library (`edge-sae`, dist/src/index.js) and the CLI (bin/edge-sae.js → dist/src/cli/main.js)
 * load nothing of the Worker's HTTP stack: hono, @hono/* and zod are optional peers, for the typed
 * client only (issue 12 item 5), so a library user who has not installed them must never reach an
 * import of them. This walks the module graph from src/index.ts and src/cli/main.ts as tsc emits
 * it (each file transpiled with the project's options: `verbatimModuleSyntax` keeps what it keeps,
 * e.g. `import { type X } from 'hono'` still loads hono), following static imports, re-exports,
 * dynamic `import('…')` (the CLI's lazily loaded commands, the backends) and worker-thread entries
 * (`new URL('./x.js', import.meta.url)`), and fails on any specifier of those packages. No install,
 * no build: a second or so.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/wrangler-dev.js';

const FORBIDDEN = /^(?:hono|zod|@hono\/[^/]+)(?:\/.*)?$/;
const ENTRIES = ['src/index.ts', 'src/cli/main.ts'];

const compilerOptions = (() => {
  const { config } = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  // ES modules as the package emits them ("type": "module"; transpileModule cannot see package.json).
  return { ...ts.parseJsonConfigFileContent(config, ts.sys, ROOT).options, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler };
})();

interface Found {
  /** Relative specifiers that load code, resolved to source files. */
  local: string[];
  /** Bare specifiers (packages and node: builtins), with what reached them. */
  bare: string[];
  /** Imports this walk cannot follow (a computed `import(x)`). */
  unknown: string[];
}

/** What the emitted JavaScript of one source file loads. */
function loadsOf(file: string): Found {
  const source = readFileSync(file, 'utf8');
  const js = ts.transpileModule(source, { compilerOptions, fileName: file }).outputText;
  const tree = ts.createSourceFile(file, js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const found: Found = { local: [], bare: [], unknown: [] };
  const add = (specifier: string) => {
    if (specifier.startsWith('.')) found.local.push(toSource(file, specifier));
    else found.bare.push(specifier);
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text);
      return;
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteralLike(arg)) return add(arg.text);
      found.unknown.push(`${relative(ROOT, file)}: ${node.getText(tree)}`);
    } else if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'URL' && node.arguments?.[1]?.getText(tree) === 'import.meta.url') {
      // A file loaded by path (a worker thread's entry): every './…' literal the first argument can be.
      const collect = (n: ts.Node): void => {
        if (ts.isStringLiteralLike(n) && /^\.\.?\/.*\.[cm]?[jt]s$/.test(n.text)) add(n.text);
        n.forEachChild(collect);
      };
      collect(node.arguments[0]!);
    } else if (ts.isStringLiteralLike(node) && FORBIDDEN.test(node.text)) {
      // A package name as a plain string (require.resolve('hono'), a specifier built at run time).
      found.bare.push(node.text);
    }
    node.forEachChild(visit);
  };
  visit(tree);
  return found;
}

/** './x.js' from `from` → the source file tsc compiles to it (x.ts), or the file itself. */
function toSource(from: string, specifier: string): string {
  const target = resolve(dirname(from), specifier);
  for (const candidate of [target.replace(/\.js$/, '.ts'), target.replace(/\.mjs$/, '.mts'), target]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${relative(ROOT, from)}: cannot resolve ${specifier}`);
}

/** Every source file reachable from the entries, and the bare specifiers each imports. */
function walk(entries: string[]): { files: Map<string, Found>; chains: Map<string, string> } {
  const files = new Map<string, Found>();
  const chains = new Map<string, string>(); // file → the chain of imports that reached it
  const queue = entries.map((entry) => join(ROOT, entry));
  for (const entry of queue) chains.set(entry, relative(ROOT, entry));
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (files.has(file)) continue;
    const found = /\.[cm]?[jt]s$/.test(file) && !file.endsWith('.d.ts') ? loadsOf(file) : { local: [], bare: [], unknown: [] };
    files.set(file, found);
    for (const next of found.local) {
      if (!chains.has(next)) chains.set(next, `${chains.get(file)} → ${relative(ROOT, next)}`);
      queue.push(next);
    }
  }
  return { files, chains };
}

describe('what the library and the CLI load', () => {
  const { files, chains } = walk(ENTRIES);
  const reached = [...files.keys()].map((file) => relative(ROOT, file));

  it('should walk the whole graph: the CLI\'s lazily loaded commands, the backends, the sweep\'s worker', () => {
    for (const file of ['src/cli/train.ts', 'src/cli/encode.ts', 'src/cli/sweep.ts', 'src/cli/pictures.ts', 'src/backends/tfjs/index.ts', 'src/backends/assemblyscript/loader.ts', 'src/sweep/trial-worker.ts']) {
      expect(reached, file).toContain(file);
    }
    expect([...files.values()].flatMap((found) => found.unknown)).toEqual([]);
  });

  it('should import nothing from hono, @hono/* or zod', () => {
    const offending = [...files].flatMap(([file, found]) =>
      found.bare.filter((specifier) => FORBIDDEN.test(specifier)).map((specifier) => `${chains.get(file)} imports ${specifier}`),
    );
    expect(offending).toEqual([]);
  });

  it('should reach none of the Worker\'s own code (src/api, src/worker.ts, src/client.ts)', () => {
    expect(reached.filter((file) => /^src\/(api\/|worker\.ts$|client\.ts$)/.test(file)).map((file) => chains.get(join(ROOT, file)))).toEqual([]);
  });

  it('should catch what it is meant to catch', () => {
    // The Worker's entry does import hono: the same walk from it finds it.
    const worker = walk(['src/worker.ts']);
    const bare = new Set([...worker.files.values()].flatMap((found) => found.bare).filter((specifier) => FORBIDDEN.test(specifier)));
    expect([...bare].some((specifier) => /^hono(\/|$)/.test(specifier)), [...bare].join(', ')).toBe(true);
    expect(bare).toContain('@hono/zod-openapi');
    // A type-only specifier inside braces still loads the module under verbatimModuleSyntax.
    const js = ts.transpileModule("import { type Hono } from 'hono';\nexport const x = 1;", { compilerOptions, fileName: 'x.ts' }).outputText;
    expect(js).toContain("from 'hono'");
    expect(ts.transpileModule("import type { Hono } from 'hono';\nexport const x = 1;", { compilerOptions, fileName: 'x.ts' }).outputText).not.toContain('hono');
  });
});
