/**
 * `edge-sae job --validation-dataset ID` and `edge-sae sweep --api … --validation-dataset ID`
 * against a local HTTP server standing in for the API: the flag reaches the request body as
 * validationDatasetId (and is left out without it); where it means nothing (a local sweep, a
 * --follow) it is a usage error.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError, parseCommandArgs } from '../../src/cli/args.js';
import { JOB, SWEEP } from '../../src/cli/commands.js';
import type { CliIo } from '../../src/cli/io.js';
import { job } from '../../src/cli/job.js';
import { sweep } from '../../src/cli/sweep.js';

let server: Server | undefined;

/** A server answering every request with `answer`, and the JSON bodies it was sent. */
async function serve(answer: unknown): Promise<{ base: string; bodies: { url: string; body: Record<string, unknown> }[] }> {
  const bodies: { url: string; body: Record<string, unknown> }[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      bodies.push({ url: req.url!, body: body ? (JSON.parse(body) as Record<string, unknown>) : {} });
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, bodies };
}

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

const io: CliIo = { stdout: () => undefined, stderr: () => undefined, stderrIsTTY: false };
const QUEUED_JOB = { id: 'j', status: 'queued', epoch: 0, totalEpochs: 3, step: 0, totalSteps: 9, loss: null, modelId: null, error: null };
const FINISHED_SWEEP = {
  id: 's',
  status: 'finished',
  metric: 'validationLoss',
  best: '1-hiddenSize=4',
  trials: [{ name: '1-hiddenSize=4', options: { hiddenSize: 4 }, status: 'succeeded', epoch: 3, totalEpochs: 3, metrics: null, modelId: 'm', error: null, rank: 1, best: true, value: 1 }],
};

describe('--validation-dataset', () => {
  it('should send edge-sae job\'s as validationDatasetId, and nothing without it', async () => {
    const { base, bodies } = await serve(QUEUED_JOB);
    const common = ['--api', base, '--token', 't', '--dataset', 'train-id', '--epochs', '3', '--patience', '2', '--quiet'];
    await job(parseCommandArgs(JOB, [...common, '--validation-dataset', 'held-id'])!, io);
    await job(parseCommandArgs(JOB, common)!, io);
    expect(bodies.map((b) => b.url)).toEqual(['/v1/jobs', '/v1/jobs']);
    expect(bodies[0]!.body).toMatchObject({ datasetId: 'train-id', validationDatasetId: 'held-id', training: { epochs: 3, patience: 2 } });
    expect(bodies[1]!.body).not.toHaveProperty('validationDatasetId');
  });

  it('should send edge-sae sweep --api\'s as validationDatasetId', async () => {
    const { base, bodies } = await serve(FINISHED_SWEEP);
    const argv = ['--api', base, '--token', 't', '--dataset', 'train-id', '--validation-dataset', 'held-id', '--grid', 'hiddenSize=4', '--metric', 'validationLoss', '--quiet'];
    await sweep(parseCommandArgs(SWEEP, argv)!, io);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]!.url).toBe('/v1/sweeps');
    expect(bodies[0]!.body).toMatchObject({ datasetId: 'train-id', validationDatasetId: 'held-id', metric: 'validationLoss', grid: { hiddenSize: [4] } });
  });

  it('should be a usage error where it means nothing: a local sweep, or following a job', async () => {
    const local = sweep(parseCommandArgs(SWEEP, ['--data', 'x.csv', '--validation-dataset', 'held-id', '--grid', 'hiddenSize=4'])!, io);
    await expect(local).rejects.toThrow(UsageError);
    await expect(local).rejects.toThrow(/--validation-dataset: only with --api/);
    const follow = job(parseCommandArgs(JOB, ['--api', 'http://127.0.0.1:1', '--token', 't', '--follow', 'j', '--validation-dataset', 'held-id'])!, io);
    await expect(follow).rejects.toThrow(/--validation-dataset: only when starting a job/);
  });
});
