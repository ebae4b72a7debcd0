/**
 * Models in R2. Each model is one object, `models/{id}.json`, whose body is exactly a model file:
 * the binary form (docs/MODEL-FORMAT.md) for every model written now, the JSON form (docs/SPEC.md
 * section 3) for models stored before it existed (the key keeps its name so they stay where they are);
 * readers tell the two apart by content. Binary bodies store the weights and normalisation before
 * Adam's moments, and the metadata says where those begin (`inferenceBytes`), so a cold encode
 * reads only that range. Its customMetadata carries the summary
 * (name, sizes, version, timestamps), so listing and the cache's freshness check never read a
 * body. `version` starts at 1 and grows with every training run; with the id it keys the cache.
 *
 * Failure modes (docs/API.md, Reliability). An R2 put is atomic per object: the new body is
 * written first and the key switched to it only once it is whole, so a put that fails leaves the
 * previous version readable and whole, and a reader never sees a mix. Because body and summary
 * are one object, they cannot disagree either. What remains: a put that committed but whose answer
 * was lost (the caller sees 503 and the new version is stored; `GET /v1/models/{id}` shows which),
 * and a concurrent writer, which the conditional put (`onlyIf: { etagMatches }`) turns into 409.
 * Any storage failure is a 503 `storage-unavailable` problem with Retry-After.
 */
import type { z } from '@hono/zod-openapi';
import { modelFileForm } from '../model/model-bytes.js';
import { inferenceBytes } from '../model/model-file-binary.js';
import { ApiError } from './problem.js';
import { listPage } from './r2-list.js';
import type { ModelSummarySchema } from './schemas.js';
import { isId, MODEL_KEYS } from './storage-keys.js';

export type ModelSummary = z.infer<typeof ModelSummarySchema>;

/** The R2 key of a model's file. */
const key = MODEL_KEYS.key;
const BINARY_CONTENT_TYPE = 'application/octet-stream';

/** What a stored object's metadata holds, as strings (R2 customMetadata is string → string). */
interface StoredMetadata {
  name: string;
  inputSize: string;
  hiddenSize: string;
  version: string;
  createdAt: string;
  updatedAt: string;
  /** Bytes of the body that inference reads (binary form: all but Adam's moments); absent for JSON bodies. */
  inferenceBytes?: string;
  /** Imported models: their source (JSON, at most SOURCE_METADATA_BYTES), so the list shows it without reading bodies. */
  source?: string;
}

/** R2 keeps 2 KB of custom metadata an object: the source's JSON takes at most this much of it. */
const SOURCE_METADATA_BYTES = 1024;

export interface StoredModel {
  summary: ModelSummary;
  etag: string;
  /** How many leading bytes of the body hold everything but Adam's moments; null when unknown (a JSON body). */
  inferenceBytes: number | null;
  /** Bytes of the whole body. */
  size: number;
}

export interface NewModelRecord {
  name: string | null;
  inputSize: number;
  hiddenSize: number;
  source?: ModelSummary['source'];
}

export class ModelStore {
  constructor(readonly bucket: R2Bucket) {}

  /** Summary and etag of a model, without its body; null when there is none. */
  async head(id: string): Promise<StoredModel | null> {
    if (!isId(id)) return null;
    const object = await storage('reading', () => this.bucket.head(key(id)));
    return object ? stored(id, object) : null;
  }

  /**
   * Summary, etag and the stored bytes of the model file (either form: decode them with
   * readModelBytes); null when there is none.
   */
  async get(id: string): Promise<(StoredModel & { bytes: Uint8Array<ArrayBuffer> }) | null> {
    if (!isId(id)) return null;
    return storage('reading', async () => {
      const object = await this.bucket.get(key(id));
      if (!object) return null;
      return { ...stored(id, object), bytes: new Uint8Array(await object.arrayBuffer()) };
    });
  }

  /**
   * The bytes of the model that inference needs, as `head` saw it: a range read of the binary
   * body without Adam's moments (`partial`), or the whole body when the object does not say how
   * far that is (JSON bodies) or changed since `head` (then the current version, whole). Null
   * when there is no model any more.
   */
  async getForInference(head: StoredModel): Promise<(StoredModel & { bytes: Uint8Array<ArrayBuffer>; partial: boolean }) | null> {
    const { id } = head.summary;
    if (head.inferenceBytes !== null) {
      const ranged = await storage('reading', async () => {
        const object = await this.bucket.get(key(id), { range: { offset: 0, length: head.inferenceBytes! }, onlyIf: { etagMatches: head.etag } });
        if (object === null || !('body' in object)) return null; // gone, or another version now
        return { ...stored(id, object), bytes: new Uint8Array(await object.arrayBuffer()), partial: true };
      });
      // (a body that is not binary despite its metadata is read whole: the reader decides then)
      if (ranged && modelFileForm(ranged.bytes) === 'safetensors') return ranged;
    }
    const whole = await this.get(id);
    return whole ? { ...whole, partial: false } : null;
  }

  /** Stores a new model (version 1); `body` is its binary model file. */
  async create(id: string, record: NewModelRecord, body: Uint8Array): Promise<ModelSummary> {
    const now = new Date().toISOString();
    const summary: ModelSummary = { id, ...record, version: 1, createdAt: now, updatedAt: now };
    await storage('saving', () =>
      this.bucket.put(key(id), body, {
        httpMetadata: { contentType: BINARY_CONTENT_TYPE },
        customMetadata: toMetadata(summary, body),
      }),
    );
    return summary;
  }

  /**
   * Replaces a model's file with the next version, only if the object still has `etag` (nobody
   * else retrained or deleted it meanwhile); otherwise 409.
   */
  async update(previous: StoredModel, record: NewModelRecord, body: Uint8Array): Promise<ModelSummary> {
    const summary: ModelSummary = {
      ...previous.summary,
      ...record,
      name: record.name ?? previous.summary.name,
      version: previous.summary.version + 1,
      updatedAt: new Date().toISOString(),
    };
    const result = await storage('saving', () =>
      this.bucket.put(key(summary.id), body, {
        httpMetadata: { contentType: BINARY_CONTENT_TYPE },
        customMetadata: toMetadata(summary, body),
        onlyIf: { etagMatches: previous.etag },
      }),
    );
    if (result === null) {
      throw new ApiError(409, {
        type: 'conflict',
        detail: `Model ${summary.id} changed while it was training (another request retrained or deleted it); nothing was saved. Retry.`,
      });
    }
    return summary;
  }

  /**
   * Starts the R2 multipart upload of a new model's file (version 1), straight to its key: the
   * model exists only once the upload completes, whole. The summary goes into the object's
   * metadata now (R2 takes it at the start), from the file's header (src/api/models/upload-layout.ts).
   */
  async startParts(id: string, record: NewModelRecord, inferenceBytes: number, sourceJson: string | null): Promise<R2MultipartUpload> {
    const now = new Date().toISOString();
    const summary: ModelSummary = { id, ...record, version: 1, createdAt: now, updatedAt: now };
    const metadata = toMetadata(summary, null);
    metadata.inferenceBytes = String(inferenceBytes);
    if (sourceJson !== null) {
      const source = sourceOf(sourceJson).source;
      if (source) metadata.source = sourceText(source);
    }
    return storage('saving', () => this.bucket.createMultipartUpload(key(id), { httpMetadata: { contentType: BINARY_CONTENT_TYPE }, customMetadata: metadata }));
  }

  /** Deletes a model; false when there was none. */
  async delete(id: string): Promise<boolean> {
    if (!isId(id)) return false;
    const existing = await storage('reading', () => this.bucket.head(key(id)));
    if (!existing) return false;
    await storage('deleting', () => this.bucket.delete(key(id)));
    return true;
  }

  /** One page of summaries in id order. An unusable cursor is the caller's fault: 422. */
  async list(limit: number, cursor: string | undefined): Promise<{ models: ModelSummary[]; cursor: string | null }> {
    const page = await listPage(this.bucket, MODEL_KEYS.prefix, limit, cursor, (error) => storageUnavailable('listing', error));
    const models = page.objects.map((object) => stored(MODEL_KEYS.idOf(object.key), object).summary);
    return { models, cursor: page.cursor };
  }
}

/** Runs one storage operation; a failure of the store becomes 503 `storage-unavailable`. */
async function storage<T>(what: 'reading' | 'saving' | 'deleting', operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw storageUnavailable(what, error);
  }
}

function storageUnavailable(what: string, error: unknown): ApiError {
  console.error(`edge-sae: model storage failed while ${what}`, error);
  const outcome =
    what === 'saving'
      ? ' The previous version, if any, is still stored whole; GET the model to see which version is current.'
      : what === 'deleting'
        ? ' GET the model to see whether it is still there.'
        : '';
  return new ApiError(503, {
    type: 'storage-unavailable',
    title: 'Service Unavailable',
    detail: `The model store failed while ${what}.${outcome} Retry later.`,
    headers: { 'retry-after': '1' },
  });
}

function toMetadata(summary: ModelSummary, body: Uint8Array | null): Record<string, string> {
  const metadata: StoredMetadata = {
    ...(body !== null && modelFileForm(body) === 'safetensors' ? { inferenceBytes: String(inferenceBytes(body)) } : {}),
    name: summary.name ?? '',
    inputSize: String(summary.inputSize),
    hiddenSize: String(summary.hiddenSize),
    version: String(summary.version),
    createdAt: summary.createdAt,
    updatedAt: summary.updatedAt,
    ...(summary.source ? { source: sourceText(summary.source) } : {}),
  };
  return { ...metadata };
}

function stored(id: string, object: R2Object): StoredModel {
  const meta = (object.customMetadata ?? {}) as Partial<StoredMetadata>;
  const uploaded = object.uploaded.toISOString();
  const prefix = Number(meta.inferenceBytes);
  return {
    etag: object.etag,
    size: object.size,
    inferenceBytes: meta.inferenceBytes !== undefined && Number.isSafeInteger(prefix) && prefix > 0 ? prefix : null,
    summary: {
      id,
      name: meta.name ? meta.name : null,
      inputSize: Number(meta.inputSize ?? 0),
      hiddenSize: Number(meta.hiddenSize ?? 0),
      version: Number(meta.version ?? 1),
      createdAt: meta.createdAt ?? uploaded,
      updatedAt: meta.updatedAt ?? uploaded,
      ...(meta.source ? sourceOf(meta.source) : {}),
    },
  };
}

/** The source as JSON within SOURCE_METADATA_BYTES: long texts cut to 128 characters, then optional fields dropped. */
function sourceText(source: NonNullable<ModelSummary['source']>): string {
  const short = Object.fromEntries(Object.entries(source).map(([k, v]) => [k, typeof v === 'string' ? v.slice(0, 128) : v]));
  let text = JSON.stringify(short);
  for (const drop of ['dtype', 'libraryVersion', 'hookName', 'neuronpediaId', 'modelName']) {
    if (new TextEncoder().encode(text).length <= SOURCE_METADATA_BYTES) break;
    delete short[drop];
    text = JSON.stringify(short);
  }
  return text;
}

function sourceOf(text: string): { source?: ModelSummary['source'] } {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && typeof (value as { format?: unknown }).format === 'string' ? { source: value as ModelSummary['source'] } : {};
  } catch {
    return {}; // metadata written by someone else: the summary goes without it
  }
}
