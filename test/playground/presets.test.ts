/**
 * The playground's preset button sets the sparse sigmoid settings of src/model/presets.ts, the
 * ones docs/SPARSITY.md measures (issue 23: the old preset said "sparse codes" beside l0 46.58 of 48).
 */
import { describe, expect, it } from 'vitest';
import { SPARSE_PRESETS } from '../../src/model/presets.js';
import { MODEL_OPTIONS, TRAINING_OPTIONS } from '../../src/model/options.js';
import { QUICK_DEMO } from '../../src/playground/presets.js';

describe("the playground's preset", () => {
  it('should be SPARSE_PRESETS.sigmoid, every key an option of the form', () => {
    expect(QUICK_DEMO).toEqual({ ...SPARSE_PRESETS.sigmoid.config, ...SPARSE_PRESETS.sigmoid.training });
    for (const key of Object.keys(QUICK_DEMO)) expect(Object.keys({ ...MODEL_OPTIONS, ...TRAINING_OPTIONS }), key).toContain(key);
    // The playground's form is the sigmoid model's unless the preset says otherwise.
    expect('architecture' in QUICK_DEMO).toBe(false);
  });
});
