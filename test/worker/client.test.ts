/** The typed client: `hc<AppType>` from hono/client against the Worker. */
import { SELF } from 'cloudflare:test';
import { hc } from 'hono/client';
import { describe, expect, it } from 'vitest';
import type { AppType } from '../../src/worker.js';
import { ADMIN, BASE, ENCODE, TRAINING_DATA } from './helpers.js';

const fetchThroughWorker: typeof fetch = (input, init) => SELF.fetch(new Request(input, init));

describe('hc client', () => {
  it('should train and encode with typed calls', async () => {
    const admin = hc<AppType>(BASE, { fetch: fetchThroughWorker, headers: { authorization: `Bearer ${ADMIN}` } });
    const reader = hc<AppType>(BASE, { fetch: fetchThroughWorker, headers: { authorization: `Bearer ${ENCODE}` } });

    const trained = await admin.v1.models.$post({ json: { data: TRAINING_DATA, training: { epochs: 5 } }, query: {} });
    expect(trained.status).toBe(201);
    if (trained.status !== 201) return;
    const model = await trained.json();
    expect(model.hiddenSize).toBe(12);

    const encoded = await reader.v1.models[':id'].encode.$post({ param: { id: model.id }, json: { inputs: TRAINING_DATA } });
    expect(encoded.status).toBe(200);
    if (encoded.status !== 200) return;
    const { codes } = await encoded.json();
    expect(codes).toHaveLength(TRAINING_DATA.length);

    const health = await reader.healthz.$get();
    expect((await health.json()).backend).toBe('assemblyscript');
  });
});
