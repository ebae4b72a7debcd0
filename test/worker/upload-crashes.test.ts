/**
 * Crashes inside an upload's two-write operations (issue 24, items 1 and 2), inside workerd. The
 * store is made to fail between the two writes (a FaultyBucket in the upload object's env: the R2
 * write commits and then "the process dies" before the object's own write), the object's memory
 * is dropped as a restart would, and then every path that could write or delete parts is tried:
 * a part PUT, DELETE of the upload, complete again, and the expiry alarm. Afterwards the dataset
 * is whole (every shard reads back against its manifest, byte for byte what was sent) or absent,
 * and the upload's state says which.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { openDatasetSource } from '../../src/api/datasets/dataset-source.js';
import type { DatasetUpload } from '../../src/api/datasets/upload-object.js';
import type { Bindings } from '../../src/api/env.js';
import { firstDifference } from '../helpers/same-bytes.js';
import { FaultyBucket } from './faults-bucket.js';
import { call, expectProblem } from './helpers.js';

const COLS = 1024;
/** uint8 rows of 1,024 columns: shards of 1,024 rows, so 2,058 rows are 3 parts (the last of 10 rows). */
const ROWS = 2058;
const PART_ROWS = 1024;

function partBytes(n: number, seed: number): Uint8Array {
  const rows = Math.min(PART_ROWS, ROWS - n * PART_ROWS);
  return Uint8Array.from({ length: rows * COLS }, (_, i) => (i * 31 + n * 7 + seed) % 256);
}

function stub(id: string): DurableObjectStub<DatasetUpload> {
  return env.UPLOADS.get(env.UPLOADS.idFromName(id));
}

async function startUpload(): Promise<string> {
  const res = await call('/v1/datasets/uploads', { json: { rows: ROWS, cols: COLS, type: 'uint8' } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

function putPart(id: string, n: number, bytes: Uint8Array): Promise<Response> {
  return call(`/v1/datasets/uploads/${id}/parts/${n}`, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
}

/** An upload with every part sent (seed 0); returns its id and the parts. */
async function fullUpload(): Promise<{ id: string; parts: Uint8Array[] }> {
  const id = await startUpload();
  const parts = [0, 1, 2].map((n) => partBytes(n, 0));
  for (const [n, bytes] of parts.entries()) expect((await putPart(id, n, bytes)).status).toBe(200);
  return { id, parts };
}

/**
 * Runs `operation` on the upload's object with MODELS replaced by `bucket` (so its R2 writes can
 * fail), expects it to fail there, then drops the object's memory: what a restart leaves is what
 * its storage holds.
 */
async function crashDuring(id: string, bucket: FaultyBucket, operation: (upload: DatasetUpload) => Promise<unknown>): Promise<void> {
  await runInDurableObject(stub(id), async (instance: DatasetUpload) => {
    const open = instance as unknown as { env: Bindings; state: unknown; queue: Promise<unknown> };
    const real = open.env;
    open.env = { ...real, MODELS: bucket.binding };
    try {
      await expect(operation(instance)).rejects.toThrow(/injected put failure/);
    } finally {
      open.env = real;
      open.state = undefined;
      open.queue = Promise.resolve();
    }
  });
  expect(bucket.injected).toBe(1);
}

/** What the object's storage says of the upload (null when it is forgotten). */
async function storedStatus(id: string): Promise<string | null> {
  return runInDurableObject(stub(id), async (_instance, state) => (await state.storage.get<{ status: string }>('upload'))?.status ?? null);
}

/** Moves the upload's expiry into the past and runs its alarm, as a day without a request would. */
async function expireNow(id: string): Promise<void> {
  await runInDurableObject(stub(id), async (_instance, state) => {
    const record = await state.storage.get<{ expiresAt: number }>('upload');
    if (record) await state.storage.put('upload', { ...record, expiresAt: Date.now() - 1 });
  });
  await runDurableObjectAlarm(stub(id));
}

/** The dataset is listed, and every shard reads back (length and SHA-256 against the manifest) as exactly `parts`. */
async function expectWhole(id: string, parts: Uint8Array[]): Promise<void> {
  expect((await call(`/v1/datasets/${id}`)).status).toBe(200);
  const source = await openDatasetSource(env.MODELS, id);
  expect(source).not.toBeNull();
  for (const [n, bytes] of parts.entries()) {
    const stored = await env.MODELS.get(`dataset-shards/${id}/${n}.bin`);
    expect(stored, `shard ${n}`).not.toBeNull();
    expect(firstDifference(new Uint8Array(await stored!.arrayBuffer()), bytes), `shard ${n}`).toBeNull();
    await expect(source!.readShard(n)).resolves.toBeInstanceOf(Float32Array);
  }
  const download = await call(`/v1/datasets/${id}/download?format=f32`);
  expect(download.status).toBe(200);
  expect((await download.arrayBuffer()).byteLength).toBe(ROWS * COLS * 4);
}

async function expectAbsent(id: string): Promise<void> {
  await expectProblem(await call(`/v1/datasets/${id}`), 404);
  expect((await env.MODELS.list({ prefix: `dataset-shards/${id}/` })).objects).toEqual([]);
  expect(await storedStatus(id)).toBeNull();
}

/** A crash in complete between the manifest's write and the state's. */
async function crashedCompletion(): Promise<{ id: string; parts: Uint8Array[] }> {
  const upload = await fullUpload();
  // The manifest is the one put of complete: it commits, and the object dies before saving.
  await crashDuring(upload.id, new FaultyBucket(env.MODELS).fail('put', 'after'), (u) => u.complete());
  expect(await env.MODELS.head(`datasets/${upload.id}.json`)).not.toBeNull();
  return upload;
}

describe('a crash between the two writes of complete', () => {
  it('should refuse a later part PUT, keeping the dataset whole (it never overwrites a live shard)', async () => {
    const { id, parts } = await crashedCompletion();
    await expectProblem(await putPart(id, 0, partBytes(0, 99)), 409);
    await expectWhole(id, parts);
    expect(await storedStatus(id)).toBe('completed');
  });

  it('should refuse DELETE of the upload, keeping the dataset whole', async () => {
    const { id, parts } = await crashedCompletion();
    await expectProblem(await call(`/v1/datasets/uploads/${id}`, { method: 'DELETE' }), 409);
    await expectWhole(id, parts);
    expect(await storedStatus(id)).toBe('completed');
  });

  it('should keep the dataset whole through the expiry alarm, which forgets only the upload', async () => {
    const { id, parts } = await crashedCompletion();
    // The alarm finishes the completion (which moves the expiry on, as every write does)…
    await expireNow(id);
    expect(await storedStatus(id)).toBe('completed');
    await expectWhole(id, parts);
    // …and the next expiry forgets the upload; the dataset stays.
    await expireNow(id);
    expect(await storedStatus(id)).toBeNull();
    await expectWhole(id, parts);
    await expectProblem(await call(`/v1/datasets/uploads/${id}`), 404);
  });

  it('should answer a repeated complete with the dataset, and the upload says completed', async () => {
    const { id, parts } = await crashedCompletion();
    const res = await call(`/v1/datasets/uploads/${id}/complete`, { method: 'POST' });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(((await res.json()) as { rows: number }).rows).toBe(ROWS);
    const view = await call(`/v1/datasets/uploads/${id}`);
    expect(((await view.json()) as { status: string }).status).toBe('completed');
    await expectWhole(id, parts);
  });

  it('should finish a completion whose manifest write failed before storing, at the alarm', async () => {
    const { id, parts } = await fullUpload();
    const bucket = new FaultyBucket(env.MODELS).fail('put', 'before');
    await runInDurableObject(stub(id), async (instance: DatasetUpload) => {
      const open = instance as unknown as { env: Bindings; state: unknown };
      const real = open.env;
      open.env = { ...real, MODELS: bucket.binding };
      try {
        await expect(instance.complete()).rejects.toThrow(/injected put failure/);
      } finally {
        open.env = real;
        open.state = undefined;
      }
    });
    expect(await env.MODELS.head(`datasets/${id}.json`)).toBeNull();
    // The completion had begun (every part there, nothing refused): it ends as the dataset, not in nothing.
    await expireNow(id);
    await expectWhole(id, parts);
  });

  it('should not delete the parts of an upload left open with its manifest written (a crash before this fix)', async () => {
    const { id, parts } = await fullUpload();
    expect((await call(`/v1/datasets/uploads/${id}/complete`, { method: 'POST' })).status).toBe(201);
    // What the old order left: the manifest, and the state still open.
    await runInDurableObject(stub(id), async (instance, state) => {
      const record = (await state.storage.get<Record<string, unknown>>('upload'))!;
      await state.storage.put('upload', { ...record, status: 'open' });
      (instance as unknown as { state: unknown }).state = undefined;
    });
    await expectProblem(await call(`/v1/datasets/uploads/${id}`, { method: 'DELETE' }), 409);
    await expectWhole(id, parts);
    expect(await storedStatus(id)).toBe('completed');
    await runInDurableObject(stub(id), async (_instance, state) => {
      const record = (await state.storage.get<Record<string, unknown>>('upload'))!;
      await state.storage.put('upload', { ...record, status: 'open' });
    });
    await runInDurableObject(stub(id), (instance) => void ((instance as unknown as { state: unknown }).state = undefined));
    await expireNow(id);
    await expectWhole(id, parts);
  });
});

describe('a crash between the two writes of a part replacement', () => {
  /** Every part sent, then part 1 replaced with other bytes: the shard commits, the record is never saved. */
  async function crashedReplacement(): Promise<{ id: string; parts: Uint8Array[]; replacement: Uint8Array }> {
    const { id, parts } = await fullUpload();
    const replacement = partBytes(1, 50);
    await crashDuring(id, new FaultyBucket(env.MODELS).fail('put', 'after'), (u) => u.putPart(1, replacement.slice().buffer));
    const stored = await env.MODELS.get(`dataset-shards/${id}/1.bin`);
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(replacement);
    return { id, parts, replacement };
  }

  it('should not complete with the new bytes under the old record: the part is missing until sent again', async () => {
    const { id, parts, replacement } = await crashedReplacement();
    const view = (await (await call(`/v1/datasets/uploads/${id}`)).json()) as { received: number[]; status: string };
    expect(view).toMatchObject({ received: [0, 2], status: 'open' });
    const problem = await expectProblem(await call(`/v1/datasets/uploads/${id}/complete`, { method: 'POST' }), 409);
    expect(problem.type).toBe('urn:edge-sae:problem:upload-incomplete');
    expect(problem.missing).toEqual([1]);
    await expectProblem(await call(`/v1/datasets/${id}`), 404);
    // Sent again, it completes, with the bytes that were sent last.
    expect((await putPart(id, 1, replacement)).status).toBe(200);
    expect((await call(`/v1/datasets/uploads/${id}/complete`, { method: 'POST' })).status).toBe(201);
    await expectWhole(id, [parts[0]!, replacement, parts[2]!]);
  });

  it('should leave nothing after the expiry alarm', async () => {
    const { id } = await crashedReplacement();
    await expireNow(id);
    await expectAbsent(id);
  });
});
