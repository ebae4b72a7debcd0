import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { ConfigError, DataError, ModelFileError } from '../../src/errors.js';
import { notFound, onError, pathToPointer } from '../../src/api/problem.js';

function appThrowing(error: unknown) {
  const app = new Hono();
  app.onError(onError);
  app.notFound(notFound);
  app.get('/boom', () => {
    throw error;
  });
  return app;
}

describe('problem details', () => {
  it('should answer an unexpected error with a bare 500 that reveals nothing', async () => {
    const res = await appThrowing(new Error('secret token abc123 at /src/x.ts:10')).request('/boom');
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const text = await res.text();
    expect(text).not.toMatch(/secret|abc123|x\.ts/);
    expect(JSON.parse(text)).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500, instance: '/boom' });
  });

  it('should map the core input errors to 422 with a pointer', async () => {
    let body = (await (await appThrowing(new ConfigError('training.learningRate', 'must be > 0')).request('/boom')).json()) as any;
    expect(body).toMatchObject({ status: 422, errors: [{ pointer: '/training/learningRate' }] });
    body = (await (await appThrowing(new ModelFileError('encoder.weights[3][2]', 'not a number')).request('/boom')).json()) as any;
    expect(body).toMatchObject({ status: 422, errors: [{ pointer: '/encoder/weights/3/2' }] });
    body = (await (await appThrowing(new DataError('bad', { source: 'inputs', row: 3, column: 1 })).request('/boom')).json()) as any;
    expect(body).toMatchObject({ status: 422, row: 3, column: 1, errors: [{ pointer: '/inputs/2/0' }] });
    body = (await (await appThrowing(new DataError('bad', { source: 'text/csv body', row: 3 })).request('/boom')).json()) as any;
    expect(body.errors[0].pointer).toBeUndefined();
  });

  it('should turn dotted and indexed paths into JSON pointers', () => {
    expect(pathToPointer('config.hiddenSize')).toBe('/config/hiddenSize');
    expect(pathToPointer('a[0].b~c/d')).toBe('/a/0/b~0c~1d');
  });

  it('should answer unknown routes with a JSON 404', async () => {
    const res = await appThrowing(null).request('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ status: 404, title: 'Not Found' });
  });
});
