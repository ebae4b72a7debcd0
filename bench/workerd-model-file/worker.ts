/**
 * The bench-only Worker of bench/workerd-model-file.ts (config: ./wrangler.toml): the app itself,
 * plus one route that times a cold encode inside the isolate.
 *
 *   GET  /healthz → { ok }  (the readiness check of test/helpers/wrangler-dev.ts)
 *   POST /v1/…    → the app (import stores models in R2, as in production)
 *   POST /bench/store-json?id= (body: the JSON model file) → 204: the model stored as JSON, as before
 *   POST /cold-encode?id=&rows=R (body: JSON { inputs }) → { ms, steps, status }: the model cache
 *     emptied, then the app's POST /v1/models/{id}/encode handled in this isolate and timed with
 *     performance.now(); `steps` times the same path by hand: R2 read (head, then the range a cold
 *     encode reads), decode, backend session, first forward.
 *   POST /encode-only?id=&cold=0|1 (body: JSON { inputs }) → { status }: the encode route alone, with
 *     the cache emptied first (cold=1) or not; the caller reads workerd's CPU time around a batch.
 *
 * workerd's clock advances during compute under `wrangler dev` only (bench/workerd-kernels.ts
 * checks this); the R2 read is local I/O there, so its time is an upper bound of its CPU.
 */
import { app } from '../../src/api/app.js';
import { loadWorkerBackend } from '../../src/api/backends.js';
import type { Bindings } from '../../src/api/env.js';
import { ModelStore } from '../../src/api/model-store.js';
import { clearModelCache } from '../../src/api/models/service.js';
import { readModelBytes } from '../../src/model/model-bytes.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';

/** The app's encode route for `id`, handled in this isolate; its status. */
async function appEncode(id: string, body: string, env: Bindings, ctx: ExecutionContext): Promise<number> {
  const res = await app.fetch(
    new Request(`http://bench/v1/models/${id}/encode`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.API_TOKEN}`, 'content-type': 'application/json' },
      body,
    }),
    env,
    ctx,
  );
  await res.text();
  return res.status;
}

/** Only the encode route, cold (cache emptied first) or warm: what the workerd process's CPU time is read around. */
async function encodeOnly(request: Request, env: Bindings, ctx: ExecutionContext, cold: boolean): Promise<Response> {
  const id = new URL(request.url).searchParams.get('id') ?? '';
  const body = await request.text();
  if (cold) clearModelCache();
  return Response.json({ status: await appEncode(id, body, env, ctx) });
}

async function coldEncode(request: Request, env: Bindings, ctx: ExecutionContext): Promise<Response> {
  const url = new URL(request.url);
  const id = url.searchParams.get('id') ?? '';
  const body = await request.text();
  const inputs = (JSON.parse(body) as { inputs: number[][] }).inputs;

  clearModelCache();
  const start = performance.now();
  const status = await appEncode(id, body, env, ctx);
  const ms = performance.now() - start;

  // The same path by hand, step by step (the backend is loaded already: the app loaded it).
  const { backend } = await loadWorkerBackend('auto');
  const store = new ModelStore(env.MODELS);
  const t0 = performance.now();
  const stored = await store.getForInference((await store.head(id))!);
  const t1 = performance.now();
  const state = readModelBytes(stored!.bytes, id, { withoutOptimizer: stored!.partial });
  const t2 = performance.now();
  const model = SparseAutoencoder.fromState(state, backend);
  const t3 = performance.now();
  model.encode(inputs);
  const t4 = performance.now();
  model.dispose();
  return Response.json({ ms, status, steps: { r2Read: t1 - t0, decode: t2 - t1, session: t3 - t2, firstForward: t4 - t3 } });
}

/** Replaces a stored model's body by its JSON file, keeping its metadata: a model stored before the binary form. */
async function storeJson(request: Request, env: Bindings): Promise<Response> {
  const id = new URL(request.url).searchParams.get('id') ?? '';
  const head = await env.MODELS.head(`models/${id}.json`);
  if (!head) return new Response('no such model', { status: 404 });
  await env.MODELS.put(`models/${id}.json`, await request.arrayBuffer(), { customMetadata: head.customMetadata ?? {} });
  return new Response(null, { status: 204 });
}

export default {
  async fetch(request: Request, env: Bindings, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/healthz') return Response.json({ ok: true });
    if (url.pathname === '/cold-encode') return coldEncode(request, env, ctx);
    if (url.pathname === '/encode-only') return encodeOnly(request, env, ctx, url.searchParams.get('cold') === '1');
    if (url.pathname === '/bench/store-json') return storeJson(request, env);
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Bindings>;
