/**
 * Datasets inside workerd: upload as CSV, JSON or float32 (stored as float32 shards in R2), read
 * the shape, list, delete; datasets of the first layout (one object) still read; bad uploads are 4xx problems naming what is wrong.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call, ENCODE, expectProblem } from './helpers.js';

interface DatasetBody {
  id: string;
  name: string | null;
  rows: number;
  cols: number;
  bytes: number;
  format: string;
  createdAt: string;
}

async function upload(path: string, body: BodyInit, contentType: string, token?: string): Promise<Response> {
  return call(path, { method: 'POST', body, headers: { 'content-type': contentType }, ...(token ? { token } : {}) });
}

/** The cells a dataset's shards hold (read from R2 directly, by its manifest). */
async function storedCells(id: string): Promise<number[]> {
  const object = await env.MODELS.get(`datasets/${id}.json`);
  expect(object).not.toBeNull();
  const manifest = (await object!.json()) as { shards: { bytes: number }[] };
  const cells: number[] = [];
  for (let i = 0; i < manifest.shards.length; i++) {
    const shard = await env.MODELS.get(`dataset-shards/${id}/${i}.bin`);
    expect(shard).not.toBeNull();
    cells.push(...new Float32Array(await shard!.arrayBuffer()));
  }
  return cells;
}

describe('datasets', () => {
  it('should store CSV, JSON and float32 uploads as the same float32 cells', async () => {
    const rows = [
      [0, 0.5, 1],
      [1, 0.25, -2],
    ];
    let res = await upload('/v1/datasets?name=csv-set', 'a,b,c\n0,0.5,1\n1,0.25,-2\n', 'text/csv');
    expect(res.status).toBe(201);
    const csv = (await res.json()) as DatasetBody;
    expect(csv).toMatchObject({ name: 'csv-set', rows: 2, cols: 3, bytes: 24, format: 'csv' });
    expect(res.headers.get('location')).toBe(`/v1/datasets/${csv.id}`);

    res = await upload('/v1/datasets', JSON.stringify({ data: rows }), 'application/json');
    expect(res.status).toBe(201);
    const json = (await res.json()) as DatasetBody;
    expect(json).toMatchObject({ name: null, rows: 2, cols: 3, format: 'json' });

    const bytes = new Uint8Array(Float32Array.from(rows.flat()).buffer);
    res = await upload('/v1/datasets?rows=2&cols=3', bytes, 'application/octet-stream');
    expect(res.status).toBe(201);
    const binary = (await res.json()) as DatasetBody;
    expect(binary).toMatchObject({ rows: 2, cols: 3, bytes: 24, format: 'float32' });

    for (const id of [csv.id, json.id, binary.id]) expect(await storedCells(id)).toEqual(rows.flat());

    // Read (encode tokens may), list, delete.
    res = await call(`/v1/datasets/${csv.id}`, { token: ENCODE });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(csv);
    res = await call('/v1/datasets?limit=100', { token: ENCODE });
    expect(res.status).toBe(200);
    const ids = ((await res.json()) as { datasets: DatasetBody[] }).datasets.map((d) => d.id);
    expect(ids).toEqual(expect.arrayContaining([csv.id, json.id, binary.id]));
    expect((await call(`/v1/datasets/${csv.id}`, { method: 'DELETE' })).status).toBe(204);
    await expectProblem(await call(`/v1/datasets/${csv.id}`), 404);
    await expectProblem(await call(`/v1/datasets/${csv.id}`, { method: 'DELETE' }), 404);
    await expectProblem(await call('/v1/datasets/not-an-id'), 404);
  });

  it('should refuse bad uploads with a problem naming the fault', async () => {
    // Binary: shape missing, wrong length, NaN (named by row and column).
    let problem = await expectProblem(await upload('/v1/datasets?rows=2', new Uint8Array(8), 'application/octet-stream'), 422);
    expect(problem.errors).toEqual([{ parameter: 'cols', detail: 'required for application/octet-stream' }]);
    problem = await expectProblem(await upload('/v1/datasets?rows=2&cols=3', new Uint8Array(20), 'application/octet-stream'), 422);
    expect(problem.detail).toMatch(/20 bytes.*24 bytes/);
    const withNaN = new Uint8Array(Float32Array.from([0, 1, 2, NaN]).buffer);
    problem = await expectProblem(await upload('/v1/datasets?rows=2&cols=2', withNaN, 'application/octet-stream'), 422);
    expect(problem).toMatchObject({ row: 2, column: 2 });
    // CSV and JSON: bad cells, ragged rows, malformed text.
    problem = await expectProblem(await upload('/v1/datasets', '1,2\n3,x\n', 'text/csv'), 422);
    expect(problem).toMatchObject({ row: 2, column: 2 });
    problem = await expectProblem(await upload('/v1/datasets', '[[1,2],[3]]', 'application/json'), 422);
    expect(problem).toMatchObject({ row: 2 });
    await expectProblem(await upload('/v1/datasets', '[[1,2', 'application/json'), 422);
    // Other media types; a shape over the limits (before the body is read).
    await expectProblem(await upload('/v1/datasets', 'hello', 'text/plain'), 415);
    problem = await expectProblem(await upload('/v1/datasets?rows=3000000000&cols=1', new Uint8Array(4), 'application/octet-stream'), 413);
    expect(problem).toMatchObject({ limit: 'MAX_DATASET_ROWS' });
    problem = await expectProblem(await upload('/v1/datasets?rows=100000000&cols=100', new Uint8Array(4), 'application/octet-stream'), 413);
    expect(problem).toMatchObject({ limit: 'MAX_DATASET_CELLS' });
  });

  it('should need the admin token to upload or delete', async () => {
    await expectProblem(await upload('/v1/datasets', '1,2\n', 'text/csv', ENCODE), 403);
    await expectProblem(await call('/v1/datasets', { method: 'POST', token: null, body: '1,2\n', headers: { 'content-type': 'text/csv' } }), 401);
    await expectProblem(await call('/v1/datasets/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', { method: 'DELETE', token: ENCODE }), 403);
  });
});
