/**
 * The Durable Object every sliced job is (training jobs, batch encodes, features jobs): a record in
 * the object's storage, moved on by its alarm one slice at a time. What is the same for all of them
 * lives here, once:
 * - the record's life: queued → running (first slice) → succeeded | failed | cancelled, and the
 *   bookkeeping of every slice (src/api/slice-bookkeeping.ts);
 * - the alarm: one slice a call, the next scheduled while the job runs;
 * - status: never a hang (an unfinished job always has a slice scheduled or running);
 * - cancel: the record says cancelled before anything is deleted, so a slice in flight sees it;
 * - failures: a known one (JobFailure, an InputError) ends the job with its type at once; an
 *   unexpected one (storage trouble…) is retried with backoff, and ends the job after
 *   MAX_FAILURES in a row.
 * What a slice does, what the record holds beyond the bookkeeping, what a failure is called and
 * what an ended job deletes are each job's own (the abstract members).
 */
import { DurableObject } from 'cloudflare:workers';
import { InputError } from '../errors.js';
import type { Bindings } from './env.js';
import { isTerminal, type JobStatus } from './jobs/record.js';
import type { SliceBookkeeping } from './slice-bookkeeping.js';

/** Unexpected failures in a row after which the job fails rather than retrying. */
export const MAX_FAILURES = 3;

/** A failure that ends the job with a reason (not retried). */
export class JobFailure extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export type JobError = NonNullable<SliceBookkeeping['error']>;

/** What the base reads and writes in a job's record; the rest is the job's own. */
export interface SlicedJobRecord extends SliceBookkeeping {
  id: string;
  status: JobStatus;
}

/** The fields the base fills in when a job is created (the status and the bookkeeping). */
type BaseFields = Exclude<keyof SlicedJobRecord, 'id'>;

/** `I` is what start() is handed, `R` the stored record, `V` its public view. */
export abstract class SlicedJob<I, R extends SlicedJobRecord, V> extends DurableObject<Bindings> {
  /** The record's storage key, and the prefix of the job's log lines (`${kind}.error`, `${kind}.failed`). */
  protected abstract readonly kind: string;

  /** The record's own fields for a new job (the base adds its status and bookkeeping). */
  protected abstract initialRecord(init: I): Omit<R, BaseFields>;
  protected abstract view(record: R): V;
  /**
   * One slice: begins with beginSlice, ends with endSlice (or leaves the job as a cancel left it).
   * What it throws goes to the failure handling above.
   */
  protected abstract runSlice(record: R): Promise<void>;
  /** Forgets what is loaded in memory (as an eviction would); the next slice loads it again from storage. */
  abstract drop(): void;
  /** Deletes what an unfinished job has written (its working state, its partial output), on cancel and failure. */
  protected abstract cleanUp(record: R): Promise<void>;
  /**
   * The error the job ends with: for a known failure (JobFailure, InputError), or for an
   * unexpected one that happened MAX_FAILURES times in a row.
   */
  protected abstract errorOf(error: unknown, record: R): JobError;

  private record: R | null | undefined;
  private sliceInProgress = false;

  /** Creates the job and schedules its first slice. Idempotent for the same id. */
  async start(init: I): Promise<V> {
    const existing = await this.load();
    if (existing) return this.view(existing);
    const now = new Date().toISOString();
    const record = {
      ...this.initialRecord(init),
      status: 'queued',
      slices: 0,
      sliceMs: 0,
      failures: 0,
      error: null,
      createdAt: now,
      startedAt: null,
      updatedAt: now,
      finishedAt: null,
    } as unknown as R;
    await this.save(record);
    await this.ctx.storage.setAlarm(Date.now());
    return this.view(record);
  }

  /** The job's view, or null when no job has this id. */
  async status(): Promise<V | null> {
    const record = await this.current();
    return record && this.view(record);
  }

  /** Cancels an unfinished job (a finished one is left as it is); null when there is none. */
  async cancel(): Promise<V | null> {
    const record = await this.load();
    if (!record) return null;
    if (isTerminal(record.status)) return this.view(record);
    record.status = 'cancelled';
    record.finishedAt = new Date().toISOString();
    await this.save(record);
    await this.ctx.storage.deleteAlarm();
    this.drop();
    await this.cleanUp(record);
    return this.view(record);
  }

  override async alarm(): Promise<void> {
    const record = await this.load();
    if (!record || isTerminal(record.status)) return;
    this.sliceInProgress = true;
    try {
      await this.runSlice(record);
    } catch (error) {
      await this.handleError(record, error);
    } finally {
      this.sliceInProgress = false;
    }
    if (record.status === 'cancelled') {
      // Cancelled while the slice awaited storage: what the slice loaded or wrote after the
      // cancel's clean-up (a run rebuilt, a state or shard written) must not outlive the job.
      this.drop();
      await this.cleanUp(record).catch(() => undefined);
    }
  }

  /** The record, with a slice scheduled if an unfinished job has none (never a hang); null when there is no job. */
  protected async current(): Promise<R | null> {
    const record = await this.load();
    if (!record) return null;
    if (!isTerminal(record.status) && !this.sliceInProgress && (await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now());
    }
    return record;
  }

  /** Marks a queued job running (its first slice); returns the slice's start time. */
  protected beginSlice(record: R): number {
    const started = Date.now();
    if (record.status === 'queued') {
      record.status = 'running';
      record.startedAt = new Date(started).toISOString();
    }
    return started;
  }

  /**
   * Counts a slice that took `wallMs` into the record, saves it and, while the job runs,
   * schedules the next slice. Returns how long the record's write took.
   */
  protected async endSlice(record: R, wallMs: number): Promise<number> {
    record.slices += 1;
    record.sliceMs += wallMs;
    record.failures = 0;
    const saveStart = Date.now();
    await this.save(record);
    const saveMs = Date.now() - saveStart;
    if (record.status === 'running') await this.ctx.storage.setAlarm(Date.now());
    return saveMs;
  }

  protected async load(): Promise<R | null> {
    if (this.record === undefined) this.record = (await this.ctx.storage.get<R>(this.kind)) ?? null;
    return this.record;
  }

  protected async save(record: R): Promise<void> {
    record.updatedAt = new Date().toISOString();
    this.record = record;
    await this.ctx.storage.put(this.kind, record);
  }

  private async handleError(record: R, error: unknown): Promise<void> {
    this.drop();
    // Cancelled while the slice ran (what it threw may be the cancel's doing): it stays cancelled.
    if (isTerminal(record.status)) return;
    if (!(error instanceof JobFailure || error instanceof InputError)) {
      record.failures += 1;
      console.error(JSON.stringify({ event: `${this.kind}.error`, job: record.id, failures: record.failures, error: String(error) }));
      if (record.failures < MAX_FAILURES) {
        await this.save(record);
        await this.ctx.storage.setAlarm(Date.now() + 1000 * 2 ** record.failures);
        return;
      }
    }
    record.status = 'failed';
    record.error = this.errorOf(error, record);
    record.finishedAt = new Date().toISOString();
    await this.save(record);
    await this.ctx.storage.deleteAlarm();
    console.log(JSON.stringify({ event: `${this.kind}.failed`, job: record.id, ...record.error }));
    // The failure is recorded; what is left behind if this fails too is only storage.
    await this.cleanUp(record).catch(() => undefined);
  }
}
