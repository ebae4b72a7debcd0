/**
 * The hot path: a warm encode reads no storage. Counted through a bucket wrapper that forwards
 * to the real (miniflare) R2 and records every operation.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../../src/api/app.js';
import { FaultyBucket } from './faults-bucket.js';
import { ENCODE, request, TRAINING_DATA } from './helpers.js';

describe('warm encode', () => {
  it('should read no storage once the model is cached, and re-check R2 only after the window', async () => {
    const bucket = new FaultyBucket(env.MODELS);
    const through = (path: string, init: Parameters<typeof request>[1], vars: Record<string, string> = {}) =>
      app.request(request(path, init), undefined, { ...env, ...vars, MODELS: bucket.binding });

    const trained = await through('/v1/models', { json: { data: TRAINING_DATA, training: { epochs: 5 } } });
    expect(trained.status).toBe(201);
    const { id } = (await trained.json()) as { id: string };
    const encode = (vars?: Record<string, string>) =>
      through(`/v1/models/${id}/encode`, { token: ENCODE, json: { input: TRAINING_DATA[0] } }, vars);

    // The first encode after training: this isolate cached the model when it trained it.
    const before = { ...bucket.calls };
    for (let i = 0; i < 20; i++) expect((await encode()).status).toBe(200);
    expect(bucket.calls).toEqual(before); // 20 warm encodes: not one R2 operation

    // With a 1 ms window each encode confirms the version with one metadata read (no body).
    await new Promise((done) => setTimeout(done, 5));
    const head = bucket.calls.head;
    const get = bucket.calls.get;
    expect((await encode({ MODEL_CACHE_REVALIDATE_MS: '1' })).status).toBe(200);
    expect(bucket.calls.head).toBe(head + 1);
    expect(bucket.calls.get).toBe(get);
  });
});
