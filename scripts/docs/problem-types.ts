/** docs/API.md's list of problem types, from the one table of them (src/api/problem-types.ts). */
import { PROBLEM_TYPES } from '../../src/api/problem-types.js';

export function renderProblemTypes(): string {
  const rows = Object.entries(PROBLEM_TYPES).map(([slug, when]) => `| \`${slug}\` | ${when} |`);
  return ['| type (`urn:edge-sae:problem:…`) | when |', '|---|---|', ...rows].join('\n') + '\n';
}
