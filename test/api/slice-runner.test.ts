/**
 * A job's slice stays within its budget when reads are slow (issue 24, item 3; src/api/jobs/
 * slice-runner.ts), on a virtual clock: a trainer whose steps cost 5 ms and whose window reads
 * (every 64 steps) cost 600 ms, and a metrics pass whose units (a shard read and measured) cost
 * 320 ms. The scale e2e's longest slices were such reads: a slice of steps that read two windows
 * (1.4 s) and a metrics slice whose last unit began just before 70 % of the budget.
 */
import { describe, expect, it } from 'vitest';
import { measureWithin, PieceTimes, runStepsWithin, type SliceClock, type SliceWork } from '../../src/api/jobs/slice-runner.js';

const BUDGET_MS = 1000;
/** The checkpoint's write after the compute (the e2e measured 57 ms under load). */
const WRITE_MS = 60;

class FakeTrainer implements SliceWork {
  now = 0;
  step = 0;
  units = 0;
  constructor(
    readonly totalSteps: number,
    readonly windowSteps: number,
    readonly stepMs: number,
    readonly readMs: number,
    readonly totalUnits: number,
    readonly unitMs: number,
  ) {}
  /** The window in memory: the steps of [loadedFrom, loadedFrom + windowSteps), or none. */
  private loadedFrom: number | null = null;

  get done(): boolean {
    return this.step >= this.totalSteps;
  }
  get stepsBeforeRead(): number {
    if (this.loadedFrom === null) return 0;
    return Math.max(0, this.loadedFrom + this.windowSteps - this.step);
  }
  async runSteps(steps: number): Promise<void> {
    for (let s = 0; s < steps && !this.done; s++) {
      if (this.stepsBeforeRead === 0) {
        this.loadedFrom = this.step - (this.step % this.windowSteps);
        this.now += this.readMs;
      }
      this.now += this.stepMs;
      this.step += 1;
    }
  }
  async measure(): Promise<boolean> {
    this.now += this.unitMs;
    this.units += 1;
    return this.units >= this.totalUnits;
  }
  /** The object was evicted: the next slice reads its window again. */
  evict(): void {
    this.loadedFrom = null;
  }
}

function clockOf(trainer: FakeTrainer, yields: { count: number; stopAt?: number }): SliceClock {
  return {
    now: () => trainer.now,
    yield: async () => {
      yields.count += 1;
      return yields.stopAt === undefined || yields.count < yields.stopAt;
    },
    piece: (run) => run(),
  };
}

describe('a slice within its budget', () => {
  it('should end each slice of steps before a window read it has no time for, and take every step', async () => {
    const trainer = new FakeTrainer(3908, 64, 5, 600, 0, 0);
    const times = new PieceTimes();
    const walls: number[] = [];
    let planned = 140; // what a slice of 700 ms of 5 ms steps plans
    for (let slice = 0; !trainer.done; slice++) {
      if (slice === 10) trainer.evict(); // a restart: the first slice after it reads a window first
      const start = trainer.now;
      const { outcome, steps } = await runStepsWithin(trainer, clockOf(trainer, { count: 0 }), times, start, planned, BUDGET_MS);
      expect(outcome).toBe('stepped');
      expect(steps).toBeGreaterThan(0);
      trainer.now += WRITE_MS;
      walls.push(trainer.now - start);
      planned = Math.max(1, Math.min(Math.floor((steps * 700) / (trainer.now - start)), steps * 4));
    }
    expect(trainer.step).toBe(3908);
    expect(Math.max(...walls)).toBeLessThanOrEqual(BUDGET_MS);
  });

  it('should begin no metrics unit the slice has no time left for, and finish the pass', async () => {
    const trainer = new FakeTrainer(0, 1, 0, 0, 123, 320);
    const times = new PieceTimes();
    const walls: number[] = [];
    for (let outcome = 'stepped'; outcome !== 'measured'; ) {
      const start = trainer.now;
      outcome = await measureWithin(trainer, clockOf(trainer, { count: 0 }), times, start, BUDGET_MS);
      trainer.now += WRITE_MS;
      walls.push(trainer.now - start);
    }
    expect(trainer.units).toBe(123);
    expect(Math.max(...walls)).toBeLessThanOrEqual(BUDGET_MS);
  });

  it('should run at least one piece a slice, even one longer than the budget (a huge step)', async () => {
    const trainer = new FakeTrainer(3, 64, 1500, 0, 0, 0);
    const { steps } = await runStepsWithin(trainer, clockOf(trainer, { count: 0 }), new PieceTimes(), 0, 3, BUDGET_MS);
    expect(steps).toBe(1);
  });

  it('should stop when a yield says so (a cancel meanwhile)', async () => {
    const trainer = new FakeTrainer(1000, 1000, 1, 0, 0, 0);
    const result = await runStepsWithin(trainer, clockOf(trainer, { count: 0, stopAt: 2 }), new PieceTimes(), 0, 500, BUDGET_MS);
    expect(result.outcome).toBe('stopped');
    expect(trainer.step).toBeLessThan(500);
  });
});
