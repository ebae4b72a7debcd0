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
  /** Run at the same time as the other kind (each with `concurrency` connections), not in rounds of its own. */
  together?: boolean;
  /** For an interleaved pair (ENCODE_TOKENS, managed keys): each of its rounds' requests/s. */
  roundsRequestsPerSecond?: number[];
}

export interface LoadResults {
  machine: string;
  cores: number;
  node: string;
  date: string;
  /** The 1-minute load average when the run started, and (loadAverage) when it ended. */
  loadAverageStart?: number;
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
export function managedRatios(results: LoadResults): { shape: string; concurrency: number; together: boolean; encodeTokens: number; managed: number; ratio: number }[] {
  const out = [];
  for (const managed of results.records.filter((r) => tokenOf(r) === 'managed keys')) {
    const together = managed.together === true;
    const bootstrap = results.records.find(
      (r) => tokenOf(r) === 'ENCODE_TOKENS' && r.shape === managed.shape && r.concurrency === managed.concurrency && (r.together === true) === together,
    );
    if (!bootstrap) continue;
    out.push({
      shape: managed.shape,
      concurrency: together ? managed.concurrency * 2 : managed.concurrency,
      together,
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
      `${results.cores === 2 ? 'two' : results.cores} cores), Node ${results.node}, load average ` +
      `${results.loadAverageStart === undefined ? '' : `${results.loadAverageStart.toFixed(2)} at the start, `}${(results.loadAverage ?? 0).toFixed(2)}${results.loadAverageStart === undefined ? '' : ' at the end'}, ` +
      `${results.durationSeconds} s a row${
        results.records.some((r) => r.roundsRequestsPerSecond)
          ? ` (for encode: ENCODE_TOKENS and managed keys interleaved in ${results.records.find((r) => r.roundsRequestsPerSecond)!.roundsRequestsPerSecond!.length * 2} rounds, A B B A A B B A; ` +
            'requests/s and p50 the mean of a kind\'s rounds, p99 the highest; "16 + 16": both kinds at once, 16 connections each)'
          : ''
      }:`,
    '',
    '| route | model | token | concurrency | requests/s | p50 ms | p99 ms | errors |',
    '|---|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of results.records) {
    lines.push(`| ${r.name} | ${r.shape} | ${tokenOf(r)} | ${r.together ? `${r.concurrency} + ${r.concurrency}` : r.concurrency} | ${r.requestsPerSecond.toFixed(0)} | ${Number(r.p50Ms.toFixed(1))} | ${r.p99Ms} | ${r.errors + r.non2xx} |`);
  }
  const ratios = managedRatios(results);
  if (ratios.length > 0) {
    const at = ratios.filter((r) => r.concurrency === MANAGED_TARGET.concurrency && !r.together);
    const met = at.length > 0 && at.every((r) => r.ratio >= MANAGED_TARGET.minRatio);
    lines.push(
      '',
      `**Managed keys vs ENCODE_TOKENS** (requests/s, the same load, each spread over ${results.tokensPerKind ?? '?'} tokens): ` +
        ratios.map((r) => `${r.shape} at ${r.together ? `${r.concurrency / 2} + ${r.concurrency / 2} at once` : r.concurrency}: **${r.ratio.toFixed(2)}×**`).join(', ') +
        `. Target: within ${Math.round((1 - MANAGED_TARGET.minRatio) * 100)}% (≥ ${MANAGED_TARGET.minRatio.toFixed(2)}×) at concurrency ${MANAGED_TARGET.concurrency}: **${met ? 'met' : 'missed'}**.`,
    );
  }
  return lines.join('\n') + '\n';
}
