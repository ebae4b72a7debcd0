/** The options table of the README, from the one table of options (src/model/options.ts). */
import { flagOf, MODEL_OPTIONS, TRAINING_OPTIONS, type OptionSpec, type Range } from '../../src/model/options.js';

function range(spec: OptionSpec): string {
  if (spec.type === 'choice') return spec.choices.map((c) => `\`${c}\``).join(' \\| ');
  const r: Range = spec.range;
  const kind = spec.type === 'integer' ? 'integer' : spec.type === 'integers' ? 'integers (12,12,24), each' : 'number';
  if (r.min !== undefined && r.max !== undefined) return `${kind} in ${r.minExclusive ? '(' : '['}${r.min}, ${r.max}${r.maxExclusive ? ')' : ']'}`;
  if (r.min !== undefined) return `${kind} ${r.minExclusive ? '>' : '≥'} ${r.min}`;
  return kind;
}

function rows(group: string, table: Record<string, OptionSpec>): string[] {
  return Object.entries(table).map(
    ([key, spec]) =>
      `| \`${group}.${key}\` | ${range(spec)} | ${spec.default === null ? '—' : Array.isArray(spec.default) ? spec.default.join(',') || 'none' : `\`${spec.default}\``} | \`--${flagOf(key, spec)}\` | ${spec.description} |`,
  );
}

export function renderOptions(): string {
  return [
    '| option (API body) | values | default | CLI flag | what |',
    '|---|---|---|---|---|',
    ...rows('config', MODEL_OPTIONS),
    ...rows('training', TRAINING_OPTIONS),
  ].join('\n') + '\n';
}
