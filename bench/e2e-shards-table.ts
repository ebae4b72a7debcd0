/**
 * Renders bench/e2e-shards.json (npm run e2e:shards, scripts/e2e-shards.ts) as docs/ENCODING.md's
 * "Sharded encoders, measured" table. Written by the script and by `npm run docs`;
 * test/docs/generated-docs.test.ts checks it is current.
 */

export interface ShardsResults {
  date: string;
  machine: string;
  loadAverage: { start: number[]; end: number[] };
  model: { inputSize: number; hiddenSize: number; architecture: string; dtype: string; encoderBytes: number; fileBytes: number; seed: number };
  shards: { count: number; encodeShardBytes: number; columns: number[] };
  coldEncodeMs: number;
  accuracy: { rows: number; top: number; identicalRows: number; sameIndicesRows: number };
  latency: { rows: number; concurrency: number; requests: number; p50Ms: number; p99Ms: number; non200: number; differentFromLibrary: number }[];
  kill: {
    shard: number;
    restarts: number;
    requests: number;
    rowsEach: number;
    killedAtMs: number;
    ok: number;
    okCorrect: number;
    status503: number;
    status503WithRetryAfter: number;
    otherStatus: number;
    lastFailureAtMs: number | null;
    /** Slices loaded (shard.loaded log lines) after the restart: 1 = the restarted shard alone reloaded. */
    reloadsAfterRestart: number;
    afterwardsCorrect: boolean;
  };
  workerdRssMb: { beforeFirstEncode: number; afterWarm: number; serving: number; peak: number };
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

export function renderShards(r: ShardsResults): string {
  const { model, shards, accuracy, kill } = r;
  const lines = [
    `Measured ${r.date} under \`wrangler dev\` on ${r.machine}; load average ${r.loadAverage.start.join(' / ')} at the start, ${r.loadAverage.end.join(' / ')} at the end.`,
    `A ${model.inputSize} → ${model.hiddenSize} ${model.architecture} model, ${model.dtype} weights (encoder ${mb(model.encoderBytes)}, file ${mb(model.fileBytes)}; seed ${model.seed}),`,
    `${shards.count} shards at ENCODE_SHARD_BYTES = ${shards.encodeShardBytes} (${Math.min(...shards.columns)} to ${Math.max(...shards.columns)} columns each).`,
    '',
    '| what | figure |',
    '|---|---:|',
    `| first encode, every shard loading its slice (cold) | ${(r.coldEncodeMs / 1000).toFixed(1)} s |`,
    `| top-${accuracy.top} of ${accuracy.rows} rows identical to the library's (indices and values) | ${accuracy.identicalRows} of ${accuracy.rows} |`,
    ...r.latency.map((l) => `| ${l.rows} row a request, concurrency ${l.concurrency} (${l.requests} requests): p50 / p99 | ${l.p50Ms} / ${l.p99Ms} ms |`),
    ...r.latency.map((l) => `| … of those, not 200 / not the library's answer (concurrency ${l.concurrency}) | ${l.non200} / ${l.differentFromLibrary} |`),
    `| shard ${kill.shard} restarted at ${(kill.killedAtMs / 1000).toFixed(1)} s into ${kill.requests} encodes of ${kill.rowsEach} rows (concurrency 8; restarted ${kill.restarts} times, 40 ms apart): 200 (all correct) / 503 (with Retry-After) / other | ${kill.ok} (${kill.okCorrect}) / ${kill.status503} (${kill.status503WithRetryAfter}) / ${kill.otherStatus} |`,
    `| slices reloaded after the restart (shard.loaded log lines) | ${kill.reloadsAfterRestart} |`,
    `| the encode after it whole and correct | ${kill.afterwardsCorrect ? 'yes' : 'no'} |`,
    `| workerd resident memory: before, after warming, serving, peak (every shard in one process locally) | ${r.workerdRssMb.beforeFirstEncode} / ${r.workerdRssMb.afterWarm} / ${r.workerdRssMb.serving} / ${r.workerdRssMb.peak} MB |`,
  ];
  return `${lines.join('\n')}\n`;
}
