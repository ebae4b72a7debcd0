/**
 * Numbers in query parameters and path segments (issue 24, item 12), inside workerd: every one the
 * OpenAPI document declares (integer or number, in the query or the path) takes only its canonical
 * decimal form. "0x1", "+1", "1e0", "00", "-0", " 1", "" … are refused with a 422 naming the
 * parameter, never read as another number (z.coerce.number() read them all: "" as 0).
 *
 * The routes come from /openapi.json, so a numeric parameter added later is covered without an
 * edit here; the list of the ones known today is checked too, so a parameter that drops out of
 * the document (and so out of this test) is noticed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { call, trainModel } from './helpers.js';

interface Parameter {
  name: string;
  in: string;
  schema?: { type?: string | string[] };
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, unknown> };
}
interface NumericParameter {
  method: string;
  path: string;
  name: string;
  in: 'query' | 'path';
  type: 'integer' | 'number';
}

/** Spellings that are not the canonical decimal form of an integer (each names 1, 0 or nothing). */
const NOT_INTEGERS = ['0x1', '+1', '1e0', '00', '01', '-0', ' 1', '1 ', '', '1.0', '0b1', 'Infinity', '1_0', '١'];
/** Not a decimal number literal (JSON's grammar): a number option in the query. */
const NOT_NUMBERS = ['0x1', '+1', ' 1', '1 ', '', '00', '.5', '1.', 'Infinity', 'NaN', '-0x1', '1e', '0b1'];

/** The numeric query and path parameters of the document, and the body each route's request takes. */
function numericParameters(doc: { paths: Record<string, Record<string, Operation>> }): NumericParameter[] {
  const found: NumericParameter[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      for (const parameter of operation.parameters ?? []) {
        // A type may be a list (["number", "null"]); an integer is also a number, so it is looked for first.
        const types = [parameter.schema?.type ?? []].flat();
        const type = types.includes('integer') ? 'integer' : types.includes('number') ? 'number' : null;
        if (type !== null && (parameter.in === 'query' || parameter.in === 'path')) {
          found.push({ method: method.toUpperCase(), path, name: parameter.name, in: parameter.in, type });
        }
      }
    }
  }
  return found;
}

let modelId = '';
let parameters: NumericParameter[] = [];

beforeAll(async () => {
  modelId = (await trainModel()).id;
  const doc = (await (await call('/openapi.json', { token: null })).json()) as Parameters<typeof numericParameters>[0];
  parameters = numericParameters(doc);
});

/**
 * The request of one route with `value` in each of `parameters` (all of the same route; every other
 * path parameter a real model's id, a part number 0). Zod reports every bad parameter of a request,
 * so one request checks them all.
 */
function send(parameters: NumericParameter[], value: string): Promise<Response> {
  const { method, path: template } = parameters[0]!;
  const named = (name: string) => parameters.some((p) => p.name === name && p.in === 'path');
  let path = template.replace(/\{(\w+)\}/g, (_, name: string) => (named(name) ? encodeURIComponent(value) : name === 'n' ? '0' : modelId));
  const query = parameters.filter((p) => p.in === 'query').map((p) => `${encodeURIComponent(p.name)}=${encodeURIComponent(value)}`);
  if (query.length > 0) path += `?${query.join('&')}`;
  // A body the route takes, so that only the parameters can be wrong.
  if (template === '/v1/models' && method === 'POST') {
    return call(path, { method, body: '0.1,0.2\n0.3,0.4\n', headers: { 'content-type': 'text/csv' } });
  }
  if (method === 'PUT' || (template === '/v1/datasets' && method === 'POST')) {
    return call(path, { method, body: new Uint8Array(8), headers: { 'content-type': 'application/octet-stream' } });
  }
  if (method === 'POST') return call(path, { json: { inputs: [[0.1, 0.2, 0.3, 0.4]] } });
  return call(path, { method });
}

/** The parameters of the 422's errors, if the answer is one. */
async function namedInErrors(res: Response): Promise<Set<string>> {
  if (res.status !== 422) {
    await res.arrayBuffer();
    return new Set();
  }
  const body = (await res.json()) as { errors?: { parameter?: string }[] };
  return new Set((body.errors ?? []).flatMap((error) => (error.parameter === undefined ? [] : [error.parameter])));
}

/** `parameters` grouped by route, path parameters alone (an empty path segment is another route). */
function byRoute(parameters: NumericParameter[]): NumericParameter[][] {
  const groups = new Map<string, NumericParameter[]>();
  for (const p of parameters) {
    const key = `${p.method} ${p.path} ${p.in === 'path' ? p.name : ''}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()];
}

/** For each route of `parameters` and each value, the parameters a 422 did not name (sent `value`, each must be refused). */
async function notRefused(parameters: NumericParameter[], values: string[]): Promise<string[]> {
  const missed: string[] = [];
  for (const group of byRoute(parameters)) {
    const sent = values.filter((v) => v !== '' || group[0]!.in === 'query');
    const answers = await Promise.all(sent.map(async (value) => namedInErrors(await send(group, value))));
    sent.forEach((value, i) => {
      for (const p of group) if (!answers[i]!.has(p.name)) missed.push(`${p.method} ${p.path} ${p.name}=${JSON.stringify(value)}`);
    });
  }
  return missed;
}

describe('numeric query and path parameters', () => {
  it('should find the numeric parameters of every route in the OpenAPI document', () => {
    const names = parameters.map((p) => `${p.method} ${p.path} ${p.name} ${p.type}`);
    for (const known of [
      'GET /v1/models limit integer',
      'GET /v1/datasets limit integer',
      'GET /v1/keys limit integer',
      'GET /v1/audit limit integer',
      'POST /v1/datasets rows integer',
      'POST /v1/datasets cols integer',
      'PUT /v1/datasets/uploads/{id}/parts/{n} n integer',
      'GET /v1/models/{id}/filters.svg scale integer',
      'GET /v1/models/{id}/filters.png count integer',
      'POST /v1/models/{id}/density.svg bins integer',
      'POST /v1/models hiddenSize integer',
      'POST /v1/models epochs integer',
      'POST /v1/models seed integer',
      'POST /v1/models learningRate number',
      'GET /v1/models/{id}/features/{j} j integer',
    ]) {
      expect(names, known).toContain(known);
    }
  });

  it('should refuse every spelling of an integer but the canonical decimal one, naming the parameter, on every route', async () => {
    expect(await notRefused(parameters.filter((p) => p.type === 'integer'), NOT_INTEGERS)).toEqual([]);
  });

  it('should refuse a number that is not a decimal literal, naming the parameter', async () => {
    expect(await notRefused(parameters.filter((p) => p.type === 'number'), NOT_NUMBERS)).toEqual([]);
  });

  it('should refuse a list of integers (groupSizes of a CSV body) unless each is in canonical decimal, comma-separated', async () => {
    const csv = (groupSizes: string) =>
      call(`/v1/models?architecture=matryoshka&hiddenSize=6&k=2&epochs=1&groupSizes=${encodeURIComponent(groupSizes)}`, { method: 'POST', body: '0.1,0.2\n0.3,0.4\n', headers: { 'content-type': 'text/csv' } });
    for (const value of ['3, 3', '03,3', '0x3,3', '+3,3', '3,,3', '3,', '', '3e0,3', ' 3,3']) {
      expect([...(await namedInErrors(await csv(value)))], value).toContain('groupSizes');
    }
    expect([...(await namedInErrors(await csv('3,3')))]).not.toContain('groupSizes');
  });

  it('should take the canonical forms (1; for numbers also 0.5 and 1e-3)', async () => {
    const refused: string[] = [];
    for (const group of byRoute(parameters)) {
      for (const value of ['1', '0.5', '1e-3']) {
        // Integers and numbers of one route apart: 0.5 is not an integer.
        for (const type of ['integer', 'number'] as const) {
          const some = group.filter((p) => p.type === type);
          if (some.length === 0 || (type === 'integer' && value !== '1')) continue;
          const named = await namedInErrors(await send(some, value));
          for (const p of some) if (named.has(p.name)) refused.push(`${p.method} ${p.path} ${p.name}=${value}`);
        }
      }
    }
    expect(refused).toEqual([]);
  });
});
