/**
 * The backend conformance suite (suite.ts) on every Node backend — assemblyscript, tfjs-wasm,
 * tfjs-cpu — and on the float64 reference backend as a sanity run of the suite itself; then the
 * real backends' 100-epoch training runs compared pairwise; and the relu and topk models on every
 * real backend (architectures.ts).
 */
import { describe, it } from 'vitest';

import { expectAllClose } from '../helpers/allclose.js';
import { PARAMETER_NAMES } from '../helpers/parameters.js';
import { describeArchitectureConformance } from './architectures.js';
import { REAL_BACKENDS, TRAINING_CASES, loadBackend, report, trainedOn } from './fixtures.js';
import { TRAINED_CODES_ABS, TRAINED_WEIGHTS_ABS, describeBackendConformance } from './suite.js';

describeBackendConformance('reference', () => loadBackend('reference'), { float32: false });
for (const name of REAL_BACKENDS) describeBackendConformance(name, () => loadBackend(name));
for (const name of REAL_BACKENDS) describeArchitectureConformance(name, () => loadBackend(name));

describe('across backends: 100-epoch training from the same init and seed', () => {
  const pairs = REAL_BACKENDS.flatMap((a, i) => REAL_BACKENDS.slice(i + 1).map((b) => ({ a, b })));
  describe.each(TRAINING_CASES)('$label', (c) => {
    it.each(pairs)('$a and $b should agree on final weights and codes', async ({ a, b }) => {
      const [ra, rb] = await Promise.all([trainedOn(a, c), trainedOn(b, c)]);
      for (const k of PARAMETER_NAMES) {
        report(`${a} vs ${b} ${c.label} ${k}`, ra.parameters[k], rb.parameters[k]);
        expectAllClose(ra.parameters[k], rb.parameters[k], { atol: TRAINED_WEIGHTS_ABS, rtol: 0 }, `${k}: ${a} vs ${b}`);
      }
      report(`${a} vs ${b} ${c.label} codes`, ra.codes, rb.codes);
      expectAllClose(ra.codes, rb.codes, { atol: TRAINED_CODES_ABS, rtol: 0 }, `codes: ${a} vs ${b}`);
    });
  });
});
