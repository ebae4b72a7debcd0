/**
 * The Worker's zod (src/api/zod-bundle/, aliased for "zod" in wrangler.toml) is zod minus its
 * locales: every other export of zod and of zod/v4/core is there, and they are zod's own objects
 * (not copies), so an upgrade of zod that adds or moves an export fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zod from 'zod';
import * as zodCore from 'zod/v4/core';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JS without declarations (the Worker bundle's alias target)
import * as bundled from '../../src/api/zod-bundle/index.js';
import { ROOT } from '../helpers/wrangler-dev.js';

const without = (names: string[], dropped: string) => names.filter((name) => name !== dropped).sort();

describe("the Worker's zod", () => {
  it('should export everything zod exports but its locales, as the same objects', () => {
    const ours = bundled as Record<string, unknown>;
    expect(Object.keys(ours).sort()).toEqual(without(Object.keys(zod), 'locales'));
    for (const name of Object.keys(ours)) if (name !== 'z' && name !== 'default' && name !== 'core') expect(ours[name], name).toBe((zod as Record<string, unknown>)[name]);
    const core = ours.core as Record<string, unknown>;
    expect(Object.keys(core).sort()).toEqual(without(Object.keys(zodCore), 'locales'));
    for (const name of Object.keys(core)) expect(core[name], `core.${name}`).toBe((zodCore as Record<string, unknown>)[name]);
  });

  it('should be what wrangler.toml aliases "zod" to', () => {
    expect(readFileSync(join(ROOT, 'wrangler.toml'), 'utf8')).toMatch(/\[alias\]\n"zod" = "\.\/src\/api\/zod-bundle\/index\.js"/);
  });
});
