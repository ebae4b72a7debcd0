/**
 * Two edges of datasets (issue 24, item 12), inside workerd: a part number is taken only in
 * canonical decimal ("0x1", "+1", "1e0", "00", "-0" … are refused by name, never read as another
 * part), and a corrupt dataset's download is refused before it starts (409 dataset-corrupt,
 * naming the shard) when a shard is missing, of another length, or shard 0 is altered; a shard
 * altered in place further on aborts the stream, so the body never reads as complete.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call, expectProblem } from './helpers.js';
import { randomMatrix, uploadDataset } from './jobs-helpers.js';

const COLS = 1024;

describe('part numbers', () => {
  it('should refuse every form of a part number but canonical decimal, and take 0 and 1', async () => {
    const start = await call('/v1/datasets/uploads', { json: { rows: 2048, cols: COLS, type: 'uint8' } });
    const { id } = (await start.json()) as { id: string };
    const part = new Uint8Array(1024 * COLS);
    const put = (n: string) => call(`/v1/datasets/uploads/${id}/parts/${n}`, { method: 'PUT', body: part, headers: { 'content-type': 'application/octet-stream' } });
    for (const n of ['0x1', '+1', '1e0', '00', '-0', '01', '1.0', '%201', '1%20', '0b1', 'Infinity', '-1', '9999999999']) {
      const problem = await expectProblem(await put(n), 422);
      expect(problem.type, n).toBe('urn:edge-sae:problem:validation-failed');
      expect(JSON.stringify(problem.errors), n).toMatch(n === '9999999999' ? /at most 999999999/ : /decimal digits/);
    }
    const view = (await (await call(`/v1/datasets/uploads/${id}`)).json()) as { received: number[] };
    expect(view.received).toEqual([]);
    expect(((await (await put('1')).json()) as { received: number[] }).received).toEqual([1]);
    expect(((await (await put('0')).json()) as { received: number[] }).received).toEqual([0, 1]);
  });
});

describe('downloads of a corrupt dataset', () => {
  /** A float32 dataset of 3 shards (1,024 rows each, the last of 100). */
  const dataset = () => uploadDataset(randomMatrix(2148, COLS, 5));
  const shard = (id: string, n: number) => `dataset-shards/${id}/${n}.bin`;

  async function expectRefused(id: string, pattern: RegExp): Promise<void> {
    for (const format of ['csv', 'npy', 'f32']) {
      const problem = await expectProblem(await call(`/v1/datasets/${id}/download?format=${format}`), 409);
      expect(problem.type).toBe('urn:edge-sae:problem:dataset-corrupt');
      expect(problem.detail).toMatch(pattern);
    }
  }

  it('should refuse before it starts when a shard is missing (what an upload deleted by its expiry left)', async () => {
    const id = await dataset();
    await env.MODELS.delete(shard(id, 2));
    await expectRefused(id, new RegExp(`dataset ${id} shard 2: is missing from storage`));
    await env.MODELS.delete([shard(id, 0), shard(id, 1)]);
    await expectRefused(id, new RegExp(`dataset ${id} shard 0: is missing`));
  });

  it('should refuse before it starts when a shard has another length than its manifest says', async () => {
    const id = await dataset();
    await env.MODELS.put(shard(id, 1), new Uint8Array(12));
    await expectRefused(id, /shard 1: has 12 bytes; its manifest says 4194304/);
  });

  it('should refuse before it starts when shard 0 has other bytes of the same length', async () => {
    const id = await dataset();
    const bytes = new Uint8Array(await (await env.MODELS.get(shard(id, 0)))!.arrayBuffer());
    bytes[5] = bytes[5]! ^ 1;
    await env.MODELS.put(shard(id, 0), bytes);
    await expectRefused(id, /shard 0: its SHA-256 [0-9a-f]{64} does not match/);
  });

  it('should abort the stream (never a body that reads as complete) when a later shard has other bytes of the same length', async () => {
    const id = await dataset();
    const bytes = new Uint8Array(await (await env.MODELS.get(shard(id, 2)))!.arrayBuffer());
    bytes[5] = bytes[5]! ^ 1;
    await env.MODELS.put(shard(id, 2), bytes);
    const res = await call(`/v1/datasets/${id}/download?format=f32`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(2148 * COLS * 4));
    await expect(res.arrayBuffer()).rejects.toThrow();
  });

  it('should still download a whole dataset', async () => {
    const id = await dataset();
    const res = await call(`/v1/datasets/${id}/download?format=f32`);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(2148 * COLS * 4);
  });
});
