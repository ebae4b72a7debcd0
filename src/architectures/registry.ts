/**
 * The architectures, in one table: adding one is its module (src/architectures/<name>/) and one
 * line here. Everything that depends on the architecture reads it from this table (the options
 * table, the model, the backends' sessions, the model file, the exports, the API's schemas, the
 * CLI's flags, the docs), as SAELens registers each of its SAE classes with its config class.
 */
import { batchtopk } from './batchtopk/index.js';
import type { ArchitectureModule } from './contract.js';
import { jumprelu } from './jumprelu/index.js';
import { matryoshka } from './matryoshka/index.js';
import { relu } from './relu/index.js';
import { sigmoid } from './sigmoid/index.js';
import { topk } from './topk/index.js';

export const ARCHITECTURE_MODULES = {
  sigmoid,
  relu,
  topk,
  jumprelu,
  batchtopk,
  matryoshka,
} as const satisfies Record<string, ArchitectureModule>;

export type ArchitectureName = keyof typeof ARCHITECTURE_MODULES;

/** The architectures' names, in the table's order (the first is the default). */
export const ARCHITECTURES = Object.keys(ARCHITECTURE_MODULES) as [ArchitectureName, ...ArchitectureName[]];

/** Whether `name` is a registered architecture. */
export function isArchitectureName(name: unknown): name is ArchitectureName {
  return typeof name === 'string' && Object.hasOwn(ARCHITECTURE_MODULES, name);
}

/** The module of a registered architecture (absent: sigmoid, the tutorial's model). */
export function architectureModule(name: ArchitectureName | undefined): ArchitectureModule {
  return ARCHITECTURE_MODULES[name ?? 'sigmoid'];
}

/** What "active" means for each architecture, for descriptions: "> 0 for relu and topk, > 0.01 for sigmoid". */
export function describeActive(): string {
  const byThreshold = new Map<number, string[]>();
  for (const module of Object.values(ARCHITECTURE_MODULES)) byThreshold.set(module.activeThreshold, [...(byThreshold.get(module.activeThreshold) ?? []), module.name]);
  const and = (names: string[]) => (names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`);
  return [...byThreshold].sort(([a], [b]) => a - b).map(([threshold, names]) => `> ${threshold} for ${and(names)}`).join(', ');
}
