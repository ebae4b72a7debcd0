/**
 * What a 415 says: the media types the route takes and how to send one (the commonest curl
 * mistake is a JSON body without its content type: curl -d sends
 * application/x-www-form-urlencoded). The types come from the routes' own declarations
 * (their OpenAPI request bodies), read once when the app is built, so the answer cannot disagree
 * with /openapi.json.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';

/** "POST /v1/models/:id/encode" → the media types of its request body. */
const declared = new Map<string, readonly string[]>();

/** Records the request media types of every route of `app` (createApp calls it once its routes are in). */
export function registerMediaTypes(app: Pick<OpenAPIHono, 'openAPIRegistry'>): void {
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== 'route') continue;
    const { method, path, request } = definition.route;
    const content = request?.body && 'content' in request.body ? request.body.content : undefined;
    if (!content) continue;
    declared.set(`${method.toUpperCase()} ${path.replaceAll(/\/{(.+?)}/g, '/:$1')}`, Object.keys(content));
  }
}

/** The media types the matched route of `c` takes, or [] when it is not known. */
export function expectedMediaTypes(c: Context): readonly string[] {
  for (const route of c.req.matchedRoutes) {
    const types = declared.get(`${c.req.method} ${route.path}`);
    if (types) return types;
  }
  return [];
}

/** How curl sends a body of `type` (a file of it, with its content type). */
function curlExample(type: string): string {
  const file = type === 'application/json' ? 'body.json' : type === 'text/csv' ? 'data.csv' : 'file.bin';
  return `curl -H 'content-type: ${type}' --data-binary @${file} …`;
}

/**
 * The detail and extension members of a 415 for a request whose content type is `got` ('' when
 * it has none) on a route that takes `expected`; `also` says more about the types (their shape).
 */
export function mediaTypeProblem(got: string, expected: readonly string[], also = ''): { detail: string; extra: { acceptedMediaTypes: string[] } } {
  const sent = got === '' ? 'The request has no content-type header' : `The request's content-type is ${JSON.stringify(got)}`;
  if (expected.length === 0) return { detail: `${sent}, which this endpoint does not take: see its request body in /openapi.json.`, extra: { acceptedMediaTypes: [] } };
  const list = expected.length === 1 ? expected[0]! : `${expected.slice(0, -1).join(', ')} or ${expected.at(-1)!}`;
  return {
    detail: `${sent}; this endpoint takes ${list}.${also ? ` ${also}` : ''} Send the header with the body, e.g. ${curlExample(expected[0]!)} (curl -d alone sends application/x-www-form-urlencoded).`,
    extra: { acceptedMediaTypes: [...expected] },
  };
}
