/**
 * Helpers for the tests that run inside workerd. Tokens match the bindings set in
 * vitest.workers.config.ts (duplicated here: that file runs in Node, these tests in workerd).
 */
import { SELF } from 'cloudflare:test';
import { expect } from 'vitest';

export const ADMIN = 'test-admin-token';
export const ENCODE = 'test-encode-token';
export const BASE = 'http://edge-sae.test';

export interface CallOptions {
  method?: string;
  token?: string | null;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
}

/** A Request to the Worker: JSON body when `json` is given; the admin token unless `token`. */
export function request(path: string, options: CallOptions = {}): Request {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? ADMIN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  return new Request(BASE + path, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
}

/** Sends a request through the Worker's fetch handler (SELF). */
export function call(path: string, options: CallOptions = {}): Promise<Response> {
  return SELF.fetch(request(path, options));
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { pointer?: string; parameter?: string; detail: string }[];
  [key: string]: unknown;
}

/** Asserts an RFC 9457 response with this status and returns its body. */
export async function expectProblem(res: Response, status: number): Promise<Problem> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = JSON.parse(text) as Problem;
  expect(body.status).toBe(status);
  expect(typeof body.type).toBe('string');
  expect(typeof body.title).toBe('string');
  // Never a stack trace or a source path.
  expect(text).not.toMatch(/\n\s+at |\.ts:\d+|node_modules|stack/);
  return body;
}

/** 8 rows × 4 columns in [0, 1], a little structure for the autoencoder to find. */
export const TRAINING_DATA: number[][] = Array.from({ length: 8 }, (_, i) => [
  (i % 2) * 0.8 + 0.1,
  ((i >> 1) % 2) * 0.7 + 0.2,
  (i / 7) * 0.9,
  ((i * 37) % 11) / 10,
]);

/** Trains a small model with the admin token and returns the response body. */
export async function trainModel(extra: Record<string, unknown> = {}): Promise<TrainResponseBody> {
  const res = await call('/v1/models', { json: { data: TRAINING_DATA, training: { epochs: 50, seed: 7 }, ...extra } });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as TrainResponseBody;
}

export interface TrainResponseBody {
  id: string;
  name: string | null;
  inputSize: number;
  hiddenSize: number;
  version: number;
  createdAt: string;
  updatedAt: string;
  backend: string;
  config: Record<string, unknown>;
  training: Record<string, unknown>;
  metrics: Record<string, number | null>;
  lossHistory: number[];
}

export const METRIC_KEYS = ['loss', 'reconstruction', 'weightDecay', 'sparsity', 'meanActivation', 'fvu', 'explainedVariance', 'l0', 'deadUnits', 'denseUnits'];
