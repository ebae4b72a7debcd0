/**
 * End to end through the real `wrangler dev` (Node side): start it as `npm run dev` does (same
 * flags and dev tokens, but a free port and a temporary --persist-to), train a model, stop the
 * server, start it again on the same state, and encode with the model: it is still there. Then
 * the same model file, exported, gives the CLI exactly the codes the API gave.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMain } from '../helpers/cli.js';
import { api, DEV_ADMIN_TOKEN, DEV_ENCODE_TOKEN, killAllWranglerDev, startWranglerDev } from '../helpers/wrangler-dev.js';

const state = mkdtempSync(join(tmpdir(), 'edge-sae-e2e-'));
const startDev = () => startWranglerDev(state);

afterAll(() => {
  killAllWranglerDev();
  rmSync(state, { recursive: true, force: true });
});

const DATA = [
  [0, 0.5, 1],
  [1, 0.25, 0],
  [0.5, 0.75, 0.25],
  [0.2, 0.1, 0.9],
];

describe('wrangler dev', () => {
  it('should keep a trained model across a restart', { timeout: 180_000 }, async () => {
    let server = await startDev();
    let id: string;
    let codes: number[][];
    try {
      const health = (await (await fetch(`${server.base}/healthz`)).json()) as { status: string; backend: string };
      expect(health).toMatchObject({ status: 'ok', backend: 'assemblyscript' });

      const trained = await api(server.base, '/v1/models', DEV_ADMIN_TOKEN, { data: DATA, name: 'e2e', training: { epochs: 20 } });
      expect(trained.status, await trained.clone().text()).toBe(201);
      id = ((await trained.json()) as { id: string }).id;

      const encoded = await api(server.base, `/v1/models/${id}/encode`, DEV_ENCODE_TOKEN, { inputs: DATA });
      expect(encoded.status).toBe(200);
      codes = ((await encoded.json()) as { codes: number[][] }).codes;
      expect(codes).toHaveLength(4);
      // The encode token may not write.
      expect((await api(server.base, '/v1/models', DEV_ENCODE_TOKEN, { data: DATA })).status).toBe(403);
    } finally {
      await server.stop();
    }

    server = await startDev();
    try {
      const detail = await api(server.base, `/v1/models/${id}`, DEV_ENCODE_TOKEN);
      expect(detail.status).toBe(200);
      expect(await detail.json()).toMatchObject({ id, name: 'e2e', inputSize: 3, hiddenSize: 9, version: 1 });
      const encoded = await api(server.base, `/v1/models/${id}/encode`, DEV_ENCODE_TOKEN, { inputs: DATA });
      expect(encoded.status).toBe(200);
      expect(((await encoded.json()) as { codes: number[][] }).codes).toEqual(codes);

      // The exported file in the CLI: the same codes, to the bit (same kernels, exact float32 text).
      const exported = await api(server.base, `/v1/models/${id}/export`, DEV_ENCODE_TOKEN);
      expect(exported.status).toBe(200);
      writeFileSync(join(state, 'model.json'), await exported.text());
      writeFileSync(join(state, 'data.json'), JSON.stringify(DATA));
      const cli = await runMain(['encode', '--model', join(state, 'model.json'), '--data', join(state, 'data.json'), '--format', 'json']);
      expect(cli.code, cli.stderr).toBe(0);
      const cliCodes = JSON.parse(cli.stdout) as number[][];
      expect(cliCodes.map((row) => row.map(Math.fround))).toEqual(codes);
    } finally {
      await server.stop();
    }
  });
});
