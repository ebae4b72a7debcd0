/** Helpers for the sweep tests inside workerd: starting a sweep and waiting for it to finish. */
import { expect } from 'vitest';
import { call } from './helpers.js';

export interface SweepBody {
  id: string;
  status: 'running' | 'finished' | 'cancelled';
  metric: string;
  best: string | null;
  trials: Array<{
    name: string;
    options: Record<string, number | string>;
    jobId: string | null;
    status: string;
    metrics: { fvu: number | null; loss: number } | null;
    modelId: string | null;
    error: { type: string; detail: string } | null;
    rank: number | null;
    best: boolean;
    value: number | null;
  }>;
}

export async function startSweep(body: unknown): Promise<SweepBody> {
  const res = await call('/v1/sweeps', { json: body });
  const text = await res.text();
  expect(res.status, text).toBe(202);
  expect(res.headers.get('location')).toBe(`/v1/sweeps/${(JSON.parse(text) as SweepBody).id}`);
  return JSON.parse(text) as SweepBody;
}

export async function waitForSweep(id: string, timeoutMs = 55_000): Promise<SweepBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call(`/v1/sweeps/${id}`);
    expect(res.status).toBe(200);
    const sweep = (await res.json()) as SweepBody;
    if (sweep.status !== 'running') return sweep;
    if (Date.now() > deadline) throw new Error(`sweep ${id} did not finish in time: ${JSON.stringify(sweep)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
