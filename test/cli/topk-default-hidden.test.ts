/**
 * `--architecture topk` without `--hidden`: the hidden size is 3 × the data's columns, known only
 * once the data is read, so the CLI accepts what the library and the API accept (k = 32 on 16
 * columns: h = 48) and checks k against the real hidden size then, naming --k. train runs locally;
 * job and sweep --api send the options to a local HTTP server standing in for the API.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runMain } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'edge-sae-topk-hidden-'));
const at = (name: string) => join(dir, name);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 60 rows of 16 columns in [0, 1]. */
writeFileSync(at('d.csv'), Array.from({ length: 60 }, (_, i) => Array.from({ length: 16 }, (_, j) => (((i + 1) * (j + 3)) % 17) / 16).join(',')).join('\n') + '\n');

describe('edge-sae train --architecture topk without --hidden', () => {
  it('should train with the default k (32) on 16 columns, the hidden size 48', async () => {
    const result = await runMain(['train', '--data', at('d.csv'), '--out', at('m.json'), '--architecture', 'topk', '--epochs', '1', '--json']);
    expect(result.stderr).not.toMatch(/edge-sae:/); // progress lines only, no error
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ inputSize: 16, hiddenSize: 48 });
    expect(JSON.parse(readFileSync(at('m.json'), 'utf8')).config).toMatchObject({ architecture: 'topk', k: 32, hiddenSize: 48 });
  });

  it('should refuse k above the real hidden size, naming --k and that size', async () => {
    const result = await runMain(['train', '--data', at('d.csv'), '--out', at('big-k.json'), '--architecture', 'topk', '--k', '49', '--epochs', '1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('edge-sae: --k: must be at most the hidden size 48 (topk keeps k of the h codes), got 49\n');
  });

  it('should still refuse k above a --hidden given, before reading any data', async () => {
    const result = await runMain(['train', '--data', at('missing.csv'), '--out', at('x.json'), '--architecture', 'topk', '--k', '4', '--hidden', '3']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^edge-sae: --k: must be at most the hidden size 3 /);
  });

  it('should name --k when --init continues a model with a k above its hidden size', async () => {
    const result = await runMain(['train', '--data', at('d.csv'), '--out', at('m2.json'), '--init', at('m.json'), '--k', '60', '--epochs', '1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^edge-sae: --k: must be at most the hidden size 48 /);
  });
});

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A server answering every request with `answer`, and the bodies it was sent. */
async function serve(status: number, answer: unknown): Promise<{ base: string; bodies: unknown[] }> {
  const bodies: unknown[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      bodies.push(JSON.parse(body));
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, bodies };
}

describe('edge-sae job and sweep --api --architecture topk without --hidden', () => {
  it('should send the job to the API, which checks k against the dataset\'s width', async () => {
    const { base, bodies } = await serve(202, { id: 'j1', status: 'queued', epoch: 0, totalEpochs: 10, step: 0, totalSteps: 10, loss: null, modelId: null, error: null });
    const result = await runMain(['job', '--api', base, '--token', 't', '--dataset', 'd1', '--architecture', 'topk']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(bodies).toEqual([{ datasetId: 'd1', config: { architecture: 'topk' } }]);
  });

  it('should send the sweep to the API', async () => {
    const trial = { name: 'k=8', options: { k: 8 }, status: 'succeeded', epoch: 1, totalEpochs: 1, metrics: null, modelId: 'm1', error: null, rank: 1, best: true, value: 0.5 };
    const { base, bodies } = await serve(202, { id: 's1', status: 'finished', metric: 'fvu', best: 'k=8', trials: [trial] });
    const result = await runMain(['sweep', '--api', base, '--token', 't', '--dataset', 'd1', '--architecture', 'topk', '--grid', 'k=8', '--json']);
    expect(result.stderr).not.toMatch(/edge-sae:/); // progress lines only, no error
    expect(result.code).toBe(0);
    expect(bodies).toEqual([{ datasetId: 'd1', grid: { k: [8] }, metric: 'fvu', config: { architecture: 'topk' } }]);
  });
});
