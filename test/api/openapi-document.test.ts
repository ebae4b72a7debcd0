/**
 * /openapi.json is a valid OpenAPI 3.1 document, as a third-party validator
 * (@seriousme/openapi-schema-validator: the OpenAPI Initiative's JSON schema, with Ajv) judges it,
 * so generators and validators take it. The app is built here in Node: the route definitions do
 * not use the Durable Object classes, whose base class (cloudflare:workers, workerd only) is
 * stubbed. test/worker/models.test.ts checks the same document as workerd serves it.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it, vi } from 'vitest';

vi.mock('cloudflare:workers', () => ({ DurableObject: class {} }));

type Parameter = { name: string; in: string; required?: boolean; schema?: { type?: unknown } };
type Document = { openapi: string; paths: Record<string, Record<string, { parameters?: Parameter[] }>> };

async function openApiDocument(): Promise<Document> {
  const { createApp } = await import('../../src/api/app.js');
  const res = await createApp().request('/openapi.json');
  expect(res.status).toBe(200);
  return (await res.json()) as Document;
}

describe('/openapi.json', () => {
  it('should be valid OpenAPI 3.1 for a third-party validator', async () => {
    const doc = await openApiDocument();
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('should declare every path parameter required and not nullable (the part number n too)', async () => {
    const doc = await openApiDocument();
    const pathParameters = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations).flatMap(([method, operation]) => (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => ({ at: `${method} ${path} ${p.name}`, p }))),
    );
    expect(pathParameters.length).toBeGreaterThan(20);
    for (const { at, p } of pathParameters) {
      expect(p.required, at).toBe(true);
      expect(JSON.stringify(p.schema?.type), at).not.toContain('null');
    }
    const n = doc.paths['/v1/datasets/uploads/{id}/parts/{n}']!.put!.parameters!.find((p) => p.name === 'n');
    expect(n?.schema).toMatchObject({ type: 'integer', minimum: 0 });
  });
});
