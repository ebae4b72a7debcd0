/** docs/API.md's table of limits, from the one declaration of them (LIMIT_VARS in src/api/limits.ts). */
import { LIMIT_VARS } from '../../src/api/limits.js';

const MiB = 2 ** 20;

/** The default as people read it: bytes in MiB, large powers of two as 2^k, big round numbers in e-notation. */
function showDefault(name: string, value: number): string {
  if (name.endsWith('_BYTES') && value % MiB === 0) return `${value} (${value / MiB} MiB)`;
  const log2 = Math.log2(value);
  if (Number.isInteger(log2) && log2 >= 20) return `${value} (2^${log2})`;
  if (value >= 1e9 && Number.isInteger(Math.log10(value / Number(String(value)[0])))) return value.toExponential().replace('e+', 'e');
  return String(value);
}

export function renderLimits(): string {
  const rows = Object.values(LIMIT_VARS).map((spec) => {
    const over = 'over' in spec ? spec.over : '413';
    return `| \`${spec.name}\` | ${showDefault(spec.name, spec.default)} | ${spec.description} | ${over} |`;
  });
  return ['| var | default | what | over it |', '|---|---|---|---|', ...rows].join('\n') + '\n';
}
