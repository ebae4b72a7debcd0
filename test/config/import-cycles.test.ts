/**
 * No import cycles in src/: the static imports (`import … from`, `import type … from`, `export …
 * from`, bare `import '…'`) of every module form a graph without cycles, and they point down the
 * layers docs/ARCHITECTURE.md names. Dynamic `import()` is left out: it is how a module loads a
 * part on demand (the CLI's commands) without depending on it at load. A failure names each cycle,
 * or each import against the order.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/wrangler-dev.js';

const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The relative module specifiers of a file's dynamic import('…') calls (string literals). */
function dynamicImports(text: string, fileName = 'module.ts'): string[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, fileName.endsWith('.js') ? ts.ScriptKind.JS : ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) out.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

/** The relative module specifiers of a file's static import and export-from declarations. */
function staticImports(text: string, fileName = 'module.ts'): string[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, fileName.endsWith('.js') ? ts.ScriptKind.JS : ts.ScriptKind.TS);
  const out: string[] = [];
  for (const statement of file.statements) {
    if ((ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
      out.push(statement.moduleSpecifier.text);
    }
  }
  return out;
}

/** './x.js' from a file → the source file it names (x.ts, or x.js), or null when outside the sources. */
function resolveSpecifier(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const target = resolve(dirname(from), specifier);
  if (!target.startsWith(SRC + sep)) return null;
  for (const candidate of [target.replace(/\.js$/, '.ts'), target, `${target}.ts`, join(target, 'index.ts')]) {
    if (/\.(ts|js)$/.test(candidate) && existsSync(candidate)) return candidate;
  }
  return null;
}

/** One cycle through each strongly connected component of more than one module (or a self-import). */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) components.push(component);
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  // A shortest path back to the start, within the component, from its first module.
  return components.map((component) => {
    const members = new Set(component);
    const start = [...component].sort()[0]!;
    const previous = new Map<string, string>();
    const queue = [start];
    for (let k = 0; k < queue.length; k++) {
      for (const next of graph.get(queue[k]!) ?? []) {
        if (!members.has(next)) continue;
        if (next === start) {
          const path = [start];
          for (let at = queue[k]!; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
          return [...path, start];
        }
        if (!previous.has(next)) {
          previous.set(next, queue[k]!);
          queue.push(next);
        }
      }
    }
    return [start, start];
  });
}

/**
 * docs/ARCHITECTURE.md's order of the layers: a module imports only from earlier tiers (or its
 * own layer), never from a later tier nor a neighbour in its own tier.
 */
const TIERS: readonly (readonly string[])[] = [
  ['errors.ts', 'util'],
  ['architectures', 'formats'],
  ['backends', 'data'],
  ['model'],
  ['export', 'viz', 'jobs', 'sweep'],
  ['features'],
  ['api', 'cli'],
  ['client'],
  ['worker.ts', 'client.ts', 'index.ts'],
  ['client-node.ts', 'playground'],
];
/** Imports against the order (docs/ARCHITECTURE.md): none since the sweep's trials run through the library. */
const AGAINST_THE_ORDER = new Set<string>();
/** The float64 oracle: imports only the backend contract, and only tests import it. */
const REFERENCE = 'reference';

const layerOf = (module: string) => module.split('/')[0]!;
const tierOf = (layer: string) => TIERS.findIndex((tier) => tier.includes(layer));

/** The graph of static imports, or with `dynamic` of import() calls too. */
function importGraph(dynamic = false): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...staticImports(text, file), ...(dynamic ? dynamicImports(text, file) : [])]
      .map((specifier) => resolveSpecifier(file, specifier))
      .filter((target): target is string => target !== null)
      .map((target) => relative(SRC, target));
    graph.set(relative(SRC, file), [...new Set(targets)]);
  }
  return graph;
}

describe('the import graph of src/', () => {
  it('should read static imports, type-only ones included, and leave dynamic import() out', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "import {\n  c,\n  type C,\n} from './c.js';",
      "export { d } from './d.js';",
      "export type { E } from './e.js';",
      "export * from './f.js';",
      "import './g.js';",
      "import ts from 'typescript';",
      "const lazy = () => import('./h.js');",
      '/** @example import { i } from "./i.js"; */',
      "// import { j } from './j.js';",
    ].join('\n');
    expect(staticImports(text)).toEqual(['./a.js', '../b.js', './c.js', './d.js', './e.js', './f.js', './g.js', 'typescript']);
  });

  it('should find and name a cycle', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c', 'd']],
      ['c', ['a']],
      ['d', []],
      ['e', ['e']],
    ]);
    expect(findCycles(graph)).toEqual([['a', 'b', 'c', 'a'], ['e', 'e']]);
  });

  it('should have no cycle', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(100);
    const cycles = findCycles(graph).map((cycle) => cycle.join(' → '));
    expect(cycles, `import cycles in src/:\n${cycles.join('\n')}`).toEqual([]);
  });

  it('should read dynamic import() calls apart', () => {
    const text = "import { a } from './a.js';\nconst b = () => import('./b.js');\nasync function c() { return (await import('../c.js')).c; }\nimport(name);";
    expect(dynamicImports(text)).toEqual(['./b.js', '../c.js']);
  });

  it('should have no cycle through dynamic import() either (the CLI\'s commands and their --api halves)', () => {
    const cycles = findCycles(importGraph(true)).map((cycle) => cycle.join(' → '));
    expect(cycles, `import cycles in src/ (dynamic imports counted):\n${cycles.join('\n')}`).toEqual([]);
  });

  it('should never import src/cli/ from outside it, statically or dynamically (the library does not depend on its command line)', () => {
    const wrong = [...importGraph(true)].flatMap(([module, targets]) => (layerOf(module) === 'cli' ? [] : targets.filter((t) => layerOf(t) === 'cli').map((t) => `${module} → ${t}`)));
    expect(wrong).toEqual([]);
  });

  it('should import only down the layers docs/ARCHITECTURE.md names', () => {
    const wrong: string[] = [];
    for (const [module, targets] of importGraph()) {
      const from = layerOf(module);
      for (const target of targets) {
        const to = layerOf(target);
        if (from === to || AGAINST_THE_ORDER.has(`${module} → ${target}`)) continue;
        const ok = from === REFERENCE ? target === 'backends/types.ts' : to !== REFERENCE && tierOf(from) >= 0 && tierOf(to) >= 0 && tierOf(to) < tierOf(from);
        if (!ok) wrong.push(`${module} → ${target}`);
      }
    }
    expect(wrong, `imports against the layer order:\n${wrong.join('\n')}`).toEqual([]);
  });
});
