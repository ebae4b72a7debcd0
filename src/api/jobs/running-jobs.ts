/**
 * The cap on jobs running at once across the deployment (MAX_RUNNING_JOBS): one Durable Object
 * for the Worker, `RunningJobs`, holds the ids of the jobs it admitted. Why a Durable Object:
 * admission must count every isolate's jobs with strong consistency, and one object's storage
 * and single thread give exactly that; it is asked once per job start, never on a job's slices.
 *
 * Jobs are not told to check out: a job that ended (or whose object lost it) is found when the
 * cap is reached — admission asks each admitted job's own object for its status and forgets the
 * ended ones — so the count cannot leak, and no job code depends on this object being up.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../env.js';
import { readLimits } from '../limits.js';
import { ApiError } from '../problem.js';
import { isTerminal } from './record.js';

const PREFIX = 'job:';

export class RunningJobs extends DurableObject<Bindings> {
  /**
   * Admits all of `ids` or none: when the jobs still running and these would pass `cap`, none
   * is admitted. Returns how many run (with these, when admitted).
   */
  async admit(ids: readonly string[], cap: number): Promise<{ admitted: boolean; running: number }> {
    // One admission at a time: the status calls below are outgoing, which would let another
    // admission interleave and both count the same free slots.
    return this.ctx.blockConcurrencyWhile(async () => {
      let running = await this.ctx.storage.list<number>({ prefix: PREFIX });
      if (running.size + ids.length > cap) running = await this.forgetEnded(running);
      if (running.size + ids.length > cap) return { admitted: false, running: running.size };
      const now = Date.now();
      await this.ctx.storage.put(Object.fromEntries(ids.map((id) => [PREFIX + id, now])));
      return { admitted: true, running: running.size + ids.length };
    });
  }

  /** The ids of the jobs admitted and not yet known to have ended. */
  async list(): Promise<string[]> {
    return [...(await this.ctx.storage.list({ prefix: PREFIX })).keys()].map((key) => key.slice(PREFIX.length));
  }

  private async forgetEnded(running: Map<string, number>): Promise<Map<string, number>> {
    const ids = [...running.keys()].map((key) => key.slice(PREFIX.length));
    const views = await Promise.all(ids.map((id) => this.env.JOBS.get(this.env.JOBS.idFromName(id)).status(false)));
    const ended = ids.filter((_, i) => views[i] === null || isTerminal(views[i]!.status));
    await this.ctx.storage.delete(ended.map((id) => PREFIX + id));
    for (const id of ended) running.delete(PREFIX + id);
    return running;
  }
}

/** Admits jobs `ids` under MAX_RUNNING_JOBS, or throws 429 naming the limit. */
export async function admitJobs(env: Bindings, ids: readonly string[]): Promise<void> {
  const cap = readLimits(env).maxRunningJobs;
  const registry = env.RUNNING_JOBS.get(env.RUNNING_JOBS.idFromName('deployment'));
  const { admitted, running } = await registry.admit(ids, cap);
  if (!admitted) {
    throw new ApiError(429, {
      type: 'too-many-jobs',
      title: 'Too many jobs running',
      detail: `${running} job${running === 1 ? ' is' : 's are'} running and ${ids.length} more would pass the limit MAX_RUNNING_JOBS = ${cap}; retry when some have finished, or cancel some.`,
      headers: { 'retry-after': '30' },
      extra: { limit: 'MAX_RUNNING_JOBS', value: cap, running },
    });
  }
}
