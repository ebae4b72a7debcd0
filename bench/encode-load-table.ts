/**
 * Renders bench/encode-load.json (npm run bench:load) as the README's "Encode through the API,
 * under load" table, with the managed keys' requests/s against ENCODE_TOKENS' and the target
 * (issue 18: within 10% at concurrency 32). Written into the README's encode-load region by the
 * bench itself and by `npm run docs`; test/docs/generated-docs.test.ts checks it is current.
 */

/** One measurement of bench/encode-load.ts. */
export interface LoadRecord {
  name: string;
  shape: string;
  /** Which tokens sent the load: ENCODE_TOKENS, or managed keys (POST /v1/keys, scope models:encode); '-' for /healthz. Absent in runs before managed keys: ENCODE_TOKENS. */
  token?: 'ENCODE_TOKENS' | 'managed keys' | '-';
  concurrency: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

export interface LoadResults {
  machine: string;
  cores: number;
  node: string;
  date: string;
  loadAverage?: number;
  durationSeconds: number;
  /** How many tokens of each kind the load was spread over. */
  tokensPerKind?: number;
  records: LoadRecord[];
}

/** The lowest managed / ENCODE_TOKENS ratio of requests/s at this concurrency that meets the target. */
export const MANAGED_TARGET = { concurrency: 32, minRatio: 0.9 } as const;

const tokenOf = (r: LoadRecord) => r.token ?? (r.name === 'healthz' ? '-' : 'ENCODE_TOKENS');

/** Managed keys' requests/s over ENCODE_TOKENS', per model and concurrency (same run, back to back). */
export function managedRatios(results: LoadResults): { shape: string; concurrency: number; encodeTokens: number; managed: number; ratio: number }[] {
  const out = [];
  for (const managed of results.records.filter((r) => tokenOf(r) === 'managed keys')) {
    const bootstrap = results.records.find((r) => tokenOf(r) === 'ENCODE_TOKENS' && r.shape === managed.shape && r.concurrency === managed.concurrency);
    if (!bootstrap) continue;
    out.push({
      shape: managed.shape,
      concurrency: managed.concurrency,
      encodeTokens: bootstrap.requestsPerSecond,
      managed: managed.requestsPerSecond,
      ratio: managed.requestsPerSecond / bootstrap.requestsPerSecond,
    });
  }
  return out;
}

export function renderEncodeLoad(results: LoadResults): string {
  const lines = [
    `Measured ${results.date.slice(0, 10)} on ${results.machine} (${results.cores} cores, load generator and server on the same ` +
      `${results.cores === 2 ? 'two' : results.cores} cores), Node ${results.node}, load average ${(results.loadAverage ?? 0).toFixed(2)}, ` +
      `${results.durationSeconds} s a row:`,
    '',
    '| route | model | token | concurrency | requests/s | p50 ms | p99 ms | errors |',
    '|---|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of results.records) {
    lines.push(`| ${r.name} | ${r.shape} | ${tokenOf(r)} | ${r.concurrency} | ${r.requestsPerSecond.toFixed(0)} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors + r.non2xx} |`);
  }
  const ratios = managedRatios(results);
  if (ratios.length > 0) {
    const at = ratios.filter((r) => r.concurrency === MANAGED_TARGET.concurrency);
    const met = at.length > 0 && at.every((r) => r.ratio >= MANAGED_TARGET.minRatio);
    lines.push(
      '',
      `**Managed keys vs ENCODE_TOKENS** (requests/s, the same load back to back, each spread over ${results.tokensPerKind ?? '?'} tokens): ` +
        ratios.map((r) => `${r.shape} at ${r.concurrency}: **${r.ratio.toFixed(2)}×**`).join(', ') +
        `. Target: within ${Math.round((1 - MANAGED_TARGET.minRatio) * 100)}% (≥ ${MANAGED_TARGET.minRatio.toFixed(2)}×) at concurrency ${MANAGED_TARGET.concurrency}: **${met ? 'met' : 'missed'}**.`,
    );
  }
  return lines.join('\n') + '\n';
}
