/**
 * The error `edge-sae/client` gives under Node when hono, the optional peer dependency its typed
 * client runs on, is not installed: what to install, instead of Node's bare ERR_MODULE_NOT_FOUND
 * ("Cannot find package 'hono' imported from …"). Library users who never call the API install
 * none of the peers, so the package cannot depend on them.
 */

/** What to install to use edge-sae/client (hono at run time; the other two for its types). */
export const CLIENT_PEERS = 'npm install hono @hono/zod-openapi zod';

/** `error` itself, or, when it is a peer of the client not found, an error saying what to install. */
export function explainMissingPeer(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  const missing = /Cannot find (?:package|module) '(hono|@hono\/zod-openapi|zod)(?:\/[^']*)?'/.exec(message)?.[1];
  if (code !== 'ERR_MODULE_NOT_FOUND' || missing === undefined) return error;
  return new Error(`edge-sae/client needs ${missing}, an optional peer dependency of edge-sae that is not installed here: ${CLIENT_PEERS} (hono runs the client; @hono/zod-openapi and zod type it)`, { cause: error });
}
