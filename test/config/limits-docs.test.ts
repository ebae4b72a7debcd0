/**
 * The limits' tables in docs/API.md and docs/JOBS.md are copies for readers of LIMIT_VARS
 * (src/api/limits.ts, the one declaration): every limit is in one of them with its default, and
 * they list no limit the code does not have.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIMIT_VARS } from '../../src/api/limits.js';
import { ROOT } from '../helpers/wrangler-dev.js';

describe('the limits in the docs', () => {
  it('should list every limit of LIMIT_VARS with its default, and no other', () => {
    const documented = new Map<string, number>();
    for (const doc of ['API.md', 'JOBS.md']) {
      for (const [, name, value] of readFileSync(join(ROOT, 'docs', doc), 'utf8').matchAll(/^\| `([A-Z][A-Z_]+)` \| ([^ |]+)/gm)) {
        documented.set(name!, Number(value));
      }
    }
    const declared = new Map(Object.values(LIMIT_VARS).map((spec) => [spec.name, spec.default] as [string, number]));
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(declared));
  });
});
