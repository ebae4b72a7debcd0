/**
 * `edge-sae/client` under Node is src/client-node.ts: the same exports as src/client.ts, and a
 * missing optional peer (hono) turned into an error that says what to install. The real thing, a
 * project without hono importing the packed package, is in test/e2e/packed-package.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { explainMissingPeer } from '../../src/client/missing-peer.js';

/** Node's error for a package that is not installed, as `import('hono/client')` throws it. */
function notFound(name: string): Error {
  return Object.assign(new Error(`Cannot find package '${name}' imported from /app/node_modules/edge-sae/dist/src/client.js`), { code: 'ERR_MODULE_NOT_FOUND' });
}

describe('edge-sae/client under Node', () => {
  it('should export what src/client.ts exports', async () => {
    const [node, client] = await Promise.all([import('../../src/client-node.js'), import('../../src/client.js')]);
    expect(Object.keys(node).sort()).toEqual(Object.keys(client).sort());
    expect(node.createClient).toBe(client.createClient);
    expect(node.followJob).toBe(client.followJob);
  });

  it('should say what to install when hono (or a peer of its types) is missing', () => {
    const cause = notFound('hono');
    const error = explainMissingPeer(cause) as Error;
    expect(error.message).toBe(
      'edge-sae/client needs hono, an optional peer dependency of edge-sae that is not installed here: npm install hono @hono/zod-openapi zod (hono runs the client; @hono/zod-openapi and zod type it)',
    );
    expect(error.cause).toBe(cause);
    expect((explainMissingPeer(notFound('@hono/zod-openapi')) as Error).message).toMatch(/^edge-sae\/client needs @hono\/zod-openapi, /);
  });

  it('should pass any other error through unchanged', () => {
    for (const error of [notFound('left-pad'), new Error("Cannot find package 'hono'"), new TypeError('boom'), 'a string']) {
      expect(explainMissingPeer(error)).toBe(error);
    }
  });
});
