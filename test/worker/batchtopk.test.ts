/**
 * batchtopk and matryoshka through the HTTP API: the group sizes in a JSON body (a list) and in a
 * CSV body's query (12,12,24 as text), their checks answered as 422 invalid-option naming the
 * field, and the config answered with the options the architecture reads (θ's running-mean
 * options; no jumprelu or sigmoid ones).
 */
import { describe, expect, it } from 'vitest';
import { call, expectProblem, trainModel } from './helpers.js';

describe('batchtopk and matryoshka on the API', () => {
  it('should train both from a JSON body and answer with the options each reads', async () => {
    const batch = await trainModel({ config: { architecture: 'batchtopk', hiddenSize: 6, k: 2, thresholdStart: 10 } });
    expect(batch.config).toMatchObject({ architecture: 'batchtopk', k: 2, thresholdStart: 10, thresholdDecay: 0.999 });
    for (const key of ['groupSizes', 'l0Coefficient', 'sparsityTarget']) expect(batch.config, key).not.toHaveProperty(key);
    const nested = await trainModel({ config: { architecture: 'matryoshka', hiddenSize: 6, k: 2, groupSizes: [2, 4] } });
    expect(nested.config).toMatchObject({ architecture: 'matryoshka', groupSizes: [2, 4] });
  });

  it('should take the group sizes as text in a CSV body\'s query', async () => {
    const csv = 'a,b,c,d\n0.1,0.2,0.3,0.4\n0.5,0.1,0.9,0.2\n0.3,0.3,0.1,0.8\n';
    const res = await call('/v1/models?epochs=5&architecture=matryoshka&hiddenSize=6&k=2&groupSizes=3,3', { body: csv, headers: { 'content-type': 'text/csv' } });
    const text = await res.text();
    expect(res.status, text).toBe(201);
    expect((JSON.parse(text) as { config: Record<string, unknown> }).config).toMatchObject({ groupSizes: [3, 3] });
  });

  it('should refuse group sizes that do not sum to the hidden size, or a matryoshka without them, naming the field', async () => {
    const data = [[0.1, 0.2], [0.3, 0.4]];
    let problem = await expectProblem(await call('/v1/models', { json: { data, config: { architecture: 'matryoshka', hiddenSize: 6, k: 2, groupSizes: [2, 2] } } }), 422);
    expect(problem.type).toBe('urn:edge-sae:problem:invalid-option');
    expect(JSON.stringify(problem)).toContain('must sum to the hidden size 6 (the groups split the dictionary), got 2 + 2 = 4');
    problem = await expectProblem(await call('/v1/models', { json: { data, config: { architecture: 'matryoshka', hiddenSize: 6, k: 2 } } }), 422);
    expect(JSON.stringify(problem)).toContain('groupSizes');
    await expectProblem(await call('/v1/models', { json: { data, config: { architecture: 'matryoshka', hiddenSize: 6, k: 2, groupSizes: '3,3' } } }), 422);
  });
});
