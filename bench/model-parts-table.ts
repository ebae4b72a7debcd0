/**
 * docs/BENCHMARKS.md's table of bench/workerd-model-parts.json (`npm run e2e:model-parts` writes the
 * JSON; `npm run docs` this table; test/docs/generated-docs.test.ts checks it is current).
 */
export interface ModelPartsFigures {
  date: string;
  machine: { loadAverage1m: number; cpus: number };
  model: { inputSize: number; hiddenSize: number; architecture: string; weightDtype: string; fileBytes: number; encoderBytes: number };
  upload: { parts: number; partBytes: number; seconds: number };
  sameAsLibrary: { rows: number; top: number; rowsWithOtherIndices: number; worstRelativeValueDifference: number };
  encodeTop32Ms: { cold1Row: number; warm1RowMedian: number; warm64RowsMedian: number; repeats: number };
  workerdRssMb: Record<string, number> & { restartedMb: number; coldEncodePeakMb: number; warmPeakMb: number; growthFromRestartToPeak: number; startMb: number; uploadPeakMb: number };
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export function renderModelParts(f: ModelPartsFigures): string {
  const m = f.model;
  const rss = f.workerdRssMb;
  return [
    `Measured ${f.date.slice(0, 16).replace('T', ' ')} UTC, ${f.machine.cpus} cores shared with other jobs (load average ${f.machine.loadAverage1m}); a ${m.architecture} SAE ${m.inputSize} → ${m.hiddenSize}, ${m.weightDtype} (file ${mb(m.fileBytes)}, encoder ${mb(m.encoderBytes)}), under \`wrangler dev\`.`,
    '',
    '| step | figure |',
    '| --- | ---: |',
    `| upload in parts (${f.upload.parts} parts of ${f.upload.partBytes} bytes, then complete) | ${f.upload.seconds} s |`,
    `| workerd's memory during the upload (from ${rss.startMb} MB at start) | peak ${rss.uploadPeakMb} MB |`,
    `| cold encode, 1 row, \`top: ${f.sameAsLibrary.top}\` (a restarted isolate: the encoder's ranges read from R2, its session built) | ${f.encodeTop32Ms.cold1Row} ms |`,
    `| warm encode, 1 row (median of ${f.encodeTop32Ms.repeats}) | ${f.encodeTop32Ms.warm1RowMedian} ms |`,
    `| warm encode, 64 rows (median of ${f.encodeTop32Ms.repeats}) | ${f.encodeTop32Ms.warm64RowsMedian} ms |`,
    `| workerd's memory growth from the restart (${rss.restartedMb} MB) to its peak while serving | ${rss.growthFromRestartToPeak} MB |`,
    `| rows of ${f.sameAsLibrary.rows} whose top-${f.sameAsLibrary.top} indices differ from the library's | ${f.sameAsLibrary.rowsWithOtherIndices} |`,
    `| worst relative difference of a value from the library's | ${f.sameAsLibrary.worstRelativeValueDifference} |`,
  ].join('\n');
}
