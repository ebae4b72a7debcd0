/**
 * Sharded encoders (issue 27 item 5; docs/ENCODING.md, Sharded encoders), inside workerd: small
 * models forced to shard by a tiny ENCODE_SHARD_BYTES answer exactly what the same models answer
 * unsharded (dense codes, top-K, threshold, both, the binary form), and a shard that fails, hangs
 * or is restarted mid-request gives 503 shard-unavailable with Retry-After, never a partial answer;
 * the next encode is whole and correct again.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../../src/api/app.js';
import { convertWeightDtype } from '../../src/model/convert-dtype.js';
import { readBinaryModelFile, toBinaryModelFile } from '../../src/model/model-file-binary.js';
import { planShards } from '../../src/api/shards/plan.js';
import { call, ENCODE, expectProblem, request, trainModel } from './helpers.js';

/** 12 rows × 4 columns, not the training rows. */
const ROWS: number[][] = Array.from({ length: 12 }, (_, i) => [((i * 7) % 10) / 10, ((i * 3) % 7) / 7, (i % 5) / 4, ((i * 11) % 13) / 13]);

/** 80 features = 5 kernel panels; 768 bytes a shard: 3 f32 shards (32, 16 and 32 columns), 2 bf16 ones. */
const HIDDEN = 80;
const SHARDED = { ENCODE_SHARD_BYTES: '768' };

function through(path: string, init: Parameters<typeof request>[1], vars: Record<string, unknown> = {}): Promise<Response> {
  return Promise.resolve(app.request(request(path, init), undefined, { ...env, ...vars }));
}

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

function encode(id: string, body: Record<string, unknown>, vars: Record<string, unknown> = {}, accept?: string): Promise<Response> {
  return through(`/v1/models/${id}/encode`, { token: ENCODE, json: { inputs: ROWS, ...body }, ...(accept ? { headers: { accept } } : {}) }, vars);
}

/** The answers compared: dense codes, top 5, threshold, both, and the binary forms. */
const ASKS: Record<string, unknown>[] = [{}, { top: 5 }, { top: HIDDEN }, { threshold: 0 }, { threshold: 0.05 }, { top: 3, threshold: 0.01 }];

async function expectSameAnswers(id: string): Promise<void> {
  for (const ask of ASKS) {
    const whole = await json<unknown>(await encode(id, ask));
    const sharded = await json<unknown>(await encode(id, ask, SHARDED));
    expect(sharded, JSON.stringify(ask)).toEqual(whole);
    const wholeBytes = new Uint8Array(await (await encode(id, ask, {}, 'application/octet-stream')).arrayBuffer());
    const shardedBytes = new Uint8Array(await (await encode(id, ask, SHARDED, 'application/octet-stream')).arrayBuffer());
    expect(shardedBytes, `binary ${JSON.stringify(ask)}`).toEqual(wholeBytes);
  }
}

/** ENCODE_SHARDS with shard `failing` (its columns' name suffix) made to fail as `how` says; the others real. */
function brokenShards(suffix: string, how: 'throw' | 'hang'): DurableObjectNamespace {
  const real = env.ENCODE_SHARDS;
  const names = new Map<string, string>();
  return {
    idFromName(name: string) {
      const id = real.idFromName(name);
      names.set(id.toString(), name);
      return id;
    },
    get(id: DurableObjectId) {
      if (!names.get(id.toString())?.endsWith(suffix)) return real.get(id);
      const fail = () => (how === 'throw' ? Promise.reject(new Error('the shard crashed')) : new Promise(() => undefined));
      return { encode: fail, warm: fail, restart: fail };
    },
  } as unknown as DurableObjectNamespace;
}

describe('sharded encoders', () => {
  it('should plan slices within the budget on 16-column boundaries, and not shard what fits or cannot be split', () => {
    expect(planShards(4, HIDDEN, 4, 'relu', 768)?.shards).toEqual([{ from: 0, to: 32 }, { from: 32, to: 48 }, { from: 48, to: 80 }]);
    expect(planShards(4, HIDDEN, 2, 'relu', 768)?.shards).toEqual([{ from: 0, to: 48 }, { from: 48, to: 80 }]);
    expect(planShards(4, HIDDEN, 4, 'relu', 24 * HIDDEN)).toBeNull();
    expect(planShards(4, HIDDEN, 4, 'topk', 768)).toBeNull();
    // 2304 → 65536 bf16 under the default 32 MiB: 10 shards, each ≤ 32 MiB.
    const big = planShards(2304, 65536, 2, 'jumprelu', 32 * 1024 * 1024)!;
    expect(big.shards.length).toBe(10);
    for (const { from, to } of big.shards) expect((to - from) * (2304 * 2 + 8)).toBeLessThanOrEqual(32 * 1024 * 1024);
  });

  it('should give exactly the unsharded codes, top-K and threshold answers (relu, jumprelu, batchtopk; f32 and bf16)', async () => {
    for (const architecture of ['relu', 'jumprelu', 'batchtopk'] as const) {
      const { id } = await trainModel({ config: { architecture, hiddenSize: HIDDEN, normalize: 'standardize', ...(architecture === 'batchtopk' ? { k: 4 } : {}) } });
      await expectSameAnswers(id);
    }
    // A bf16 copy, imported with the small budget: its shards are warmed at import.
    const { id } = await trainModel({ config: { architecture: 'jumprelu', hiddenSize: HIDDEN } });
    const f32 = readBinaryModelFile(new Uint8Array(await (await call(`/v1/models/${id}/export?format=safetensors`)).arrayBuffer()));
    const imported = await through('/v1/models/import', { body: toBinaryModelFile(convertWeightDtype(f32, 'bf16')), headers: { 'content-type': 'application/octet-stream' } }, SHARDED);
    const { id: copy } = await json<{ id: string }>(imported, 201);
    await expectSameAnswers(copy);
  });

  it('should answer 503 shard-unavailable with Retry-After when a shard fails or hangs, then the whole answer again', async () => {
    const { id } = await trainModel({ config: { architecture: 'relu', hiddenSize: HIDDEN } });
    const expected = await json<unknown>(await encode(id, { top: 5 }));
    for (const how of ['throw', 'hang'] as const) {
      const res = await encode(id, { top: 5 }, { ...SHARDED, ENCODE_SHARD_TIMEOUT_MS: '200', ENCODE_SHARDS: brokenShards(':32-48', how) });
      const problem = await expectProblem(res, 503);
      expect(problem.type).toContain('shard-unavailable');
      expect(res.headers.get('retry-after')).toBe('1');
      expect(problem.shard).toBe(1);
      expect(problem.shards).toBe(3);
      expect(problem).not.toHaveProperty('features');
    }
    expect(await json<unknown>(await encode(id, { top: 5 }, SHARDED))).toEqual(expected);
  });

  it('should reload a restarted shard from storage and answer as before', async () => {
    const { id } = await trainModel({ config: { architecture: 'relu', hiddenSize: HIDDEN } });
    const expected = await json<unknown>(await encode(id, {}));
    expect(await json<unknown>(await encode(id, {}, SHARDED))).toEqual(expected);
    const restarted = await json<{ shard: number; shards: number; columns: number[] }>(await through(`/v1/models/${id}/shards/2/restart`, { method: 'POST' }, SHARDED), 202);
    expect(restarted).toEqual({ shard: 2, shards: 3, columns: [48, 80] });
    expect(await json<unknown>(await encode(id, {}, SHARDED))).toEqual(expected);
    // Not sharded under the default budget; no shard 3; an encode-only token may not restart.
    expect((await expectProblem(await through(`/v1/models/${id}/shards/0/restart`, { method: 'POST' }), 404)).detail).toMatch(/not sharded/);
    expect((await expectProblem(await through(`/v1/models/${id}/shards/3/restart`, { method: 'POST' }, SHARDED), 404)).detail).toMatch(/no shard 3/);
    await expectProblem(await through(`/v1/models/${id}/shards/0/restart`, { method: 'POST', token: ENCODE }, SHARDED), 403);
  });

  it('should refuse rows of the wrong width, a top beyond h and dense codes past MAX_CELLS before asking any shard', async () => {
    const { id } = await trainModel({ config: { architecture: 'relu', hiddenSize: HIDDEN } });
    const broken = { ...SHARDED, ENCODE_SHARDS: brokenShards('', 'throw') };
    expect((await expectProblem(await through(`/v1/models/${id}/encode`, { token: ENCODE, json: { inputs: [[1, 2, 3]] } }, broken), 422)).detail).toMatch(/3 columns/);
    expect((await expectProblem(await encode(id, { top: HIDDEN + 1 }, broken), 422)).detail).toMatch(/top must be/);
    // Dense codes of a sharded model count against MAX_CELLS (12 rows × 80 features = 960 numbers).
    expect((await expectProblem(await encode(id, {}, { ...broken, MAX_CELLS: '959' }), 413)).limit).toBe('MAX_CELLS');
    expect((await encode(id, { top: 5 }, { ...SHARDED, MAX_CELLS: '959' })).status).toBe(200);
  });
});
