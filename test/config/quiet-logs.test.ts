/**
 * `npm test`'s output: the lines a passing test logs (the fault-injecting tests make the code log
 * what a deployment would, which reads like errors) are not shown, and a failing test's are, so
 * silencing the expected lines hides no real failure. Runs vitest with the repository's config on
 * a fixture of one passing and one failing test that both log.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

describe('console output of the tests', () => {
  it('should hide what a passing test logs and show what a failing test logs', () => {
    const run = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', 'test/config/fixtures/console.vitest.config.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', CI: '1' },
      timeout: 120_000,
    });
    const output = run.stdout + run.stderr;
    expect(run.status, output).toBe(1);
    expect(output).toMatch(/1 failed \| 1 passed/);
    expect(output).toContain('fixture-failing-line');
    expect(output).not.toContain('fixture-expected-line');
  }, 130_000);
});
