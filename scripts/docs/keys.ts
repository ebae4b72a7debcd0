/**
 * docs/API.md's Keys section: the table of scopes (each scope of src/api/scopes.ts, what it
 * allows, the operations whose security requirement names it in the app's OpenAPI document, and
 * whether the bootstrap ENCODE_TOKENS hold it), and the revocation bound (KEY_CACHE_MS).
 */
import { KEY_CACHE_MS } from '../../src/api/limits.js';
import { ENCODE_SCOPES, SCOPES, type Scope } from '../../src/api/scopes.js';
import type { OpenApiDocument } from './openapi.js';

export function renderScopes(doc: OpenApiDocument): string {
  const operations = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(doc.paths).sort(([a], [b]) => a.localeCompare(b))) {
    for (const [method, operation] of Object.entries(methods)) {
      const scope = Object.values(operation.security?.[0] ?? {})[0]?.[0];
      if (scope === undefined) continue;
      operations.set(scope, [...(operations.get(scope) ?? []), `\`${method.toUpperCase()} ${path}\``]);
    }
  }
  const rows = (Object.entries(SCOPES) as [Scope, string][]).map(
    ([scope, allows]) => `| \`${scope}\` | ${allows} | ${(operations.get(scope) ?? []).join(', ') || '—'} | ${ENCODE_SCOPES.includes(scope) ? 'yes' : '—'} |`,
  );
  return ['| scope | allows | operations | `ENCODE_TOKENS` |', '|---|---|---|---|', ...rows].join('\n') + '\n';
}

/** The bound on revocation, inline: "2 s". */
export function renderKeyCacheBound(): string {
  return `${KEY_CACHE_MS / 1000} s`;
}
