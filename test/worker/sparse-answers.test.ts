/**
 * Sparse answers (issue 27, item 3): encode with top/threshold (JSON and the binary form), decode
 * from sparse codes reading only the decoder rows they name, and GET /v1/models/{id}/features/{j}.
 * Every answer is checked against the dense one computed here.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../../src/api/app.js';
import { codesFromBytes } from '../../src/model/codes-binary.js';
import { readBinaryModelFile } from '../../src/model/model-file-binary.js';
import { toFeatureLists } from '../../src/model/sparse-codes.js';
import { call, ENCODE, expectProblem, request, trainModel, TRAINING_DATA } from './helpers.js';

type Features = { indices: number[]; values: number[] }[];

/** Each row's top k of dense codes, by sorting the whole row (value descending, ties by index). */
function topOf(codes: number[][], k: number, threshold?: number): Features {
  return codes.map((row) => {
    const order = row
      .map((value, j) => ({ value, j }))
      .filter(({ value }) => threshold === undefined || value > threshold)
      .sort((a, b) => b.value - a.value || a.j - b.j)
      .slice(0, k);
    return { indices: order.map(({ j }) => j), values: order.map(({ value }) => value) };
  });
}

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

const encode = (id: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => call(`/v1/models/${id}/encode`, { token: ENCODE, json: { inputs: TRAINING_DATA, ...body }, headers });

async function reluModel(): Promise<{ id: string; dense: number[][] }> {
  const { id } = await trainModel({ config: { architecture: 'relu', hiddenSize: 16, normalize: 'standardize' } });
  const { codes } = await json<{ codes: number[][] }>(await encode(id, {}));
  return { id, dense: codes };
}

describe('POST /v1/models/{id}/encode with top and threshold', () => {
  it('should answer each row\'s K largest features, equal to the dense codes\' top-K', async () => {
    const { id, dense } = await reluModel();
    for (const k of [1, 4, 16]) expect((await json<{ features: Features }>(await encode(id, { top: k }))).features).toEqual(topOf(dense, k));
    expect((await json<{ features: Features }>(await encode(id, { threshold: 0 }))).features).toEqual(topOf(dense, 16, 0));
    expect((await json<{ features: Features }>(await encode(id, { top: 3, threshold: 0.05 }))).features).toEqual(topOf(dense, 3, 0.05));
    const one = await json<{ features: Features }>(await call(`/v1/models/${id}/encode`, { token: ENCODE, json: { input: TRAINING_DATA[2], top: 2 } }));
    expect(one.features).toEqual(topOf([dense[2]!], 2));
  });

  it('should answer the binary form with Accept: application/octet-stream, sparse and dense', async () => {
    const { id, dense } = await reluModel();
    const res = await encode(id, { top: 5 }, { accept: 'application/octet-stream' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const read = codesFromBytes(new Uint8Array(await res.arrayBuffer()));
    if (!('sparse' in read)) throw new Error('expected the sparse form');
    expect(toFeatureLists(read.sparse).map((row) => row.indices)).toEqual(topOf(dense, 5).map((row) => row.indices));
    const whole = codesFromBytes(new Uint8Array(await (await encode(id, {}, { accept: 'application/octet-stream' })).arrayBuffer()));
    if (!('dense' in whole)) throw new Error('expected the dense form');
    expect([whole.dense.rows, whole.dense.cols]).toEqual([TRAINING_DATA.length, 16]);
    expect(Array.from(whole.dense.data)).toEqual(dense.flat().map(Math.fround));
    // q=0 refuses it: JSON again.
    expect((await encode(id, { top: 1 }, { accept: 'application/octet-stream;q=0, application/json' })).headers.get('content-type')).toMatch(/application\/json/);
  });

  it('should refuse top outside 1..h, a fractional top and a non-number threshold with 422 naming the field', async () => {
    const { id } = await reluModel();
    const over = await expectProblem(await encode(id, { top: 17 }), 422);
    expect(over.detail).toContain("top must be a whole number from 1 to the model's 16 hidden units; got 17");
    expect(over.errors?.[0]?.pointer).toBe('/top');
    for (const top of [0, 2.5, '3']) expect((await expectProblem(await encode(id, { top }), 422)).errors?.[0]?.pointer).toBe('/top');
    expect((await expectProblem(await encode(id, { threshold: 'high' }), 422)).errors?.[0]?.pointer).toBe('/threshold');
  });
});

describe('POST /v1/models/{id}/decode', () => {
  it('should decode sparse codes as reconstruct does the whole codes, and dense codes alike', async () => {
    const { id, dense } = await reluModel();
    const { outputs: expected } = await json<{ outputs: number[][] }>(await call(`/v1/models/${id}/reconstruct`, { token: ENCODE, json: { inputs: TRAINING_DATA } }));
    const decode = (body: unknown) => call(`/v1/models/${id}/decode`, { token: ENCODE, json: body });
    const all = topOf(dense, 16, 0); // every active feature: the same sum as the dense codes
    const sparse = await json<{ outputs: number[][] }>(await decode({ features: all }));
    const fromDense = await json<{ outputs: number[][] }>(await decode({ codes: dense }));
    for (const got of [sparse.outputs, fromDense.outputs]) {
      expect(got).toHaveLength(expected.length);
      got.forEach((row, i) => row.forEach((v, c) => expect(v).toBeCloseTo(expected[i]![c]!, 4)));
    }
    // One feature a row is another answer (the comparison can fail).
    const fewer = await json<{ outputs: number[][] }>(await decode({ features: topOf(dense, 1) }));
    expect(fewer.outputs).not.toEqual(sparse.outputs);
  });

  it('should read only the decoder rows named, not the model', async () => {
    const { id, dense } = await reluModel();
    const object = (await env.MODELS.head(`models/${id}.json`))!;
    const reads: number[] = [];
    const recording = {
      head: (key: string) => env.MODELS.head(key),
      get: async (key: string, options?: R2GetOptions) => {
        const range = options?.range as { length?: number } | undefined;
        reads.push(range?.length ?? object.size);
        return env.MODELS.get(key, options);
      },
    } as unknown as R2Bucket;
    const res = await app.request(request(`/v1/models/${id}/decode`, { token: ENCODE, json: { features: topOf(dense, 2, 0) } }), undefined, { ...env, MODELS: recording });
    expect(res.status, await res.clone().text()).toBe(200);
    const n = TRAINING_DATA[0]!.length;
    const rowsUsed = new Set(topOf(dense, 2, 0).flatMap((row) => row.indices)).size;
    const headerBytes = 8 + Number(new DataView(await (await env.MODELS.get(`models/${id}.json`, { range: { offset: 0, length: 8 } }))!.arrayBuffer()).getBigUint64(0, true));
    // Beyond the header: b2 and the two normalisation vectors (n numbers each) and the rows named,
    // each once (fewer than DECODE_RANGE_READS runs: no gap is read), never the whole object.
    expect(reads.some((length) => length === object.size)).toBe(false);
    expect(reads.reduce((a, b) => a + b, 0) - headerBytes).toBe((rowsUsed + 3) * n * 4);
  });

  it('should decode the binary form encode answers, as the JSON one', async () => {
    const { id } = await reluModel();
    const binary = new Uint8Array(await (await encode(id, { top: 3, threshold: 0 }, { accept: 'application/octet-stream' })).arrayBuffer());
    const sparse = await json<{ features: Features }>(await encode(id, { top: 3, threshold: 0 }));
    const decode = (body: BodyInit, type: string) => call(`/v1/models/${id}/decode`, { token: ENCODE, body, headers: { 'content-type': type } });
    const fromBinary = await json<{ outputs: number[][] }>(await decode(binary, 'application/octet-stream'));
    const fromJson = await json<{ outputs: number[][] }>(await decode(JSON.stringify({ features: sparse.features }), 'application/json'));
    expect(fromBinary.outputs).toEqual(fromJson.outputs);
    const dense = new Uint8Array(await (await encode(id, {}, { accept: 'application/octet-stream' })).arrayBuffer());
    const fromDense = await json<{ outputs: number[][] }>(await decode(dense, 'application/octet-stream'));
    expect(fromDense.outputs).toHaveLength(TRAINING_DATA.length);
    // A truncated body, or one whose h is not the model's, is a 422 naming what is wrong.
    expect((await expectProblem(await decode(binary.subarray(0, binary.length - 4), 'application/octet-stream'), 422)).detail).toMatch(/take \d+ bytes; got/);
    const other = binary.slice();
    new DataView(other.buffer).setUint32(8, 17, true);
    expect((await expectProblem(await decode(other, 'application/octet-stream'), 422)).detail).toContain('range over 17 features but the model has 16');
  });

  it('should refuse an index beyond h, a repeated one, and both or neither of features and codes', async () => {
    const { id } = await reluModel();
    const decode = (body: unknown) => call(`/v1/models/${id}/decode`, { token: ENCODE, json: body });
    expect((await expectProblem(await decode({ features: [{ indices: [16], values: [1] }] }), 422)).detail).toContain('features[0].indices[0] must be a whole number from 0 to 15');
    expect((await expectProblem(await decode({ features: [{ indices: [1, 1], values: [1, 2] }] }), 422)).detail).toContain('repeats feature 1');
    await expectProblem(await decode({ features: [], codes: [[1]] }), 422);
    await expectProblem(await decode({}), 422);
    await expectProblem(await call('/v1/models/nosuchmodel/decode', { token: ENCODE, json: { features: [{ indices: [0], values: [1] }] } }), 404);
  });
});

describe('GET /v1/models/{id}/features/{j}', () => {
  it('should give feature j\'s decoder row and encoder bias as the model file has them', async () => {
    for (const architecture of ['relu', 'jumprelu'] as const) {
      const { id } = await trainModel({ config: { architecture, hiddenSize: 16, normalize: 'standardize' } });
      const file = readBinaryModelFile(new Uint8Array(await (await call(`/v1/models/${id}/export?format=safetensors`)).arrayBuffer()));
      const n = file.shape.inputSize;
      for (const j of [0, 7, 15]) {
        const feature = await json<{ feature: number; decoder: number[]; encoderBias: number; threshold?: number }>(await call(`/v1/models/${id}/features/${j}`, { token: ENCODE }));
        expect(feature.feature).toBe(j);
        expect(feature.decoder).toEqual(Array.from(file.parameters.W2.subarray(j * n, (j + 1) * n)));
        expect(feature.encoderBias).toBe(file.parameters.b1[j]);
        if (architecture === 'jumprelu') expect(feature.threshold).toBe(file.parameters.theta![j]);
        else expect(feature.threshold).toBeUndefined();
      }
    }
  });

  it('should answer 404 for j ≥ h or an unknown model and 422 for a j that is not a whole number', async () => {
    const { id } = await reluModel();
    expect((await expectProblem(await call(`/v1/models/${id}/features/16`, { token: ENCODE }), 404)).type).toContain('feature-not-found');
    expect((await expectProblem(await call('/v1/models/nosuchmodel/features/0', { token: ENCODE }), 404)).type).toContain('model-not-found');
    for (const j of ['-1', '1.5', 'x']) expect((await expectProblem(await call(`/v1/models/${id}/features/${j}`, { token: ENCODE }), 422)).errors?.[0]?.parameter).toBe('j');
  });
});
