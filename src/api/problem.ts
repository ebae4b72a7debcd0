/**
 * RFC 9457 problem details: the one shape of every error response. `ApiError` is what handlers
 * throw; `onError` turns it, Hono's own HTTPExceptions (bad JSON, 415, 413) and the core's
 * InputErrors (bad data, options, model files) into `application/problem+json`; anything else is
 * logged and answered with a bare 500 that reveals nothing (no message, no stack).
 */
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { ConfigError, DataError, InputError, ModelFileError, ModelOutputError, TrainingDivergedError } from '../errors.js';
import { type ProblemType } from './problem-types.js';
import { expectedMediaTypes, mediaTypeProblem } from './media-types.js';
import { jsonText } from './json-text.js';
import { unknownKeyDetail } from './misplaced-options.js';

/** The request's media type, lower case without parameters ('' when it has none). */
export function mediaTypeOf(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** One field-level failure: where (a JSON pointer into the body, or a query/path parameter) and what. */
export interface FieldError {
  pointer?: string;
  parameter?: string;
  detail: string;
}

/** The body of every error response. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** Problem type URIs are URNs under this prefix (`about:blank` for plain HTTP errors). */
export const PROBLEM_TYPE_PREFIX = 'urn:edge-sae:problem:';

/** The full URI of a problem type. */
export const problemType = (slug: ProblemType): string => PROBLEM_TYPE_PREFIX + slug;

/** At most this many field errors are listed; the rest are counted in `detail`. */
const MAX_FIELD_ERRORS = 20;

export interface ApiErrorInit {
  /** Short slug, e.g. "limit-exceeded" (one of PROBLEM_TYPES); becomes `urn:edge-sae:problem:<slug>`. */
  type?: ProblemType;
  title?: string;
  detail?: string;
  errors?: FieldError[];
  /** Extension members added to the body. */
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * An expected failure with its problem details.
 * @example throw new ApiError(404, { type: 'model-not-found', detail: `no model with id ${id}` })
 */
export class ApiError extends HTTPException {
  readonly problem: Omit<ProblemDetails, 'status'>;
  readonly headers: Record<string, string>;

  constructor(status: ContentfulStatusCode, init: ApiErrorInit = {}) {
    super(status, { message: init.detail ?? init.title ?? statusTitle(status), cause: init.cause });
    this.problem = {
      type: init.type ? PROBLEM_TYPE_PREFIX + init.type : 'about:blank',
      title: init.title ?? statusTitle(status),
      ...(init.detail !== undefined ? { detail: init.detail } : {}),
      ...(init.errors ? { errors: init.errors } : {}),
      ...init.extra,
    };
    this.headers = init.headers ?? {};
  }
}

/** A JSON problem+json response. */
export function problemResponse(
  c: Context,
  status: ContentfulStatusCode,
  problem: Omit<ProblemDetails, 'status'>,
  headers: Record<string, string> = {},
): Response {
  const body = { ...problem, status, instance: c.req.path } as ProblemDetails;
  if (body.errors && body.errors.length > MAX_FIELD_ERRORS) {
    const extra = body.errors.length - MAX_FIELD_ERRORS;
    body.errors = body.errors.slice(0, MAX_FIELD_ERRORS);
    body.detail = `${body.detail ?? ''} (${extra} more errors not listed)`.trim();
  }
  return new Response(jsonText(body), {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
}

/** The app's single error handler. */
export const onError: ErrorHandler = (error, c) => {
  if (error instanceof ApiError) return problemResponse(c, error.status as ContentfulStatusCode, error.problem, error.headers);
  if (error instanceof InputError) return inputProblem(c, error);
  if (error instanceof HTTPException) {
    // Hono's own: malformed JSON (400), unsupported media type (415), body limit (413)…
    const status = error.status as ContentfulStatusCode;
    if (status === 415) {
      // zod-openapi's bare "Unsupported Media Type": say what the route takes and how to send it.
      const { detail, extra } = mediaTypeProblem(mediaTypeOf(c), expectedMediaTypes(c));
      return problemResponse(c, 415, { type: 'about:blank', title: statusTitle(415), detail, ...extra });
    }
    const known = status >= 400 && status < 500;
    return problemResponse(c, known ? status : 500, {
      type: 'about:blank',
      title: statusTitle(known ? status : 500),
      ...(known ? { detail: error.message || statusTitle(status) } : {}),
    });
  }
  console.error('edge-sae: unexpected error', error);
  return problemResponse(c, 500, { type: 'about:blank', title: statusTitle(500) });
};

/** JSON 404 for unknown paths. */
export const notFound: NotFoundHandler = (c) =>
  problemResponse(c, 404, {
    type: 'about:blank',
    title: 'Not Found',
    detail: `No route for ${c.req.method} ${c.req.path}. See /openapi.json.`,
  });

/** The core's typed input errors → 422 with the field or data location. */
function inputProblem(c: Context, error: InputError): Response {
  if (error instanceof ConfigError) {
    return problemResponse(c, 422, {
      type: problemType('invalid-option'),
      title: 'Invalid option',
      detail: error.message,
      errors: [{ pointer: pathToPointer(error.field), detail: error.message }],
    });
  }
  if (error instanceof DataError) {
    const { source, row, column } = error.location;
    const location: FieldError = { detail: error.message };
    if (source !== undefined && /^[A-Za-z_][\w.]*$/.test(source)) {
      // Data from a JSON field: point into it (rows and columns are 1-based in the message).
      // A single row (`input`) is wrapped as row 1 of a matrix: point into the row itself.
      const single = source === 'input';
      const parts = [pathToPointer(source)];
      if (row !== undefined && !single) parts.push(String(row - 1));
      if ((row !== undefined || single) && column !== undefined) parts.push(String(column - 1));
      location.pointer = parts.join('/');
    }
    return problemResponse(c, 422, {
      type: problemType('invalid-data'),
      title: 'Invalid data',
      detail: error.message,
      errors: [location],
      ...(row !== undefined ? { row } : {}),
      ...(column !== undefined ? { column } : {}),
    });
  }
  if (error instanceof ModelFileError) {
    return problemResponse(c, 422, {
      type: problemType('invalid-model-file'),
      title: 'Invalid model file',
      detail: error.message,
      // The field as the model file names it (a JSON path, or a binary file's tensor or header entry).
      field: error.field,
      errors: [{ pointer: pathToPointer(error.field), detail: error.message }],
    });
  }
  if (error instanceof ModelOutputError) {
    return problemResponse(c, 422, {
      type: problemType('model-overflow'),
      title: 'Model output overflowed',
      detail: error.message,
      ...(error.model !== undefined ? { model: error.model } : {}),
      output: error.output,
      ...(error.row !== null ? { row: error.row } : {}),
    });
  }
  if (error instanceof TrainingDivergedError) {
    return problemResponse(c, 422, {
      type: problemType('training-diverged'),
      title: 'Training diverged',
      detail: error.message,
      epoch: error.epoch,
    });
  }
  return problemResponse(c, 422, { type: problemType('invalid-input'), title: 'Invalid input', detail: error.message });
}

/**
 * The defaultHook of every OpenAPIHono router: a failed zod validation → 422 with one entry per
 * issue (a JSON pointer for body fields, the parameter name for query and path parameters).
 */
export function validationHook(
  result: { success: true } | { success: false; error: ZodError; target: string },
  c: Context,
): Response | undefined {
  if (result.success) return undefined;
  const inBody = result.target === 'json' || result.target === 'form';
  const errors: FieldError[] = result.error.issues.flatMap((issue): FieldError[] => {
    const path = issue.path.map(String);
    // An unknown body key: one entry per key, pointing at it, saying where an option in the wrong place belongs.
    if (inBody && issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ pointer: '/' + [...path, key].map(escapePointer).join('/'), detail: unknownKeyDetail(key, path) }));
    }
    return [
      inBody
        ? { pointer: '/' + path.map(escapePointer).join('/'), detail: issue.message }
        : { parameter: path.join('.') || result.target, detail: issue.message },
    ];
  });
  const first = errors[0];
  const where = first ? (first.pointer ?? first.parameter ?? '') : '';
  return problemResponse(c, 422, {
    type: problemType('validation-failed'),
    title: 'Validation failed',
    detail: `The request ${inBody ? 'body' : result.target} is invalid${first ? `: ${where === '/' ? '' : `${where}: `}${first.detail}` : ''}.`,
    errors,
  });
}

/** "training.learningRate" or "encoder.weights[3][2]" → "/training/learningRate", "/encoder/weights/3/2". */
export function pathToPointer(path: string): string {
  const parts = path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((part) => part !== '');
  return '/' + parts.map(escapePointer).join('/');
}

function escapePointer(part: string): string {
  return part.replace(/~/g, '~0').replace(/\//g, '~1');
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function statusTitle(status: number): string {
  return STATUS_TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}
