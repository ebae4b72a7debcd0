/**
 * Pictures of a stored model: GET /v1/models/{id}/loss.svg (the loss curve) and
 * /v1/models/{id}/filters.svg or .png (each hidden unit's input weights in a grid, as UFLDL's
 * display_network draws them). Rendered from the model file by src/viz (no backend needed);
 * the response's ETag follows the stored model's, so a browser revalidates cheaply.
 *
 * POST /v1/models/{id}/density.svg is the feature-density histogram on rows sent in the body (as
 * evaluate takes them, at most MAX_ROWS): it needs data and a forward pass, so it is a POST with
 * the encode scope, not cached. GET of the same path draws the density an imported SAE carries
 * (SAELens' sparsity.safetensors, the model file's logFeatureDensity): from the file, cached as the
 * other pictures; 422 for a model without one.
 */
import { describeActive } from '../../architectures/registry.js';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { encoderWeightsOf, frequenciesFromLog10, parseShape, renderDensityHistogramSvg, renderFiltersPng, renderFiltersSvg, renderLossCurveSvg } from '../../viz/index.js';
import { requireAccess } from '../auth.js';
import { limitBody } from '../body-limit.js';
import type { AppEnv } from '../env.js';
import { ApiError, validationHook } from '../problem.js';
import { decimalInteger } from '../query-numbers.js';
import { accessErrors, inputErrors, notFoundResponse, problem, security } from '../openapi.js';
import { InputsRequestSchema, ModelIdParamsSchema } from '../schemas.js';
import { inputsOf } from './index.js';
import { ModelService } from './service.js';

const errors = {
  ...accessErrors.read,
  ...notFoundResponse('model'),
  422: problem('A query parameter is invalid, or the picture cannot be drawn (no loss history; a shape that does not fit).'),
};

const LossQuerySchema = z.object({
  scale: z.enum(['linear', 'log']).optional().openapi({ description: 'The loss axis (default linear).' }),
});

const FiltersQuerySchema = z.object({
  shape: z
    .string()
    .regex(/^\d+x\d+$/, 'expected WIDTHxHEIGHT, such as 28x28')
    .optional()
    .openapi({ description: 'How a filter\'s inputs lie, row by row (default: square when the input size is a square number, else the most nearly square).', example: '28x28' }),
  scale: decimalInteger({ min: 1, max: 16 }).optional().openapi({ description: 'Pixels a weight (default: tiles of about 24 pixels).' }),
  count: decimalInteger({ min: 1 }).optional().openapi({ description: 'Draw only the first N hidden units.' }),
});

const lossRoute = createRoute({
  method: 'get',
  path: '/{id}/loss.svg',
  summary: 'The loss curve (SVG)',
  description:
    'The loss of every epoch the model was trained for, as an SVG line chart; for a model trained with validationSplit, also its validation loss (a dashed second series) and the epoch early stopping kept, with a legend.',
  tags: ['inference'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { params: ModelIdParamsSchema, query: LossQuerySchema },
  responses: {
    200: { description: 'An SVG document.', content: { 'image/svg+xml': { schema: z.string() } } },
    304: { description: 'Not modified (If-None-Match).' },
    ...errors,
  },
});

const filtersRoute = (format: 'svg' | 'png') =>
  createRoute({
    method: 'get',
    path: `/{id}/filters.${format}`,
    summary: `The learned filters (${format.toUpperCase()})`,
    description:
      "Each hidden unit's input weights as a small grayscale image, in a grid (UFLDL's display_network: the mean weight removed, each filter scaled by its own largest |w|; black −1, gray 0, white +1).",
    tags: ['inference'],
    security,
    middleware: [requireAccess('read')] as const,
    request: { params: ModelIdParamsSchema, query: FiltersQuerySchema },
    responses: {
      200: {
        description: format === 'svg' ? 'An SVG document, one <image class="filter"> a unit.' : 'A grayscale PNG.',
        content: { [format === 'svg' ? 'image/svg+xml' : 'image/png']: { schema: z.string() } },
      },
      304: { description: 'Not modified (If-None-Match).' },
      ...errors,
    },
  });

const DensityQuerySchema = z.object({
  bins: decimalInteger({ min: 1, max: 200 }).optional().openapi({ description: 'Bins over the log10 range (default 30).' }),
});

const densityRoute = createRoute({
  method: 'post',
  path: '/{id}/density.svg',
  summary: 'The feature-density histogram (SVG)',
  description:
    `log10 of each hidden unit's firing frequency (the fraction of the rows sent where it is active: a code ${describeActive()}), binned, with the dead units in their own bar at the left and a dashed line at the dense threshold (10% of rows). The rows come in the body as evaluate takes them (at most MAX_ROWS).`,
  tags: ['inference'],
  security,
  middleware: [requireAccess('encode'), limitBody('maxBodyBytes')] as const,
  request: { params: ModelIdParamsSchema, query: DensityQuerySchema, body: { content: { 'application/json': { schema: InputsRequestSchema } }, required: true } },
  responses: {
    200: { description: 'An SVG document.', content: { 'image/svg+xml': { schema: z.string() } } },
    ...accessErrors.read,
    ...inputErrors,
    ...notFoundResponse('model'),
  },
});

const storedDensityRoute = createRoute({
  method: 'get',
  path: '/{id}/density.svg',
  summary: "The feature-density histogram an imported SAE carries (SVG)",
  description:
    "log10 of each hidden unit's density as the SAE's source measured it (SAELens' sparsity.safetensors, kept at import as the model's logFeatureDensity; −10 is a unit that never fired), drawn as POST of this path draws it from rows. A model without one answers 422 cannot-draw: POST rows instead.",
  tags: ['inference'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { params: ModelIdParamsSchema, query: DensityQuerySchema },
  responses: {
    200: { description: 'An SVG document.', content: { 'image/svg+xml': { schema: z.string() } } },
    304: { description: 'Not modified (If-None-Match).' },
    ...errors,
  },
});

/** The stored model file of `id`, decoded for drawing; 404 when there is none. */
async function modelPicture(c: Context<AppEnv>, id: string) {
  const stored = await new ModelService(c.env).modelFile(id);
  return { etag: stored.etag, ...encoderWeightsOf(stored.state) };
}

/** 304 when the client has this rendering already; else the picture with its validators. */
function respond(c: Context<AppEnv>, etag: string, variant: string, type: string, render: () => string | Uint8Array): Response {
  const tag = `W/"${etag.replace(/"/g, '')}-${variant}"`;
  const headers = { etag: tag, 'cache-control': 'private, no-cache', 'x-content-type-options': 'nosniff' };
  if ((c.req.header('if-none-match') ?? '').split(',').some((t) => t.trim() === tag)) return c.body(null, 304, headers);
  let body: string | Uint8Array;
  try {
    body = render();
  } catch (error) {
    if (error instanceof RangeError) throw cannotDraw(error.message);
    throw error;
  }
  return c.body(body as never, 200, { ...headers, 'content-type': type });
}

function cannotDraw(detail: string, parameter?: string): ApiError {
  return new ApiError(422, {
    type: 'cannot-draw',
    title: 'Cannot draw this picture',
    detail: detail.charAt(0).toUpperCase() + detail.slice(1) + '.',
    ...(parameter ? { errors: [{ parameter, detail }] } : {}),
  });
}

function filterOptions(query: z.infer<typeof FiltersQuerySchema>, inputSize: number) {
  let shape;
  if (query.shape !== undefined) {
    try {
      shape = parseShape(query.shape);
    } catch (error) {
      // "0x10" passes the query's pattern but is no shape: a 422 naming it, not a 500
      if (error instanceof RangeError) throw cannotDraw(error.message, 'shape');
      throw error;
    }
    if (shape.width * shape.height !== inputSize) {
      throw cannotDraw(`shape ${query.shape} has ${shape.width * shape.height} pixels, but the model has ${inputSize} inputs`, 'shape');
    }
  }
  return { ...(shape ? { shape } : {}), ...(query.scale ? { scale: query.scale } : {}), ...(query.count ? { count: query.count } : {}) };
}

const variantOf = (query: Record<string, unknown>) =>
  Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('&');

export const pictures = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(lossRoute, async (c) => {
    const { id } = c.req.valid('param');
    const query = c.req.valid('query');
    const model = await modelPicture(c, id);
    if (model.lossHistory.length === 0) throw cannotDraw(`model ${id} has no loss history (it was imported untrained)`);
    return respond(c, model.etag, `loss-${variantOf(query)}`, 'image/svg+xml; charset=utf-8', () =>
      renderLossCurveSvg(model.lossHistory, { scale: query.scale ?? 'linear', validationHistory: model.validationHistory, bestEpoch: model.bestEpoch, epochs: model.historyEpochs }),
    ) as never;
  })
  .openapi(filtersRoute('svg'), async (c) => {
    const { id } = c.req.valid('param');
    const query = c.req.valid('query');
    const model = await modelPicture(c, id);
    const options = filterOptions(query, model.inputSize);
    return respond(c, model.etag, `filters-svg-${variantOf(query)}`, 'image/svg+xml; charset=utf-8', () => renderFiltersSvg(model, options)) as never;
  })
  .openapi(filtersRoute('png'), async (c) => {
    const { id } = c.req.valid('param');
    const query = c.req.valid('query');
    const model = await modelPicture(c, id);
    const options = filterOptions(query, model.inputSize);
    return respond(c, model.etag, `filters-png-${variantOf(query)}`, 'image/png', () => renderFiltersPng(model, options)) as never;
  })
  .openapi(storedDensityRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { bins } = c.req.valid('query');
    const stored = await new ModelService(c.env).modelFile(id);
    const log10 = stored.state.logFeatureDensity;
    if (!log10) throw cannotDraw(`model ${id} carries no feature density of its own (an SAE imported with SAELens' sparsity.safetensors does); POST rows to this path to draw it from data`);
    const library = stored.state.source?.library ?? 'its source';
    return respond(c, stored.etag, `density-${bins ?? ''}`, 'image/svg+xml; charset=utf-8', () =>
      renderDensityHistogramSvg(frequenciesFromLog10(log10), { title: `Feature density (as ${library} measured it)`, ...(bins === undefined ? {} : { bins }) }),
    ) as never;
  })
  .openapi(densityRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { bins } = c.req.valid('query');
    const { matrix, source } = inputsOf(c.req.valid('json'));
    const service = new ModelService(c.env);
    const frequencies = await service.withModel(id, 'auto', (model) => {
      service.checkInputs(matrix, model.inputSize, source);
      return model.firingFrequency(matrix);
    });
    let svg: string;
    try {
      svg = renderDensityHistogramSvg(frequencies, bins === undefined ? {} : { bins });
    } catch (error) {
      if (error instanceof RangeError) throw cannotDraw(error.message);
      throw error;
    }
    return c.body(svg, 200, { 'content-type': 'image/svg+xml; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }) as never;
  });
