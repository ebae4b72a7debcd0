/**
 * One model uploaded in parts = one Durable Object (binding MODEL_UPLOADS), keyed by the upload's
 * id, which is also the id of the model it becomes (docs/API.md, Models uploaded in parts). The
 * protocol is the datasets' (src/api/datasets/upload-object.ts: start, parts in any order and
 * resent at will, status, complete, abort, expiry), with one difference: part 0 comes first, because
 * it carries the model file's header, and every later part is checked against it on arrival.
 *
 * The file goes to R2 as one multipart upload straight to the model's key (models/{id}.json), so
 * a model can be as large as R2's object (10,000 parts × the part size); the model exists only
 * once the multipart upload completes, whole. Each part's bytes go to R2 at once; this object
 * keeps the state (layout, header, each part's etag) and the bytes of the small tensors the parts
 * held, from which completion checks the file with the model file's own reader before completing.
 *
 * Consistency (as the datasets' uploads): every write runs through one queue; completing first
 * saves `completing`, and whoever next touches the upload finishes it (R2's complete is done again,
 * or found done by the object's presence). A part replaced has its record deleted before its new
 * bytes go up. Abort and the expiry alarm abort the R2 multipart upload, so nothing stays stored.
 */
import { DurableObject } from 'cloudflare:workers';
import { ModelFileError } from '../../errors.js';
import { encoderWeightRange, packSmallFile, planEncoderRead, readSmallFile, type Fail } from '../../model/encoder-pieces.js';
import { uploadNotFound, type UploadProblem, type UploadResult } from '../datasets/upload-problems.js';
import type { Bindings } from '../env.js';
import { readLimits } from '../limits.js';
import { ModelStore } from '../model-store.js';
import { MODEL_KEYS } from '../storage-keys.js';
import { detailOf, type ModelDetail } from './service.js';
import { checkPart, PartError, readUploadHeader, type SmallPiece, type UploadHeader } from './upload-layout.js';

const STATE_KEY = 'upload';
const HEADER_PREFIX = 'header:';
const etagKey = (n: number) => `etag:${n}`;
const smallPrefix = (n: number) => `small:${n}:`;
/** Stored values stay under Durable Object storage's 2 MB a value. */
const CHUNK_BYTES = 1024 * 1024;

export interface ModelUploadInit {
  id: string;
  name: string | null;
  bytes: number;
  partBytes: number;
  partCount: number;
  lastPartBytes: number;
}

interface ModelUploadState extends ModelUploadInit {
  status: 'open' | 'completing' | 'completed';
  createdAt: string;
  expiresAt: number;
  received: number[];
  /** R2's multipart upload id, once part 0 has arrived. */
  uploadId: string | null;
  header: UploadHeader | null;
  /** SHA-256 of part 0's header bytes: part 0 sent again must carry the same header. */
  headerDigest: string | null;
}

export interface ModelUploadView {
  id: string;
  name: string | null;
  bytes: number;
  partCount: number;
  partBytes: number;
  lastPartBytes: number;
  received: number[];
  missing: number;
  status: 'open' | 'completed';
  createdAt: string;
  expiresAt: string;
}

const ok = <T>(value: T): UploadResult<T> => ({ ok: true, value });
const refuse = (problem: UploadProblem): UploadResult<never> => ({ ok: false, problem });

export class ModelUpload extends DurableObject<Bindings> {
  private state: ModelUploadState | null | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  /** Starts the upload (idempotent for the same id) and sets its expiry alarm. */
  async create(init: ModelUploadInit): Promise<ModelUploadView> {
    return this.serially(async () => {
      const existing = await this.load();
      if (existing) return viewOf(existing);
      const state: ModelUploadState = { ...init, status: 'open', createdAt: new Date().toISOString(), expiresAt: 0, received: [], uploadId: null, header: null, headerDigest: null };
      await this.touch(state);
      return viewOf(state);
    });
  }

  async view(): Promise<ModelUploadView | null> {
    return this.serially(async () => {
      const state = await this.settled();
      return state ? viewOf(state) : null;
    });
  }

  /** Checks part n and sends it to R2 as part n + 1 of the multipart upload, replacing an earlier copy. */
  async putPart(n: number, body: ArrayBuffer): Promise<UploadResult<ModelUploadView>> {
    return this.guarded(async () => {
      const state = await this.settled();
      if (!state) return refuse(uploadNotFound());
      if (state.status !== 'open') return refuse(alreadyCompleted(state.id));
      const bytes = new Uint8Array(body);
      if (n >= state.partCount) return refuse(invalidPart(n, `the upload has ${state.partCount} part${state.partCount === 1 ? '' : 's'} (0 to ${state.partCount - 1}); there is no part ${n}`));
      const expected = n === state.partCount - 1 ? state.lastPartBytes : state.partBytes;
      if (bytes.length !== expected) return refuse(invalidPart(n, `part ${n} has ${bytes.length} bytes; it must have ${expected} (${n === state.partCount - 1 ? 'the last part: the file\'s bytes after the others' : 'partBytes'})`));
      let header = state.header;
      let digest: string | null = null;
      if (n === 0) {
        try {
          header = readUploadHeader(bytes, state.bytes);
        } catch (error) {
          if (error instanceof PartError) return refuse(badModelFile(n, error));
          throw error;
        }
        digest = await sha256(bytes.subarray(0, 8 + header.headerLength));
        if (state.headerDigest !== null && digest !== state.headerDigest) {
          return refuse({ status: 409, type: 'conflict', title: 'Conflict', detail: `Part 0 sent again carries another header than the first time: the parts already sent belong to that file. Abort this upload (DELETE /v1/models/uploads/${state.id}) and start a new one.` });
        }
      }
      if (header === null) return refuse({ status: 409, type: 'conflict', title: 'Conflict', detail: `Send part 0 first: it carries the model file's header, against which every other part is checked. Then send the others, in any order.` });
      let pieces: SmallPiece[];
      try {
        pieces = checkPart(header, n * state.partBytes, bytes);
      } catch (error) {
        if (error instanceof PartError) return refuse(badModelFile(n, error));
        throw error;
      }
      const store = new ModelStore(this.env.MODELS);
      if (state.uploadId === null) {
        const multipart = await store.startParts(state.id, { name: state.name, inputSize: header.inputSize, hiddenSize: header.hiddenSize }, header.inferenceBytes, header.source);
        state.uploadId = multipart.uploadId;
        state.header = header;
        state.headerDigest = digest;
        await this.save(state);
        await this.saveHeaderText(bytes.subarray(8, 8 + header.headerLength));
      }
      if (state.received.includes(n)) {
        // Replacing: the old record goes first, so a crash leaves the part missing, never stale.
        state.received = state.received.filter((m) => m !== n);
        await this.deletePrefix(smallPrefix(n));
        await this.ctx.storage.delete(etagKey(n));
        await this.save(state);
      }
      const multipart = this.env.MODELS.resumeMultipartUpload(MODEL_KEYS.key(state.id), state.uploadId);
      let uploaded: R2UploadedPart;
      try {
        uploaded = await multipart.uploadPart(n + 1, bytes);
      } catch (error) {
        console.error('edge-sae: a model part upload failed', error);
        return refuse(storageFailed(`storing part ${n}`));
      }
      const entries: Record<string, unknown> = { [etagKey(n)]: uploaded.etag };
      let k = 0;
      for (const piece of pieces) {
        for (let at = 0; at < piece.bytes.length; at += CHUNK_BYTES) entries[`${smallPrefix(n)}${k++}`] = { name: piece.name, at: piece.at + at, bytes: piece.bytes.slice(at, at + CHUNK_BYTES) };
      }
      state.received = [...state.received, n].sort((a, b) => a - b);
      await this.touch(state, entries);
      return ok(viewOf(state));
    });
  }

  /** Checks the whole file's metadata and small tensors, then completes the R2 multipart upload: the model appears. */
  async complete(): Promise<UploadResult<ModelDetail>> {
    return this.guarded(async () => {
      const loaded = await this.load();
      if (loaded?.status === 'completing') return this.finish(loaded);
      const state = await this.live();
      if (!state) return refuse(uploadNotFound());
      if (state.status === 'completed') return refuse(alreadyCompleted(state.id));
      const missing: number[] = [];
      for (let n = 0; n < state.partCount && missing.length < 20; n++) if (!state.received.includes(n)) missing.push(n);
      if (missing.length > 0) {
        const missingCount = state.partCount - state.received.length;
        return refuse({
          status: 409,
          type: 'upload-incomplete',
          title: 'Upload incomplete',
          detail: `${missingCount} of ${state.partCount} parts have not arrived: ${missing.join(', ')}${missingCount > missing.length ? ', …' : ''}. Send them, then complete again.`,
          extra: { missing, missingCount },
        });
      }
      state.status = 'completing';
      await this.save(state);
      return this.finish(state);
    });
  }

  /** Aborts an open upload: R2's multipart upload (its parts) and this state are deleted. */
  async abort(): Promise<UploadResult<null>> {
    return this.guarded(async () => {
      const state = await this.settled();
      if (!state) return refuse(uploadNotFound());
      if (state.status === 'completed') return refuse(alreadyCompleted(state.id));
      await this.forget(state, true);
      return ok(null);
    });
  }

  override async alarm(): Promise<void> {
    await this.serially(async () => {
      this.state = undefined;
      let state = await this.load();
      if (!state) return;
      if (state.status === 'completing') {
        await this.finish(state);
        state = (await this.load())!;
      }
      if (Date.now() < state.expiresAt) {
        await this.ctx.storage.setAlarm(state.expiresAt);
        return;
      }
      console.log(JSON.stringify({ event: 'model-upload.expired', upload: state.id, status: state.status, received: state.received.length }));
      await this.forget(state, state.status === 'open');
    });
  }

  /**
   * The completion: the small tensors checked by the model file's reader (a bad file: 422, the
   * upload back to open), then R2's complete. Run again after a crash it finds the object there.
   */
  private async finish(state: ModelUploadState): Promise<UploadResult<ModelDetail>> {
    const header = state.header!;
    let checked;
    try {
      checked = await this.checkedState(state, header);
    } catch (error) {
      if (!(error instanceof ModelFileError)) throw error;
      state.status = 'open';
      await this.touch(state);
      return refuse({ status: 422, type: 'invalid-model-file', title: 'Invalid model file', detail: `${error.message}. The upload stays open: send the parts again, or abort it.`, extra: { field: error.field } });
    }
    const store = new ModelStore(this.env.MODELS);
    let head = await store.head(state.id);
    if (!head) {
      const parts: R2UploadedPart[] = [];
      for (let n = 0; n < state.partCount; n++) parts.push({ partNumber: n + 1, etag: (await this.ctx.storage.get<string>(etagKey(n)))! });
      try {
        await this.env.MODELS.resumeMultipartUpload(MODEL_KEYS.key(state.id), state.uploadId!).complete(parts);
      } catch (error) {
        console.error('edge-sae: completing a model upload failed', error);
        head = await store.head(state.id);
        if (!head) return refuse(storageFailed('completing the upload'));
      }
      head ??= await store.head(state.id);
    }
    state.status = 'completed';
    await this.touch(state);
    return ok(detailOf(head!.summary, checked));
  }

  /** The model state of the small file the parts' kept bytes make; throws ModelFileError naming the field. */
  private async checkedState(state: ModelUploadState, header: UploadHeader) {
    const source = `upload ${state.id}`;
    const fail: Fail = (field, problem) => {
      throw new ModelFileError(field, problem, source);
    };
    const text = await this.headerText();
    const plan = planEncoderRead(JSON.parse(text) as Record<string, unknown>, header.headerLength, state.bytes);
    const buffers = new Map<string, Uint8Array>();
    for (const span of header.tensors) buffers.set(span.name, new Uint8Array(span.end - span.begin));
    const stored = await this.ctx.storage.list<SmallPiece>({ prefix: 'small:' });
    for (const piece of stored.values()) {
      const span = header.tensors.find((t) => t.name === piece.name)!;
      buffers.get(piece.name)!.set(new Uint8Array(piece.bytes), piece.at - span.begin);
    }
    const modelState = readSmallFile(packSmallFile(plan, (name) => buffers.get(name)!), source);
    encoderWeightRange(plan, modelState, fail);
    // decoder.weight is not read here (its values were checked part by part): its entry must fit the model.
    const { inputSize: n, hiddenSize: h } = modelState.shape;
    const decoder = header.tensors.find((t) => t.name === 'decoder.weight');
    const encoder = header.tensors.find((t) => t.name === 'encoder.weight')!;
    if (!decoder) fail('decoder.weight', `is missing (a ${encoder.dtype} tensor of shape [${h}, ${n}])`);
    if (decoder.dtype !== encoder.dtype || decoder.end - decoder.begin !== encoder.end - encoder.begin || decoder.rowLength !== n) fail('decoder.weight', `must be a ${encoder.dtype} tensor of shape [${h}, ${n}], as encoder.weight is [${n}, ${h}]`);
    return modelState;
  }

  private async saveHeaderText(bytes: Uint8Array): Promise<void> {
    const text = new TextDecoder().decode(bytes);
    const entries: Record<string, string> = {};
    // (a chunk of CHUNK_BYTES / 4 characters is at most CHUNK_BYTES bytes of UTF-8)
    for (let at = 0, k = 0; at < text.length; at += CHUNK_BYTES / 4, k++) entries[`${HEADER_PREFIX}${String(k).padStart(6, '0')}`] = text.slice(at, at + CHUNK_BYTES / 4);
    await this.ctx.storage.put(entries);
  }

  private async headerText(): Promise<string> {
    const chunks = await this.ctx.storage.list<string>({ prefix: HEADER_PREFIX });
    return [...chunks.values()].join('');
  }

  private async deletePrefix(prefix: string): Promise<void> {
    const keys = [...(await this.ctx.storage.list({ prefix })).keys()];
    for (let at = 0; at < keys.length; at += 128) await this.ctx.storage.delete(keys.slice(at, at + 128));
  }

  /**
   * serially() for the operations that answer an UploadResult: a failing store (R2 throwing) is
   * answered 503 as a refusal, since an exception's class does not cross RPC (the Worker would see a 500).
   */
  private guarded<T>(work: () => Promise<UploadResult<T>>): Promise<UploadResult<T>> {
    return this.serially(async () => {
      try {
        return await work();
      } catch (error) {
        console.error('edge-sae: a model upload failed on its store', error);
        return refuse(storageFailed('handling the upload'));
      }
    });
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async live(): Promise<ModelUploadState | null> {
    const state = await this.load();
    if (!state || Date.now() < state.expiresAt) return state;
    await this.ctx.storage.setAlarm(Date.now());
    return null;
  }

  /** The live state with a completion cut short finished first. */
  private async settled(): Promise<ModelUploadState | null> {
    const state = await this.live();
    if (state?.status === 'completing') await this.finish(state);
    return state;
  }

  private async save(state: ModelUploadState, entries: Record<string, unknown> = {}): Promise<void> {
    this.state = state;
    await this.ctx.storage.put({ ...entries, [STATE_KEY]: state });
  }

  private async touch(state: ModelUploadState, entries: Record<string, unknown> = {}): Promise<void> {
    state.expiresAt = Date.now() + readLimits(this.env).uploadExpirySeconds * 1000;
    await this.save(state, entries);
    await this.ctx.storage.setAlarm(state.expiresAt);
  }

  /** Deletes the state, and for an open upload aborts R2's multipart upload (its parts go). */
  private async forget(state: ModelUploadState, abortParts: boolean): Promise<void> {
    if (abortParts && state.uploadId !== null) {
      try {
        await this.env.MODELS.resumeMultipartUpload(MODEL_KEYS.key(state.id), state.uploadId).abort();
      } catch (error) {
        // (R2 deletes an abandoned multipart upload's parts itself after 7 days)
        console.warn('edge-sae: aborting a model upload in R2 failed', error);
      }
    }
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.state = null;
  }

  private async load(): Promise<ModelUploadState | null> {
    if (this.state === undefined) this.state = (await this.ctx.storage.get<ModelUploadState>(STATE_KEY)) ?? null;
    return this.state;
  }
}

function viewOf(state: ModelUploadState): ModelUploadView {
  return {
    id: state.id,
    name: state.name,
    bytes: state.bytes,
    partCount: state.partCount,
    partBytes: state.partBytes,
    lastPartBytes: state.lastPartBytes,
    received: state.received,
    missing: state.partCount - state.received.length,
    status: state.status === 'open' ? 'open' : 'completed',
    createdAt: state.createdAt,
    expiresAt: new Date(state.expiresAt).toISOString(),
  };
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(bytes)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

function invalidPart(n: number, detail: string): UploadProblem {
  return { status: 422, type: 'invalid-data', title: 'Invalid data', detail: `${detail}. The parts already received are kept; send part ${n} again.`, extra: { part: n } };
}

function badModelFile(n: number, error: PartError): UploadProblem {
  return { status: 422, type: 'invalid-model-file', title: 'Invalid model file', detail: `Part ${n}: ${error.message}. The parts already received are kept.`, extra: { part: n, field: error.field } };
}

function storageFailed(what: string): UploadProblem {
  return { status: 503, type: 'storage-unavailable', title: 'Service Unavailable', detail: `The model store failed while ${what}. Retry.` };
}

function alreadyCompleted(id: string): UploadProblem {
  return { status: 409, type: 'conflict', title: 'Conflict', detail: `Upload ${id} has completed: it is model ${id} now (delete it with DELETE /v1/models/${id}).` };
}
