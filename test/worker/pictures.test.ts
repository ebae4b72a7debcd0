/**
 * GET /v1/models/{id}/loss.svg, /filters.svg and /filters.png inside workerd: auth, content
 * types, the pictures' contents, ETag revalidation, and problem details for what cannot be drawn;
 * POST /v1/models/{id}/density.svg on rows sent (its counts equal evaluate's, bounded by MAX_ROWS).
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../../src/api/app.js';
import { call, ENCODE, expectProblem, request, trainModel, TRAINING_DATA } from './helpers.js';

function pngSize(bytes: Uint8Array): [number, number] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(Array.from(bytes.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(String.fromCharCode(...bytes.subarray(12, 16))).toBe('IHDR');
  return [view.getUint32(16), view.getUint32(20)];
}

describe('model pictures', () => {
  it('should draw the loss curve and the filters for a read token', async () => {
    const model = await trainModel({ config: { hiddenSize: 5 }, training: { epochs: 40, seed: 3 } });

    const loss = await call(`/v1/models/${model.id}/loss.svg`, { token: ENCODE });
    expect(loss.status).toBe(200);
    expect(loss.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    const lossSvg = await loss.text();
    expect(lossSvg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const d = /<path class="loss-line" d="([^"]+)"/.exec(lossSvg)?.[1] ?? '';
    expect(d.match(/[ML]/g)).toHaveLength(40);

    const filters = await call(`/v1/models/${model.id}/filters.svg`, { token: ENCODE });
    expect(filters.status).toBe(200);
    const filtersSvg = await filters.text();
    // 4 inputs → 2×2 filters, one <image class="filter"> a hidden unit.
    expect(filtersSvg.match(/<image class="filter"/g)).toHaveLength(5);

    const png = await call(`/v1/models/${model.id}/filters.png?shape=4x1&scale=2`, { token: ENCODE });
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    // 5 units → 3 columns × 2 rows of 4×1 tiles, 1-pixel borders, magnified 2×.
    expect(pngSize(new Uint8Array(await png.arrayBuffer()))).toEqual([(1 + 3 * 5) * 2, (1 + 2 * 2) * 2]);
  });

  it('should draw the validation loss of a model trained with validationSplit, and none without', async () => {
    const data = Array.from({ length: 40 }, (_, i) => [0, 1, 2, 3].map((j) => ((i * 7 + j * 3) % 10) / 10));
    const res = await call('/v1/models', { json: { data, config: { hiddenSize: 5 }, training: { epochs: 12, seed: 3, validationSplit: 0.25 } } });
    expect(res.status).toBe(201);
    const model = (await res.json()) as { id: string };
    const svg = await (await call(`/v1/models/${model.id}/loss.svg`, { token: ENCODE })).text();
    const d = /<path class="validation-line" d="([^"]+)"/.exec(svg)?.[1] ?? '';
    expect(d.match(/[ML]/g)).toHaveLength(12);
    expect(svg).toContain('<g class="legend"');

    const plain = await trainModel({ config: { hiddenSize: 5 }, training: { epochs: 12, seed: 3 } });
    const plainSvg = await (await call(`/v1/models/${plain.id}/loss.svg`, { token: ENCODE })).text();
    expect(plainSvg).not.toContain('validation-line');
    expect(plainSvg).not.toContain('class="legend"');
  });

  it('should answer 304 to a matching If-None-Match, and a new ETag after retraining', async () => {
    const model = await trainModel();
    const first = await call(`/v1/models/${model.id}/loss.svg`);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^W\/".+"$/);
    await first.text();
    const again = await call(`/v1/models/${model.id}/loss.svg`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    const other = await call(`/v1/models/${model.id}/loss.svg?scale=log`, { headers: { 'if-none-match': etag! } });
    expect(other.status).toBe(200);
    await other.text();
  });

  it('should refuse what it cannot draw, with problem details', async () => {
    const model = await trainModel();
    const shape = await expectProblem(await call(`/v1/models/${model.id}/filters.svg?shape=3x1`), 422);
    expect(shape.detail).toMatch(/3x1 has 3 pixels, but the model has 4 inputs/);
    expect(shape.errors).toEqual([expect.objectContaining({ parameter: 'shape' })]);
    await expectProblem(await call(`/v1/models/${model.id}/filters.png?shape=big`), 422);
    const zero = await expectProblem(await call(`/v1/models/${model.id}/filters.svg?shape=0x10`), 422);
    expect(zero.errors).toEqual([expect.objectContaining({ parameter: 'shape' })]);
    await expectProblem(await call(`/v1/models/${model.id}/filters.png?scale=100`), 422);
    await expectProblem(await call(`/v1/models/${model.id}/loss.svg?scale=cubic`), 422);
    await expectProblem(await call(`/v1/models/${'a'.repeat(32)}/loss.svg`), 404);
    await expectProblem(await call(`/v1/models/${model.id}/loss.svg`, { token: null }), 401);
  });
});

describe('feature-density histogram', () => {
  it('should draw the rows sent for an encode token, its dead and dense counts those of evaluate', async () => {
    const model = await trainModel({ config: { hiddenSize: 6, architecture: 'relu' }, training: { epochs: 20, seed: 3 } });
    const res = await call(`/v1/models/${model.id}/density.svg?bins=10`, { token: ENCODE, json: { inputs: TRAINING_DATA } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    const svg = await res.text();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const evaluated = await call(`/v1/models/${model.id}/evaluate`, { token: ENCODE, json: { inputs: TRAINING_DATA } });
    const metrics = (await evaluated.json()) as { deadUnits: number; denseUnits: number };
    expect(svg).toContain(`<title id="density-title">Feature density: 6 units, ${metrics.deadUnits} dead, ${metrics.denseUnits} dense (above 0.1)</title>`);
  });

  it('should refuse bad bins, wrong widths, too many rows, no token and unknown models', async () => {
    const model = await trainModel();
    await expectProblem(await call(`/v1/models/${model.id}/density.svg?bins=0`, { json: { inputs: TRAINING_DATA } }), 422);
    await expectProblem(await call(`/v1/models/${model.id}/density.svg`, { json: { inputs: [[1, 2]] } }), 422);
    await expectProblem(await call(`/v1/models/${model.id}/density.svg`, { json: { inputs: TRAINING_DATA }, token: null }), 401);
    await expectProblem(await call(`/v1/models/${'a'.repeat(32)}/density.svg`, { json: { inputs: TRAINING_DATA } }), 404);
    const res = await app.request(request(`/v1/models/${model.id}/density.svg`, { json: { inputs: TRAINING_DATA } }), undefined, { ...env, MAX_ROWS: '5' });
    expect((await expectProblem(res, 413)).limit).toBe('MAX_ROWS');
  });
});
