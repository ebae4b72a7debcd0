/**
 * A longer fuzzing run than `npm test`'s: runs test/worker/fuzz.test.ts inside workerd with more
 * cases and a seed of your choice (random when not given; printed either way, so a failure can be
 * replayed with the same seed).
 *
 *   npm run fuzz                          # 20,000 cases, a random seed
 *   npm run fuzz -- --runs 100000         # more
 *   npm run fuzz -- --seed 12345 --runs 2000   # replay a run
 *   npm run fuzz -- --debug               # also print the refused admin requests with shaped bodies
 */
import { parseArgs } from 'node:util';
import { startVitest } from 'vitest/node';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '20000' }, seed: { type: 'string' }, debug: { type: 'boolean', default: false } },
});
const fuzzRuns = Number(values.runs);
const fuzzSeed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isInteger(fuzzRuns) || fuzzRuns < 1 || !Number.isInteger(fuzzSeed)) {
  console.error('usage: npm run fuzz -- [--runs N] [--seed S]');
  process.exit(2);
}
console.log(`fuzz: seed ${fuzzSeed}, ${fuzzRuns} cases`);

const vitest = await startVitest('test', ['test/worker/fuzz.test.ts'], {
  config: 'vitest.workers.config.ts',
  provide: { fuzzRuns, fuzzSeed, fuzzDebug: values.debug },
  watch: false,
});
const failed = !vitest || vitest.state.getCountOfFailedTests() > 0 || process.exitCode === 1;
await vitest?.close();
console.log(`fuzz: seed ${fuzzSeed}, ${fuzzRuns} cases: ${failed ? 'FAILED' : 'passed'}`);
process.exit(failed ? 1 : 0);
