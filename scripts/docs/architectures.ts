/**
 * docs/ARCHITECTURES.md's table of the registered architectures, from the registry
 * (src/architectures/registry.ts): a new architecture appears here with its registry line.
 */
import { ARCHITECTURE_MODULES, ARCHITECTURES } from '../../src/architectures/registry.js';

/** One row an architecture: what it is, its parameters (those encode reads in bold), the options it reads. */
export function renderArchitectures(): string {
  const shape = { inputSize: 1, hiddenSize: 1 };
  const rows = ARCHITECTURES.map((name) => {
    const module = ARCHITECTURE_MODULES[name];
    const parameters = module.parameters(shape).map((p) => (p.encoder ? `**${p.name}**` : p.name)).join(', ');
    const options = module.reads.map((key) => `\`${key}\``).join(', ') || '—';
    const output = module.linearOutput ? 'linear' : 'sigmoid';
    return `| \`${name}\` | ${module.summary} | ${parameters} | ${options} | > ${module.activeThreshold} | ${output} |`;
  });
  return [
    '| architecture | what it is | parameters (**read by encode**) | options it reads | active when | decoder output |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n') + '\n';
}

/** The README's list of the architectures, one line each from the registry (a new one appears with its line). */
export function renderArchitectureList(): string {
  return ARCHITECTURES.map((name) => `- \`${name}\`: ${ARCHITECTURE_MODULES[name].summary}`).join('\n') + '\n';
}
