/**
 * Sweeps through the CLI: the same 4 trials with `--jobs 2` (two worker threads at once) and with
 * `--jobs 1` (one after another), wall time of the whole `edge-sae sweep` process, the lower of
 * two runs each. Issue 17's target: ≥ 1.7× on 2 cores.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isCliBuilt, REPO_ROOT, runCli } from '../test/helpers/cli.js';
import { mulberry32 } from '../test/helpers/random.js';
import type { BenchRecord } from './harness.js';

const ROWS = 4000;
const COLS = 64;
const GRID = 'hidden=64,128;learningRate=0.001,0.003';
export const SWEEP_SHAPE = `4 trials, ${ROWS}×${COLS} → 64|128, 100 epochs, batch 64`;

export async function benchSweep(): Promise<BenchRecord[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'edge-sae-bench-sweep-'));
  try {
    const rng = mulberry32(17);
    const data = path.join(dir, 'data.csv');
    writeFileSync(data, `${Array.from({ length: ROWS }, () => Array.from({ length: COLS }, () => rng().toFixed(4)).join(',')).join('\n')}\n`);
    const wall = async (jobs: number): Promise<number> => {
      let best = Infinity;
      for (let run = 0; run < 2; run++) {
        const started = performance.now();
        const result = await runCli(['sweep', '--data', data, '--grid', GRID, '--epochs', '100', '--batch-size', '64', '--backend', 'assemblyscript', '--jobs', String(jobs), '--quiet'], { cwd: REPO_ROOT, timeoutMs: 600_000, mode: isCliBuilt() ? 'bin' : 'tsx' });
        if (result.code !== 0) throw new Error(`edge-sae sweep --jobs ${jobs} failed: ${result.stderr}`);
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    const sequential = await wall(1);
    const parallel = await wall(2);
    return [
      { name: 'sweep, --jobs 1', backend: 'assemblyscript', shape: SWEEP_SHAPE, figure: sequential, unit: 'ms' },
      { name: 'sweep, --jobs 2', backend: 'assemblyscript', shape: SWEEP_SHAPE, figure: parallel, unit: 'ms' },
      { name: 'sweep speed-up, --jobs 2', backend: 'assemblyscript', shape: SWEEP_SHAPE, figure: sequential / parallel, unit: '×' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
