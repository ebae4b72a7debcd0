/** Training progress: a bar redrawn in place on a terminal, plain (or JSON) lines elsewhere. */
import { describe, expect, it } from 'vitest';
import { barLine, createProgressReporter, formatDuration, progressStyle } from '../../src/cli/progress.js';

/** Feeds `epochs` epochs, one every `msPerEpoch` of a fake clock, and returns what was written. */
function run(style: Parameters<typeof createProgressReporter>[0], epochs: number, msPerEpoch: number, columns?: number): string {
  let clock = 0;
  let out = '';
  const progress = createProgressReporter(style, { write: (t) => void (out += t), now: () => clock, ...(columns ? { columns } : {}) });
  for (let epoch = 1; epoch <= epochs; epoch++) {
    clock += msPerEpoch;
    progress.update({ epoch, epochs, loss: 1 / epoch });
  }
  progress.done();
  return out;
}

describe('progress', () => {
  it('should pick the style from --quiet, --json and the terminal', () => {
    expect(progressStyle({ quiet: true, json: false, isTTY: true })).toBe('none');
    expect(progressStyle({ quiet: false, json: true, isTTY: true })).toBe('bar');
    expect(progressStyle({ quiet: false, json: false, isTTY: false })).toBe('lines');
    expect(progressStyle({ quiet: false, json: true, isTTY: false })).toBe('json-lines');
  });

  it('should redraw a bar with epoch, loss and ETA at most ten times a second, ending the line', () => {
    const out = run('bar', 1000, 5, 100);
    const frames = out.split('\r').filter(Boolean);
    // 5 s of training at ≤ 10 frames a second, plus the last epoch.
    expect(frames.length).toBeGreaterThan(40);
    expect(frames.length).toBeLessThanOrEqual(52);
    expect(frames[0]).toMatch(/^epoch +1\/1000 \[-+\] +0%  loss \S+  eta \?\x1b\[K$/);
    expect(frames[1]).toMatch(/^epoch +\d+\/1000 \[#*-+\] +\d+%  loss \S+  eta \d+:\d\d\x1b\[K$/);
    expect(frames.at(-1)).toMatch(/^epoch 1000\/1000 \[#{40}\] 100%  loss 0\.00100000  took 0:05\x1b\[K\n$/);
    for (const frame of frames) expect(frame.replace('\x1b[K', '').trimEnd().length).toBeLessThan(100);
  });

  it('should drop the bar on a narrow terminal, never wrapping', () => {
    const line = barLine(5, 10, 0.5, 1000, 1000, 40);
    expect(line.length).toBeLessThanOrEqual(39);
    expect(line).not.toContain('[');
  });

  it('should print a plain line at every tenth of the run when not a terminal', () => {
    const lines = run('lines', 1000, 1).trimEnd().split('\n');
    expect(lines).toHaveLength(11); // epoch 1, then 100, 200, …, 1000
    expect(lines[0]).toMatch(/^epoch 1\/1000  loss 1\.00000  elapsed 0:00  eta \?$/); // one epoch gives no rate yet
    expect(lines[1]).toMatch(/^epoch 100\/1000  loss 0\.0100000  elapsed 0:00  eta 0:01$/);
    expect(lines.at(-1)).toMatch(/^epoch 1000\/1000  loss 0\.00100000  elapsed 0:01  eta 0:00$/);
    expect(lines.join('')).not.toContain('\r');
  });

  it('should estimate the time left from the epochs after the first, which also pays the run\'s start-up', () => {
    // 2.3 s before the first epoch ends (kernels loading, b_dec's pass over the data), then 1 ms an epoch.
    let clock = 0;
    let out = '';
    const progress = createProgressReporter('json-lines', { write: (t) => void (out += t), now: () => clock });
    for (let epoch = 1; epoch <= 100; epoch++) {
      clock += epoch === 1 ? 2300 : 1;
      progress.update({ epoch, epochs: 100, loss: 1 });
    }
    const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l) as { epoch: number; etaSeconds: number | null });
    expect(lines[0]).toMatchObject({ epoch: 1, etaSeconds: null });
    // At epoch 10: 9 epochs in 9 ms since the first, 90 left: 0.09 s (from the start it said 20.8 s).
    expect(lines[1]).toMatchObject({ epoch: 10, etaSeconds: 0.09 });
    expect(lines.at(-1)).toMatchObject({ epoch: 100, etaSeconds: 0 });
  });

  it('should also print a line every ten seconds of a slow run', () => {
    // 100 epochs of 3 s: a tenth of the run is 30 s, so the ten-second rule adds lines between.
    const lines = run('lines', 100, 3_000).trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(28);
    expect(lines.length).toBeLessThanOrEqual(36);
  });

  it('should print JSON lines with --json when not a terminal', () => {
    const lines = run('json-lines', 10, 100).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(10);
    expect(lines[9]).toEqual({ event: 'progress', epoch: 10, epochs: 10, loss: 0.1, elapsedSeconds: 1, etaSeconds: 0 });
  });

  it('should print nothing when quiet', () => {
    expect(run('none', 100, 10)).toBe('');
  });

  it('should format durations', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(61_000)).toBe('1:01');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(Number.NaN)).toBe('?');
  });
});
