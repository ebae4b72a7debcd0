/**
 * /v1/datasets: data too large for one training request is uploaded once, stored as float32 in
 * R2, and trained on by jobs (POST /v1/jobs with its id).
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { parseCsv, toMatrix, type Matrix } from '../../data/index.js';
import { parseCsvWithLabelColumn } from '../../data/csv-label-column.js';
import { DataError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { pageLimit } from '../page-limit.js';
import { checkDatasetSize, readLimits } from '../limits.js';
import { ApiError, validationHook } from '../problem.js';
import { mediaTypeProblem } from '../media-types.js';
import { numericHeaderWarningOf } from '../../data/numeric-header.js';
import { openDatasetSource } from './dataset-source.js';
import { checkForDownload, downloadResponse, downloadRoute } from './download.js';
import { checkDatasetLabels, parseJsonDataset } from './labelled-body.js';
import { deleteRoute, getRoute, listRoute, uploadRoute } from './routes.js';
import { DatasetStore, datasetNotFound, type DatasetSummary } from './store.js';

const DEFAULT_PAGE_SIZE = 20;

export const datasets = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(uploadRoute, async (c) => {
    const limits = readLimits(c.env);
    const query = c.req.valid('query');
    const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    let matrix: Matrix;
    let format: DatasetSummary['format'];
    let warning: string | null = null;
    /** Labels as sent (checked below, once the rows are known); `labelsSource` names them in errors. */
    let labels: unknown;
    let labelsSource = 'labels';
    if (query.labelColumn !== undefined && mediaType !== 'text/csv') {
      throw new ApiError(422, {
        type: 'validation-failed',
        title: 'Validation failed',
        detail: `labelColumn names a column of a text/csv body; this body is ${mediaType || 'of no media type'} (send JSON labels as { "data": rows, "labels": [...] }).`,
        errors: [{ parameter: 'labelColumn', detail: 'for text/csv bodies only' }],
      });
    }
    if (mediaType === 'application/octet-stream') {
      const { rows, cols } = query;
      if (rows === undefined || cols === undefined) {
        throw new ApiError(422, {
          type: 'validation-failed',
          title: 'Validation failed',
          detail: 'A binary (application/octet-stream) dataset needs its shape: ?rows=&cols=.',
          errors: [
            ...(rows === undefined ? [{ parameter: 'rows', detail: 'required for application/octet-stream' }] : []),
            ...(cols === undefined ? [{ parameter: 'cols', detail: 'required for application/octet-stream' }] : []),
          ],
        });
      }
      checkDatasetSize(limits, rows, cols);
      const buffer = await c.req.arrayBuffer();
      if (buffer.byteLength !== rows * cols * 4) {
        throw new DataError(
          `the body has ${buffer.byteLength} bytes; ${rows} rows × ${cols} columns of float32 are ${rows * cols * 4} bytes`,
          { source: 'application/octet-stream body' },
        );
      }
      // toMatrix checks every cell (NaN, ±Infinity) and names the first bad one.
      matrix = toMatrix({ rows, cols, data: new Float32Array(buffer) }, 'application/octet-stream body');
      format = 'float32';
    } else if (mediaType === 'text/csv') {
      format = 'csv';
      if (query.labelColumn !== undefined) {
        const parsed = parseCsvWithLabelColumn(await c.req.text(), 'text/csv body', query.labelColumn);
        matrix = parsed;
        labels = parsed.labels;
        labelsSource = `text/csv body (column ${JSON.stringify(query.labelColumn)})`;
      } else {
        matrix = parseCsv(await c.req.text(), 'text/csv body');
        // A first row of numbers is data by the CSV rules; one that looks like a header is said so (src/data/numeric-header.ts).
        warning = numericHeaderWarningOf(matrix, 'the text/csv body', 'if it is a header, give its columns names or delete the line');
      }
    } else if (mediaType === 'application/json') {
      ({ matrix, labels } = parseJsonDataset(await c.req.text()));
      format = 'json';
    } else {
      throw new ApiError(415, mediaTypeProblem(mediaType, ['text/csv', 'application/json', 'application/octet-stream'], 'JSON: rows, or { "data": rows }; octet-stream: float32, with ?rows=&cols=.'));
    }
    checkDatasetSize(limits, matrix.rows, matrix.cols);
    const checked = labels === undefined ? undefined : checkDatasetLabels(labels, matrix.rows, limits, labelsSource);
    const summary = await new DatasetStore(c.env.MODELS).create(matrix, query.name ?? null, format, checked);
    return c.json({ ...summary, ...(warning ? { warnings: [warning] } : {}) }, 201, { location: `/v1/datasets/${summary.id}` });
  })
  .openapi(listRoute, async (c) => {
    const limits = readLimits(c.env);
    const { limit: asked, cursor } = c.req.valid('query');
    const limit = pageLimit(asked, DEFAULT_PAGE_SIZE, limits.maxListLimit);
    return c.json(await new DatasetStore(c.env.MODELS).list(limit, cursor), 200);
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const found = await new DatasetStore(c.env.MODELS).head(id);
    if (!found) throw datasetNotFound(id);
    const { key: _key, ...summary } = found;
    return c.json(summary, 200);
  })
  .openapi(downloadRoute, async (c) => {
    const { id } = c.req.valid('param');
    const source = await openDatasetSource(c.env.MODELS, id);
    if (!source) throw datasetNotFound(id);
    const first = await checkForDownload(source);
    return downloadResponse(id, source, c.req.valid('query').format ?? 'csv', first) as never;
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await new DatasetStore(c.env.MODELS).delete(id))) throw datasetNotFound(id);
    return c.body(null, 204);
  });
