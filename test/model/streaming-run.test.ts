/**
 * Streamed training (docs/SPEC.md §2.1) over small data cut into small shards: one window equals
 * today's in-memory fit bit for bit; more windows visit rows in the order an independent plain
 * re-implementation of §2.1 below gives, resume exactly after any step, and hold at most a window.
 */
import { describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import type { BackendSession, KernelBackend, LossConfig } from '../../src/backends/types.js';
import { matrixShardSource } from '../../src/data/matrix-shard-source.js';
import type { Matrix } from '../../src/data/matrix.js';
import { WINDOW_SHARDS, type ShardSource } from '../../src/data/shard-source.js';
import { ConfigError, DataError } from '../../src/errors.js';
import { resolveTrainingOptions } from '../../src/model/config.js';
import { toModelFile } from '../../src/model/model-file.js';
import { normalizationFromRange } from '../../src/model/normalization.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { StreamingRun } from '../../src/model/streaming-run.js';
import { mulberry32 } from '../helpers/random.js';
import { ADAM, SUM_LOSS } from '../helpers/training-settings.js';

const backendPromise = loadNodeBackend('assemblyscript').then((b) => b.backend);

function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = mulberry32(seed);
  const data = new Float32Array(rows * cols);
  for (let k = 0; k < data.length; k++) data[k] = rng() * 4 - 1;
  return { rows, cols, data };
}

/** Rows whose column 0 is the row's own index (so a batch's rows name themselves), the rest in [0, 1). */
function indexedMatrix(rows: number, cols: number): Matrix {
  const m = randomMatrix(rows, cols, 11);
  for (let i = 0; i < rows; i++) m.data[i * cols] = i;
  return m;
}

// ---- §2.1 written out plainly, independent of src/model: the batches of each epoch as row ids.
function plainShuffle(values: number[], next: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const bound = i + 1;
    const limit = 4294967296 - (4294967296 % bound);
    let r: number;
    do r = next(); while (r >= limit);
    const j = r % bound;
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
}
function uint32Stream(seed: number): () => number {
  const float = mulberry32(seed);
  return () => float() * 4294967296;
}
function referenceBatches(rows: number, shardRows: number, epochs: number, batchSize: number, seed: number, spans: number[] = []): number[][][] {
  const shards = Math.ceil(rows / shardRows);
  const rowStream = uint32Stream((seed ^ 0x9e3779b9) >>> 0);
  const out: number[][][] = [];
  for (let e = 0; e < epochs; e++) {
    const order = Array.from({ length: shards }, (_, i) => i);
    plainShuffle(order, uint32Stream(Number((BigInt(seed) + 0x9e3779b9n * BigInt(e + 1)) % 2n ** 32n)));
    const sequence: number[] = [];
    const windowOf: number[] = [];
    for (let w = 0; w < shards; w += WINDOW_SHARDS) {
      const windowRows: number[] = [];
      for (const s of order.slice(w, w + WINDOW_SHARDS)) {
        for (let r = s * shardRows; r < Math.min((s + 1) * shardRows, rows); r++) windowRows.push(r);
      }
      const perm = windowRows.map((_, i) => i);
      plainShuffle(perm, rowStream);
      sequence.push(...perm.map((i) => windowRows[i]!));
      windowOf.push(...perm.map(() => w));
    }
    const batches: number[][] = [];
    for (let b = 0; b < rows; b += batchSize) {
      batches.push(sequence.slice(b, b + batchSize));
      spans.push(new Set(windowOf.slice(b, b + batchSize)).size);
    }
    out.push(batches);
  }
  return out;
}

/** A session that records, for each step, the column-0 values (row ids) of the rows it trained on. */
function recording(session: BackendSession, cols: number, log: string[], batches: number[][]): BackendSession {
  let data = new Float32Array(0);
  return new Proxy(session, {
    get(target, key) {
      if (key === 'setTrainingData') {
        return (x: Float32Array, rows: number) => {
          data = x.slice();
          target.setTrainingData(x, rows);
        };
      }
      if (key === 'trainStep') {
        return (indices: Uint32Array | null, loss: LossConfig, optimizer: typeof ADAM) => {
          batches.push(Array.from(indices ?? [], (i) => data[i * cols]!));
          log.push('step');
          return target.trainStep(indices, loss, optimizer);
        };
      }
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * A source that logs each read and checks, at each, that the run holds (or is reading) at most a
 * window, that the shard read is in it, and that no more than a window's shards were read since
 * the run last changed window (so no read-ahead, and nothing of the old window kept).
 */
function loggedSource(source: ShardSource, log: string[], held: () => readonly number[]): ShardSource & { maxLive: number } {
  let window: readonly number[] = [];
  let readsInWindow = 0;
  const logged = {
    ...source,
    maxLive: 0,
    readShard(index: number) {
      log.push(`read ${index}`);
      const now = held();
      if (now !== window) [window, readsInWindow] = [now, 0];
      readsInWindow += 1;
      expect(now).toContain(index);
      logged.maxLive = Math.max(logged.maxLive, now.length, readsInWindow);
      return source.readShard(index);
    },
  };
  return logged;
}

function identity(_: number, rows: Float32Array, out: Float32Array, offset: number): void {
  out.set(rows, offset);
}

async function freshSession(backend: KernelBackend, cols: number, hidden: number): Promise<BackendSession> {
  const model = SparseAutoencoder.create(cols, { hiddenSize: hidden }, backend, { seed: 3 });
  return backend.createSession(model.shape, model.getParameters());
}

describe('streamed training, one window', () => {
  for (const [label, shardRows, training] of [
    ['one shard, full batch', 1000, { epochs: 6, batchSize: 0, seed: 4 }],
    ['one shard, mini-batches', 1000, { epochs: 5, batchSize: 7, seed: 5, learningRate: 0.01 }],
    ['four shards, mini-batches', 11, { epochs: 5, batchSize: 9, seed: 6, learningRate: 0.01 }],
    ['three shards, sgd full batch', 17, { epochs: 4, batchSize: 0, seed: 7, optimizer: 'sgd', learningRate: 0.05 }],
  ] as const) {
    it(`should equal fit on the same rows bit for bit (${label})`, async () => {
      const backend = await backendPromise;
      const matrix = randomMatrix(41, 5, 2);
      const a = SparseAutoencoder.create(5, { hiddenSize: 8 }, backend, { seed: training.seed });
      const inMemory = a.fit(matrix, training);
      const b = SparseAutoencoder.create(5, { hiddenSize: 8 }, backend, { seed: training.seed });
      const source = matrixShardSource(matrix, shardRows);
      expect(source.shardCount).toBeLessThanOrEqual(WINDOW_SHARDS);
      const streamed = await b.fitStream(source, training);
      expect(streamed).toEqual(inMemory);
      expect(JSON.stringify(b.toFile())).toBe(JSON.stringify(a.toFile()));
    });
  }
});

describe('streamed training of relu and topk', () => {
  for (const [label, config] of [
    ['relu, normalize none, values outside [0, 1]', { architecture: 'relu', normalize: 'none', sparsityWeight: 0.01 }],
    ['topk, normalize none, values outside [0, 1]', { architecture: 'topk', normalize: 'none', k: 3 }],
    ['topk, minmax', { architecture: 'topk', k: 2 }],
  ] as const) {
    it(`should start b_dec at the data's mean and equal fit bit for bit on one window (${label})`, async () => {
      const backend = await backendPromise;
      const matrix = randomMatrix(41, 5, 21);
      for (let k = 0; k < matrix.data.length; k++) matrix.data[k] = matrix.data[k]! * 6 - 3;
      const training = { epochs: 4, batchSize: 8, seed: 9, learningRate: 0.01 };
      const a = SparseAutoencoder.create(5, { hiddenSize: 8, ...config }, backend, { seed: 9 });
      const inMemory = a.fit(matrix, training);
      const b = SparseAutoencoder.create(5, { hiddenSize: 8, ...config }, backend, { seed: 9 });
      const streamed = await b.fitStream(matrixShardSource(matrix, 11), training);
      expect(streamed).toEqual(inMemory);
      expect(JSON.stringify(b.toFile())).toBe(JSON.stringify(a.toFile()));
    });
  }

  it('should give metrics equal to evaluate on the whole data over more windows (topk and relu)', async () => {
    const backend = await backendPromise;
    const [rows, cols, shardRows] = [53, 4, 5]; // 11 shards: windows of 4, 4 and 3
    const matrix = randomMatrix(rows, cols, 17);
    for (const config of [{ architecture: 'topk', k: 2 }, { architecture: 'relu', sparsityWeight: 0.05 }] as const) {
      const model = SparseAutoencoder.create(cols, { hiddenSize: 6, ...config }, backend, { seed: 2 });
      const { metrics } = await model.fitStream(matrixShardSource(matrix, shardRows), { epochs: 2, batchSize: 8 });
      const whole = model.evaluate(matrix);
      for (const key of ['loss', 'reconstruction', 'sparsity', 'fvu'] as const) {
        expect(Math.abs(metrics[key]! - whole[key]!), `${config.architecture} ${key}`).toBeLessThanOrEqual(1e-5 * Math.abs(whole[key]!) + 1e-9);
      }
      expect(metrics.deadUnits).toBe(whole.deadUnits);
    }
  });
});

describe('streamed training, more windows', () => {
  const rows = 53;
  const cols = 4;
  const shardRows = 5; // 11 shards, the last of 3 rows: windows of 4, 4 and 3 shards

  // 53 rows: windows of 20, 20 and 13 rows. 51 rows (the last shard of 1 row): a window of 16
  // rows when that shard is in the middle, so a batch of 19 starting at row 19 spans three windows.
  for (const [total, batchSize, epochs] of [[53, 7, 3], [53, 20, 3], [53, 1, 3], [51, 19, 8]] as const) {
    it(`should take its batches in the order of §2.1, each row once an epoch (${total} rows, batches of ${batchSize})`, async () => {
      const backend = await backendPromise;
      const matrix = indexedMatrix(total, cols);
      const log: string[] = [];
      const batches: number[][] = [];
      const session = recording(await freshSession(backend, cols, 6), cols, log, batches);
      let run: StreamingRun | undefined;
      const source = loggedSource(matrixShardSource(matrix, shardRows), log, () => run?.heldShards ?? []);
      run = new StreamingRun(session, source, identity, SUM_LOSS, ADAM, epochs, batchSize, 9);
      while (!run.done) await run.runSteps(4);

      const spans: number[] = [];
      const expected = referenceBatches(total, shardRows, epochs, batchSize, 9, spans);
      expect(batches).toEqual(expected.flat());
      if (batchSize > 1) expect(Math.max(...spans)).toBe(total === 51 ? 3 : 2);
      for (const epoch of expected) expect(epoch.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i));
      // Memory: each epoch reads every shard once, and at most a window is live at any read.
      expect(log.filter((e) => e.startsWith('read'))).toHaveLength(epochs * source.shardCount);
      expect(source.maxLive).toBeLessThanOrEqual(WINDOW_SHARDS);
      session.dispose();
    });
  }

  // A job's slice ends before a read it has no time for (src/api/jobs/slice-runner.ts), so
  // stepsBeforeRead must count exactly the steps that read nothing.
  for (const [total, batchSize] of [[53, 7], [53, 20], [53, 1], [51, 19]] as const) {
    it(`should say how many steps run before the next shard read (${total} rows, batches of ${batchSize})`, async () => {
      const backend = await backendPromise;
      const session = await freshSession(backend, cols, 6);
      const inner = matrixShardSource(indexedMatrix(total, cols), shardRows);
      let reads = 0;
      const source: ShardSource = { ...inner, readShard: (index) => ((reads += 1), inner.readShard(index)) };
      const run = new StreamingRun(session, source, identity, SUM_LOSS, ADAM, 3, batchSize, 9);
      let zeros = 0;
      while (!run.done) {
        const before = run.stepsBeforeRead;
        // Those steps read nothing, and the one after them reads.
        const readsBefore = reads;
        await run.runSteps(before);
        expect(reads, `after ${before} steps said to read nothing`).toBe(readsBefore);
        if (run.done) break;
        expect(run.stepsBeforeRead).toBe(0);
        zeros += 1;
        await run.runSteps(1);
        expect(reads).toBeGreaterThan(readsBefore);
      }
      // A read point at least every epoch (a batch spanning windows reads two at one step).
      expect(zeros).toBeGreaterThanOrEqual(3);
      session.dispose();
    });
  }

  for (const [total, batchSize] of [[53, 7], [51, 19]] as const) {
    it(`should be deterministic, and resume after every k steps exactly as in one go (mid-window and spanning batches; ${total} rows, batches of ${batchSize})`, async () => {
      const backend = await backendPromise;
      const matrix = randomMatrix(total, cols, 8);
      const source = matrixShardSource(matrix, shardRows);
      const oneGo = async () => {
        const session = await freshSession(backend, cols, 6);
        const run = new StreamingRun(session, source, identity, SUM_LOSS, ADAM, 3, batchSize, 9);
        const losses = [];
        while (!run.done) losses.push(...(await run.runSteps(5)));
        const out = { parameters: session.getParameters(), adam: session.getOptimizerState(), losses };
        session.dispose();
        return out;
      };
      const expected = await oneGo();
      expect(await oneGo()).toEqual(expected);

      for (const k of [1, 2, 3, 6, 8]) {
        let session = await freshSession(backend, cols, 6);
        let run = new StreamingRun(session, source, identity, SUM_LOSS, ADAM, 3, batchSize, 9);
        const losses = [];
        while (!run.done) {
          losses.push(...(await run.runSteps(k)));
          // Resume in a new session from the parameters, the Adam state and the position only.
          const [parameters, adam, position] = [session.getParameters(), session.getOptimizerState(), run.getPosition()];
          session.dispose();
          session = backend.createSession({ inputSize: cols, hiddenSize: 6 }, parameters);
          session.setOptimizerState(adam);
          run = new StreamingRun(session, source, identity, SUM_LOSS, ADAM, 3, batchSize, 9, position);
        }
        expect({ parameters: session.getParameters(), adam: session.getOptimizerState(), losses }).toEqual(expected);
        session.dispose();
      }
    });
  }

  it('should resume a model mid-epoch through startStreamTraining exactly as fitStream in one go', async () => {
    const backend = await backendPromise;
    const matrix = randomMatrix(rows, cols, 12);
    const source = matrixShardSource(matrix, shardRows);
    const training = { epochs: 2, batchSize: 6, seed: 3, learningRate: 0.01 };
    const whole = SparseAutoencoder.create(cols, { hiddenSize: 5 }, backend, { seed: 3 });
    const expected = await whole.fitStream(source, training);

    const first = SparseAutoencoder.create(cols, { hiddenSize: 5 }, backend, { seed: 3 });
    const slice = first.startStreamTraining(source, training);
    const losses = await slice.step(13); // epoch 2, batch 4: mid-window, after a spanning batch
    const position = slice.run.getPosition();
    expect(position).toMatchObject({ epoch: 1, batch: 4 });
    // A fresh model from those parameters and that Adam state, loaded as a job loads a checkpoint.
    const second = SparseAutoencoder.fromFile(
      toModelFile({
        shape: first.shape,
        config: first.config,
        normalization: normalizationFromRange('minmax', source.columnMin, source.columnMax),
        parameters: first.getParameters(),
        training: { ...resolveTrainingOptions(training), epochsCompleted: 0 },
        trainedWith: backend.name,
        optimizerState: first.getOptimizerState(),
        metrics: null,
        lossHistory: [],
      }),
      backend,
    );
    const rest = second.startStreamTraining(source, training, position);
    while (!rest.run.done) losses.push(...(await rest.step(4)));
    const result = await rest.finish();
    expect(losses).toEqual(expected.lossHistory);
    expect(result.metrics).toEqual(expected.metrics);
    expect(second.getParameters()).toEqual(whole.getParameters());
    expect(second.getOptimizerState()).toEqual(whole.getOptimizerState());
  });

  it('should give metrics equal to evaluate on the whole data within float rounding', async () => {
    const backend = await backendPromise;
    const matrix = randomMatrix(rows, cols, 13);
    for (const reduction of ['sum', 'mean'] as const) {
      const model = SparseAutoencoder.create(cols, { hiddenSize: 5, reduction }, backend, { seed: 1 });
      const { metrics } = await model.fitStream(matrixShardSource(matrix, shardRows), { epochs: 3, batchSize: 8 });
      const whole = model.evaluate(matrix);
      for (const key of ['loss', 'reconstruction', 'weightDecay', 'sparsity', 'meanActivation', 'fvu'] as const) {
        expect(metrics[key]).toBeCloseTo(whole[key]!, 5);
        expect(Math.abs(metrics[key]! - whole[key]!)).toBeLessThanOrEqual(1e-5 * Math.abs(whole[key]!));
      }
      expect(metrics.weightDecay).toBe(whole.weightDecay);
      expect(metrics.deadUnits).toBe(whole.deadUnits);
      expect(metrics.rows).toBe(rows);
    }
  });

  it('should refuse batchSize 0 (and a batch larger than a window) with a ConfigError naming training.batchSize', async () => {
    const backend = await backendPromise;
    const source = matrixShardSource(randomMatrix(rows, cols, 1), shardRows);
    const model = SparseAutoencoder.create(cols, {}, backend);
    for (const batchSize of [0, 21]) {
      const error = await model.fitStream(source, { batchSize }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).field).toBe('training.batchSize');
    }
    await expect(model.fitStream(source, { batchSize: 20, epochs: 1 })).resolves.toBeDefined();
  });

  it('should name the row in the whole data of a value normalize "none" refuses', async () => {
    const backend = await backendPromise;
    const matrix = randomMatrix(rows, cols, 1);
    for (let k = 0; k < matrix.data.length; k++) matrix.data[k] = Math.abs(matrix.data[k]!) / 4;
    matrix.data[37 * cols + 2] = 1.5;
    const model = SparseAutoencoder.create(cols, { normalize: 'none' }, backend);
    const error = await model.fitStream(matrixShardSource(matrix, shardRows), { batchSize: 5, epochs: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).location).toMatchObject({ row: 38, column: 3 });
    expect(model.trained).toBe(false);
  });
});
