/**
 * How a job's slice spends its budget: compute in pieces, with a yield between pieces (where the
 * object answers status, cancel and event polls), and no piece begun that the slice has no time
 * left for. A piece of optimizer steps either reads a window of shards first or reads nothing: the
 * pieces are cut at the window's end (JobTrainer.stepsBeforeRead), and a read is begun only when
 * the last read's time fits too. A metrics unit (one shard read and measured) is begun only when
 * the last unit's time fits. The first piece of a slice always runs, so every slice makes progress.
 *
 * Before, a slice took its planned steps whatever they read, and the metrics pass checked the
 * time only after each unit: the scale e2e's longest slices (1.4 s, 2.0 s against 1 s) were a
 * slice that read two windows, and a metrics slice whose last unit began just before 70 % of the
 * budget (docs/JOBS.md, Answering while running). Slice boundaries change nothing in the math.
 */

/** What a slice runs: a job's trainer (src/jobs/job-trainer.ts). */
export interface SliceWork {
  readonly done: boolean;
  /** Steps that run without reading a shard (0: the next step reads a window). */
  readonly stepsBeforeRead: number;
  runSteps(steps: number): Promise<unknown>;
  /** One unit of the final metrics pass; resolves whether the pass is finished. */
  measure(units: number): Promise<boolean>;
}

export interface SliceClock {
  now(): number;
  /** Lets the requests that arrived meanwhile run; false when the slice must stop (a cancel, a dropped run). */
  yield(): Promise<boolean>;
  /** Runs one piece of compute (counted into the slice's stats by the caller). */
  piece<T>(run: () => Promise<T>): Promise<T>;
}

/** The compute of a slice aims to end by this fraction of the budget; the checkpoint write follows. */
export const SLICE_TARGET = 0.7;
/** Compute between two yields, aimed at (bounds how long a status read waits). */
export const YIELD_MS = 50;

/**
 * Wall times of recent pieces, kept by the job's object across slices (lost on a restart, which
 * only makes the next slice's first estimates 0). An estimate follows a rise at once and decays
 * by a quarter a measurement, so one slow read is remembered for a few.
 */
export class PieceTimes {
  /** Per optimizer step, of pieces that read nothing. */
  stepMs = 0;
  /** A window's read (a piece's time beyond its steps'). */
  readMs = 0;
  /** A metrics unit. */
  unitMs = 0;

  static follow(estimate: number, measured: number): number {
    return Math.max(measured, estimate * 0.75);
  }
}

export type SliceOutcome = 'stepped' | 'measured' | 'stopped';

/**
 * Takes up to `steps` optimizer steps in pieces, until the slice's time (from `sliceStart`) would
 * pass SLICE_TARGET of `budgetMs`; resolves the steps taken and how the slice ended.
 */
export async function runStepsWithin(
  work: SliceWork,
  clock: SliceClock,
  times: PieceTimes,
  sliceStart: number,
  steps: number,
  budgetMs: number,
): Promise<{ outcome: SliceOutcome; steps: number }> {
  const deadline = sliceStart + budgetMs * SLICE_TARGET;
  // Steps a piece: from the measured time per step, or (none yet) from the slice's planned steps.
  const pieceSteps = () => Math.max(1, Math.floor(times.stepMs > 0 ? YIELD_MS / times.stepMs : (steps * YIELD_MS) / (budgetMs * SLICE_TARGET)));
  let taken = 0;
  for (let first = true; taken < steps && !work.done; first = false) {
    const before = work.stepsBeforeRead;
    const reads = before === 0;
    const n = Math.min(pieceSteps(), steps - taken, reads ? Infinity : before);
    const estimate = n * times.stepMs + (reads ? times.readMs : 0);
    if (!first && clock.now() + estimate > deadline) break;
    if (!first && !(await clock.yield())) return { outcome: 'stopped', steps: taken };
    const start = clock.now();
    await clock.piece(() => work.runSteps(n));
    const ms = clock.now() - start;
    taken += n;
    if (reads) times.readMs = PieceTimes.follow(times.readMs, Math.max(0, ms - n * times.stepMs));
    else times.stepMs = PieceTimes.follow(times.stepMs, ms / n);
  }
  return { outcome: 'stepped', steps: taken };
}

/**
 * Runs the final metrics pass a unit at a time until it ends or the next unit would pass
 * SLICE_TARGET of `budgetMs` (by the last units' time); the checkpoint after the slice keeps the
 * pass's sums.
 */
export async function measureWithin(work: SliceWork, clock: SliceClock, times: PieceTimes, sliceStart: number, budgetMs: number): Promise<SliceOutcome> {
  const deadline = sliceStart + budgetMs * SLICE_TARGET;
  for (let first = true; ; first = false) {
    if (!first) {
      if (clock.now() + times.unitMs > deadline) return 'stepped';
      if (!(await clock.yield())) return 'stopped';
    }
    const start = clock.now();
    const finished = await clock.piece(() => work.measure(1));
    times.unitMs = PieceTimes.follow(times.unitMs, clock.now() - start);
    if (finished) return 'measured';
  }
}
