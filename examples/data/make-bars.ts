/**
 * Writes examples/data/bars.csv, the sample data the README's first steps train on: the
 * playground's "use example data" rows (src/playground/pasted-data.ts), so the file, the
 * playground and the presets of src/model/presets.ts all speak of the same data.
 *
 * 200 rows of 16 columns: a 4×4 image each, 0 or 1 a pixel, made of bars. Each of the 4
 * horizontal and 4 vertical bars is on with probability 0.3 (a seeded generator), so a row is the
 * union of about 2.4 of 8 bars: data with a small dictionary (8 atoms) and sparse causes, the
 * "bars problem" of Földiák (1990) that sparse coding is meant to recover.
 *
 * Run: npx tsx examples/data/make-bars.ts   (test/examples/sample-data.test.ts checks the file is current)
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exampleCsv } from '../../src/playground/pasted-data.js';

export const BARS_CSV = fileURLToPath(new URL('./bars.csv', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(BARS_CSV, exampleCsv());
  console.log(`wrote ${BARS_CSV}`);
}
