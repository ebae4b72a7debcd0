/**
 * A features job's events (GET /v1/feature-jobs/{id}/events, issue 29: "events, resume, cancel as
 * other jobs"): server-sent `progress` events while it runs, each with the job's step as its id and
 * its data, then one `end` event whose job succeeded, failed (its error named) or was cancelled;
 * 404 for an unknown job, 403 for a key limited to another model. The polls are made frequent
 * (JOB_EVENTS_INTERVAL_MS) so that the stream sees the job's slices one by one.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../../src/api/app.js';
import type { FeatureJob } from '../../src/api/features/durable-object.js';
import { readEventStream, type ServerSentEvent } from '../../src/util/event-stream.js';
import { featuresModel, type FeatureJobBody } from './features-helpers.js';
import { call, expectProblem, request, type CallOptions } from './helpers.js';
import { randomMatrix, uploadDataset } from './jobs-helpers.js';

/** Through the app with short polls (the stream's bindings are the request's). */
const send = (path: string, options: CallOptions = {}) => app.request(request(path, options), undefined, { ...env, RATE_LIMITER: undefined, JOB_EVENTS_INTERVAL_MS: '10' });

async function readAll(res: Response, onEvent: (event: ServerSentEvent) => Promise<void> = async () => undefined): Promise<{ type: string; id: string | null; job: FeatureJobBody }[]> {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events = [];
  for await (const event of readEventStream(res.body!)) {
    await onEvent(event);
    events.push({ type: event.type, id: event.lastEventId, job: JSON.parse(event.data) as FeatureJobBody });
  }
  return events;
}

async function startFeatures(modelId: string, datasetId: string): Promise<string> {
  const res = await call(`/v1/models/${modelId}/features`, { json: { datasetId } });
  expect(res.status, await res.clone().text()).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

describe('features job events', () => {
  it('should stream its progress slice by slice, then end with the job as it succeeded', async () => {
    // 64 columns: 16,384 rows a shard, so 40,000 rows are 3 shards; 3 + 3 + 1 = 7 steps, one a slice.
    const modelId = await featuresModel(64, 12);
    const datasetId = await uploadDataset(randomMatrix(40_000, 64, 5));
    const id = await startFeatures(modelId, datasetId);
    const events = await readAll(await send(`/v1/feature-jobs/${id}/events`));

    const end = events.at(-1)!;
    expect(end.type).toBe('end');
    expect(end.job).toMatchObject({ id, status: 'succeeded', phase: 'done', step: 7, steps: 7, error: null });
    expect(end.job).toEqual(await (await call(`/v1/feature-jobs/${id}`)).json());
    const progress = events.slice(0, -1);
    expect(progress.every((e) => e.type === 'progress' && ['queued', 'running'].includes(e.job.status))).toBe(true);
    // Each event's id is the job's step; steps only move on, one event a change.
    const steps = progress.map((e) => e.job.step);
    expect(progress.map((e) => e.id)).toEqual(steps.map(String));
    for (let k = 1; k < steps.length; k++) expect(steps[k]).toBeGreaterThanOrEqual(steps[k - 1]!);
    // Polled every 10 ms, the stream sees the slices in between: more than the first and the end.
    expect(new Set(steps).size).toBeGreaterThan(1);
  });

  it('should end the stream with the job cancelled when it is cancelled while followed', async () => {
    const modelId = await featuresModel(64, 12);
    const datasetId = await uploadDataset(randomMatrix(40_000, 64, 6));
    const id = await startFeatures(modelId, datasetId);
    let cancelled = false;
    const events = await readAll(await send(`/v1/feature-jobs/${id}/events`), async (event) => {
      if (event.type === 'progress' && !cancelled) {
        cancelled = true;
        expect((await call(`/v1/feature-jobs/${id}`, { method: 'DELETE' })).status).toBe(200);
      }
    });
    expect(events.map((e) => e.type).at(-1)).toBe('end');
    expect(events.at(-1)!.job).toMatchObject({ id, status: 'cancelled' });
  });

  it('should end the stream with the job failed, naming why, when its dataset is deleted while followed', async () => {
    const modelId = await featuresModel(64, 12);
    const datasetId = await uploadDataset(randomMatrix(40_000, 64, 7));
    const id = await startFeatures(modelId, datasetId);
    const res = await send(`/v1/feature-jobs/${id}/events`);
    expect((await call(`/v1/datasets/${datasetId}`, { method: 'DELETE' })).status).toBe(204);
    // As a restart would: the next slice loads the dataset again, and finds it gone.
    await runInDurableObject(env.FEATURE_JOBS.get(env.FEATURE_JOBS.idFromName(id)), (instance: FeatureJob) => instance.drop());
    const events = await readAll(res);
    expect(events.map((e) => e.type).at(-1)).toBe('end');
    expect(events.at(-1)!.job).toMatchObject({ id, status: 'failed', error: { type: 'dataset-not-found' } });
    expect(events.at(-1)!.job.error!.detail).toContain(datasetId);
  });

  it('should answer 404 for an unknown features job and 403 to a key limited to another model', async () => {
    await expectProblem(await send(`/v1/feature-jobs/${'e'.repeat(32)}/events`), 404);
    await expectProblem(await send('/v1/feature-jobs/not-an-id/events'), 404);
    const modelId = await featuresModel(4, 6);
    const other = await featuresModel(4, 6);
    const id = await startFeatures(modelId, await uploadDataset(randomMatrix(10, 4, 1)));
    const created = await send('/v1/keys', { json: { name: 'other-model-jobs', scopes: ['jobs:read'], models: [other] } });
    expect(created.status).toBe(201);
    const key = ((await created.json()) as { secret: string }).secret;
    const refused = await expectProblem(await send(`/v1/feature-jobs/${id}/events`, { token: key }), 403);
    expect(refused.detail).toContain(modelId);
    await expectProblem(await send(`/v1/feature-jobs/${id}/events`, { token: null }), 401);
  });
});
