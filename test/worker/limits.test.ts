import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api/problem.js';
import { checkTrainingWork, LIMIT_VARS, readLimits, trainingFlops } from '../../src/api/limits.js';
import { newId } from '../../src/api/storage-keys.js';
import { constantTimeEqual } from '../../src/api/auth.js';

describe('limits', () => {
  it('should use the defaults, overridden by numeric vars, ignoring unusable ones', () => {
    const defaults = readLimits({});
    for (const [key, spec] of Object.entries(LIMIT_VARS)) expect(defaults[key as keyof typeof defaults]).toBe(spec.default);
    const limits = readLimits({ MAX_ROWS: '12', MAX_EPOCHS: 5, MAX_TRAIN_FLOPS: '1e6', MAX_COLUMNS: 'lots', MAX_CELLS: '-3', MAX_HIDDEN_SIZE: '' });
    expect(limits).toMatchObject({ maxRows: 12, maxEpochs: 5, maxTrainFlops: 1e6 });
    expect(limits.maxColumns).toBe(LIMIT_VARS.maxColumns.default);
    expect(limits.maxCells).toBe(LIMIT_VARS.maxCells.default);
    expect(limits.maxHiddenSize).toBe(LIMIT_VARS.maxHiddenSize.default);
  });

  it('should estimate training work and refuse what is over budget with 413', () => {
    expect(trainingFlops(10, 4, 12, 100)).toBe(12 * 10 * 4 * 12 * 100);
    const limits = readLimits({ MAX_TRAIN_FLOPS: '1000000' });
    expect(() => checkTrainingWork(limits, 10, 4, 12, 100)).not.toThrow();
    try {
      checkTrainingWork(limits, 100, 4, 12, 1000);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(413);
      expect((error as ApiError).problem.detail).toMatch(/MAX_TRAIN_FLOPS = 1000000.*\/v1\/jobs/);
    }
  });
});

describe('model ids and token comparison', () => {
  it('should make unguessable ids: 32 base32 characters (160 random bits), all distinct', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[a-z2-7]{32}$/);
  });

  it('should compare digests exactly', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false);
  });
});
