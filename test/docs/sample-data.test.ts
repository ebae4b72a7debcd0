/**
 * The sample data the README trains on is what its script writes (examples/data/make-bars.ts):
 * the playground's example rows, 200 × 16 of 0 and 1, so the file, the playground and the presets
 * measured in docs/SPARSITY.md are about the same data.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDataFile } from '../../src/data/read-file.js';
import { exampleCsv } from '../../src/playground/pasted-data.js';
import { REPO_ROOT } from '../helpers/cli.js';

const FILE = join(REPO_ROOT, 'examples/data/bars.csv');

describe('examples/data/bars.csv', () => {
  it('should be what examples/data/make-bars.ts writes (npx tsx examples/data/make-bars.ts)', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(exampleCsv());
  });

  it('should be 200 rows of 4×4 images of bars, as the README says', () => {
    const { matrix } = readDataFile(FILE);
    expect([matrix.rows, matrix.cols]).toEqual([200, 16]);
    for (let r = 0; r < matrix.rows; r++) {
      const pixel = (x: number, y: number) => matrix.data[r * 16 + y * 4 + x]!;
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 4; x++) {
          const on = pixel(x, y);
          expect([0, 1]).toContain(on);
          // A lit pixel is on a lit bar: its whole row or its whole column is lit.
          if (on === 1) expect([0, 1, 2, 3].every((i) => pixel(i, y) === 1) || [0, 1, 2, 3].every((i) => pixel(x, i) === 1)).toBe(true);
        }
      }
    }
  });
});
