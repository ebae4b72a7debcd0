/**
 * `edge-sae/client` as Node imports it (package.json "exports", condition node → import): the
 * typed client of ./client.ts, loaded so that a missing optional peer (hono) fails with an error
 * that says what to install (./client/missing-peer.ts) rather than Node's bare "Cannot find
 * package". Bundlers and other runtimes get ./client.ts itself; the types are ./client.ts's.
 */
import { explainMissingPeer } from './client/missing-peer.js';

const client = await import('./client.js').catch((error: unknown) => {
  throw explainMissingPeer(error);
});

// The same exports as ./client.ts (test/client/client-entry.test.ts compares them).
export const { createClient, followJob } = client;
