/**
 * What every benchmark shares: the record type, the clock, the timing loops and seeded test data.
 *
 * The clock is the process's CPU time (`process.cpuUsage`, user + system), not wall time: the
 * machines these run on are shared, and time spent descheduled is not the kernels' cost. Node's
 * helper threads (GC, compiler) add to it, so a figure can only err on the slow side.
 *
 * A figure is always the median of `repeats` timed runs taken after a warm-up (which lets V8 tier
 * the wasm and the JavaScript up to its optimizing compilers). A timed run repeats the measured call
 * until it has lasted `minRunMs` and divides, so calls far shorter than the timer's resolution are
 * still timed well. A call that is slow on its own (over `slowCallMs` in the warm-up) is timed one
 * call a run, `slowRepeats` times, so the slow baselines (tfjs-cpu at 784 columns) keep the whole
 * run short.
 */
import { loadavg } from 'node:os';

/** One measurement. `figure` is in `unit` (GFLOPS, ms, epochs, …). */
export interface BenchRecord {
  name: string;
  backend: string;
  shape: string;
  figure: number;
  unit: string;
}

export interface TimingOptions {
  repeats: number;
  /** Repeats for a call slower than `slowCallMs`. */
  slowRepeats: number;
  slowCallMs: number;
  /** Minimum length of one timed run (ms). */
  minRunMs: number;
  /** Minimum warm-up (ms); at least `minWarmupCalls` calls are made. */
  warmupMs: number;
  minWarmupCalls: number;
}

export const DEFAULT_TIMING: TimingOptions = {
  repeats: 9,
  slowRepeats: 3,
  slowCallMs: 60,
  minRunMs: 40,
  warmupMs: 150,
  minWarmupCalls: 2,
};

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** CPU milliseconds used by this process so far. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Milliseconds a call over one run of at least `minRunMs` (CPU time). */
function timedRun(call: () => void, minRunMs: number): number {
  let n = 0;
  const start = cpuMs();
  let elapsed = 0;
  do {
    call();
    n++;
    elapsed = cpuMs() - start;
  } while (elapsed < minRunMs);
  return elapsed / n;
}

/**
 * Milliseconds a call of each of `calls`, one figure a round, measured in alternation: every round
 * times one run of each, so load that comes and goes falls on all of them alike and their ratios
 * hold (compare figures of the same round: see pairedRatio). `setups[name]`, when given, runs
 * before each run of that call (the warm-up's too), untimed: with minRunMs 0 a run is one call, so
 * each call then starts from the state the setup puts back.
 */
export function timeInterleavedRounds(calls: Readonly<Record<string, () => void>>, options: Partial<TimingOptions> = {}, setups: Readonly<Record<string, () => void>> = {}): Record<string, number[]> {
  const o = { ...DEFAULT_TIMING, ...options };
  const names = Object.keys(calls);
  const run = (name: string, minRunMs: number) => {
    setups[name]?.();
    return timedRun(calls[name]!, minRunMs);
  };
  for (const name of names) run(name, o.warmupMs);
  const figures: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let r = 0; r < o.repeats; r++) {
    for (const name of names) figures[name]!.push(run(name, o.minRunMs));
  }
  return figures;
}

/**
 * timeInterleavedRounds for calls that may return promises (onnxruntime's run): each is awaited.
 * Two warm-up calls each, then `repeats` rounds, each call repeated until `minRunMs` of CPU time.
 */
export async function timeInterleavedRoundsAsync(calls: Readonly<Record<string, () => unknown>>, repeats: number, minRunMs: number): Promise<Record<string, number[]>> {
  const names = Object.keys(calls);
  for (const name of names) {
    await calls[name]!();
    await calls[name]!();
  }
  const out: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let r = 0; r < repeats; r++) {
    for (const name of names) {
      let count = 0;
      const start = cpuMs();
      do {
        await calls[name]!();
        count++;
      } while (cpuMs() - start < minRunMs);
      out[name]!.push((cpuMs() - start) / count);
    }
  }
  return out;
}

/** Median milliseconds a call of each of `calls`, measured in alternation (timeInterleavedRounds). */
export function timeInterleaved(calls: Readonly<Record<string, () => void>>, options: Partial<TimingOptions> = {}): Record<string, number> {
  const rounds = timeInterleavedRounds(calls, options);
  return Object.fromEntries(Object.entries(rounds).map(([name, ms]) => [name, median(ms)]));
}

/**
 * The median over rounds of slower[r] / faster[r]: how many times faster one call is than another,
 * each round's two figures taken back to back, so a slow round (another job on the machine) slows
 * both and leaves its ratio alone.
 */
export function pairedRatio(slowerMs: readonly number[], fasterMs: readonly number[]): number {
  if (slowerMs.length !== fasterMs.length || slowerMs.length === 0) throw new Error('pairedRatio: the rounds do not pair up');
  return median(slowerMs.map((ms, r) => ms / fasterMs[r]!));
}

/** Median milliseconds a call of `call` (CPU time). */
export function timeCall(call: () => void, options: Partial<TimingOptions> = {}): number {
  const o = { ...DEFAULT_TIMING, ...options };
  const warmStart = cpuMs();
  let calls = 0;
  let lastMs = 0;
  while (calls < o.minWarmupCalls || (cpuMs() - warmStart < o.warmupMs && lastMs <= o.slowCallMs)) {
    const t = cpuMs();
    call();
    lastMs = cpuMs() - t;
    calls++;
  }
  const slow = lastMs > o.slowCallMs;
  const figures: number[] = [];
  for (let r = 0; r < (slow ? o.slowRepeats : o.repeats); r++) figures.push(timedRun(call, slow ? 0 : o.minRunMs));
  return median(figures);
}

/**
 * The 1-minute load average when a suite started and when it ended, as two records beside its
 * figures (named 'load average (1 min)', backend '<suite> start' or '<suite> end'): a figure from a
 * loaded machine says so where it is shown. `started` is loadavg()[0] taken at the start.
 */
export function loadRecords(suite: string, started: number, shape: string): BenchRecord[] {
  return [
    { name: 'load average (1 min)', backend: `${suite} start`, shape, figure: started, unit: 'runnable' },
    { name: 'load average (1 min)', backend: `${suite} end`, shape, figure: loadavg()[0]!, unit: 'runnable' },
  ];
}

/** Seeded xorshift32 values in [lo, hi). */
export function randomArray(count: number, seed: number, lo = -0.5, hi = 0.5): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = lo + ((state >>> 0) / 4294967296) * (hi - lo);
  }
  return out;
}
