/**
 * GET /v1/datasets/{id}/download: a dataset streamed back shard by shard (each read and checked
 * against its manifest as a job reads it), never whole in memory: CSV (one row a line, the
 * shortest decimal that reads back to the same float32), .npy (float32, C order, as np.save
 * writes it) or raw little-endian float32 (.f32).
 *
 * A corrupt dataset is refused before the status is sent (409 dataset-corrupt, the shard named):
 * every shard is looked at (HEAD: there, and of its manifest's length) and shard 0 read and
 * checked whole. A shard of the right length whose bytes changed is found only when the stream
 * reaches it; the answer has begun by then, so the stream is aborted: the client sees a transfer
 * that fails (short of its Content-Length for npy and f32; no final chunk for CSV), never wrong
 * numbers and never a body that looks complete.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { formatFloat32 } from '../../data/csv.js';
import { npyPrelude } from '../../data/npy.js';
import { shardRowCount, type ShardSource } from '../../data/shard-source.js';
import { DataError } from '../../errors.js';
import { ApiError } from '../problem.js';
import type { StoredDatasetSource } from './dataset-source.js';
import { requireAccess } from '../auth.js';
import { accessErrors, notFoundResponse, problem, security } from '../openapi.js';
import { IdParamsSchema } from '../schemas.js';

export const DOWNLOAD_FORMATS = ['csv', 'npy', 'f32'] as const;
export type DownloadFormat = (typeof DOWNLOAD_FORMATS)[number];

export const downloadRoute = createRoute({
  method: 'get',
  path: '/{id}/download',
  summary: 'Download a dataset (CSV, .npy or raw float32), streamed',
  tags: ['datasets'],
  security,
  middleware: [requireAccess('download')] as const,
  request: {
    params: IdParamsSchema,
    query: z.object({ format: z.enum(DOWNLOAD_FORMATS).optional().openapi({ description: 'csv (the default), npy or f32 (raw little-endian float32, row after row).' }) }).strict(),
  },
  responses: {
    200: {
      description: 'The dataset, in the caller\'s scale (uint8 shards decoded).',
      content: { 'text/csv': { schema: z.string() }, 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } },
    },
    ...accessErrors.download,
    ...notFoundResponse('dataset'),
    409: problem('The stored dataset is corrupt (type dataset-corrupt; the shard is named): a shard missing, of another length than its manifest says, or shard 0 not matching its SHA-256. Delete it and upload it again.'),
  },
});

/**
 * Checks a dataset before its download starts (file comment) and reads its first shard; a
 * corrupt one is an ApiError 409 naming the shard.
 */
export async function checkForDownload(source: StoredDatasetSource): Promise<Float32Array> {
  try {
    await source.checkStored();
    return await source.readShard(0);
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
    throw new ApiError(409, {
      type: 'dataset-corrupt',
      title: 'Dataset corrupt',
      detail: `${error.message}. The dataset cannot be downloaded; delete it and upload it again.`,
    });
  }
}

const CONTENT_TYPES: Record<DownloadFormat, string> = { csv: 'text/csv; charset=utf-8', npy: 'application/octet-stream', f32: 'application/octet-stream' };

/** The streamed body and headers of a download of `source` (dataset `id`) in `format`; `first` is shard 0, read already. */
export function downloadResponse(id: string, source: ShardSource, format: DownloadFormat, first?: Float32Array): Response {
  const encoder = new TextEncoder();
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (format === 'npy') controller.enqueue(npyPrelude(source.rows, source.cols));
    },
    async pull(controller) {
      if (next === source.shardCount) {
        controller.close();
        return;
      }
      const index = next++;
      let values: Float32Array;
      try {
        values = index === 0 && first ? first : await source.readShard(index);
      } catch (error) {
        console.error(`edge-sae: download of dataset ${id} stopped at shard ${index}`, error);
        controller.error(error);
        return;
      }
      if (format === 'csv') {
        const rows = shardRowCount(source, index);
        const lines: string[] = new Array(rows);
        for (let r = 0; r < rows; r++) {
          const cells = new Array<string>(source.cols);
          for (let c = 0; c < source.cols; c++) cells[c] = formatFloat32(values[r * source.cols + c]!);
          lines[r] = cells.join(',');
        }
        controller.enqueue(encoder.encode(`${lines.join('\n')}\n`));
      } else {
        controller.enqueue(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      }
    },
  });
  const bytes = format === 'csv' ? null : (format === 'npy' ? npyPrelude(source.rows, source.cols).length : 0) + source.rows * source.cols * 4;
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': CONTENT_TYPES[format],
      'content-disposition': `attachment; filename="${id}.${format}"`,
      ...(bytes === null ? {} : { 'content-length': String(bytes) }),
    },
  });
}
