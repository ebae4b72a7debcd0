/**
 * docs/ENCODING.md's table of the model's encode against onnxruntime, and the issue's targets
 * checked against the figures, from bench/encode-model.json and bench/encode-memory.json (written
 * by `npm run bench -- --only encode-model,encode-memory`); `npm run docs` writes it,
 * test/docs/generated-docs.test.ts checks it is current.
 */
import type { BenchRecord } from './harness.js';

export interface SuiteResults {
  machine: string;
  cores: number;
  node: string;
  date: string;
  loadAverage: { start: number[]; end: number[] };
  timing: string;
  records: BenchRecord[];
}

const SHAPES = ['768→24576', '2304→16384'];
const DTYPES = ['f32', 'bf16', 'int8'] as const;
const load = (l: number[]): string => l.map((x) => x.toFixed(1)).join(' / ');
const ms = (x: number | undefined): string => (x === undefined ? '–' : x < 10 ? `${x.toFixed(2)} ms` : x < 100 ? `${x.toFixed(1)} ms` : `${x.toFixed(0)} ms`);
const times = (x: number | undefined): string => (x === undefined ? '–' : `×${x.toFixed(2)}`);

/** A target: its figures (one per shape where it applies) and whether every one meets it. */
interface Target {
  what: string;
  figures: { label: string; value: number | undefined }[];
  meets: (value: number) => boolean;
  format: (value: number) => string;
}

export function renderEncodeModel(model: SuiteResults, memory: SuiteResults): string {
  const find = (name: string, backend: string | RegExp, shape: string): number | undefined =>
    model.records.find((r) => r.name === name && (typeof backend === 'string' ? r.backend === backend : backend.test(r.backend)) && r.shape === shape)?.figure;
  const shape = (s: string, rows: number) => `${s}, ${rows} row${rows === 1 ? '' : 's'}`;
  const bandwidth = find('read bandwidth', 'wasm v128 stream, one thread', '256 MB');
  const lines = [
    `Measured ${model.date.slice(0, 10)} on ${model.cores} cores (${model.machine}), Node ${model.node}, ${model.timing};`,
    `load average (1/5/15 min) ${load(model.loadAverage.start)} at the start, ${load(model.loadAverage.end)} at the end.`,
    '',
    '| shape | ORT-web | ORT-node | f32 | bf16 | int8 | f32 × web | bf16 × web | int8 × web |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of SHAPES) {
    for (const rows of [1, 64]) {
      const at = shape(s, rows);
      const cells = [
        ms(find('model encode', 'onnxruntime-web (wasm, 1 thread)', at)),
        ms(find('model encode', 'onnxruntime-node (native, 1 thread)', at)),
        ...DTYPES.map((d) => ms(find('model encode', `edge-sae ${d}`, at))),
        ...DTYPES.map((d) => times(find('speed-up over onnxruntime-web', `edge-sae ${d}`, at))),
      ];
      lines.push(`| ${at} | ${cells.join(' | ')} |`);
    }
  }
  const floor = (d: string, s: string) => find('time ÷ bandwidth floor', new RegExp(`^edge-sae ${d} \\(floor`), shape(s, 1));
  const web = (d: string, s: string, rows: number) => find('speed-up over onnxruntime-web', `edge-sae ${d}`, shape(s, rows));
  const perShape = (value: (s: string) => number | undefined) => SHAPES.map((s) => ({ label: s, value: value(s) }));
  const mem = (name: string) => memory.records.find((r) => r.name === name);
  const firstRow = model.records.find((r) => r.name === 'file bytes to first encoded row (wall)');
  const firstCpu = model.records.find((r) => r.name === 'file bytes to first encoded row (CPU)');
  const overlap = (d: string) => model.records.find((r) => r.name === 'top-32 overlap with f32 codes' && r.backend === `edge-sae ${d}`)?.figure;
  const targets: Target[] = [
    { what: 'f32 ≥ 1.0× ORT-web at 1 row', figures: perShape((s) => web('f32', s, 1)), meets: (v) => v >= 1.0, format: times },
    { what: 'f32 ≥ 1.5× ORT-web at 64 rows', figures: perShape((s) => web('f32', s, 64)), meets: (v) => v >= 1.5, format: times },
    { what: 'bf16 ≥ 1.8× ORT-web at 1 row', figures: perShape((s) => web('bf16', s, 1)), meets: (v) => v >= 1.8, format: times },
    { what: 'int8 ≥ 3× ORT-web at 1 row', figures: perShape((s) => web('int8', s, 1)), meets: (v) => v >= 3, format: times },
    ...DTYPES.map((d): Target => ({ what: `${d}: one row within 1.3× of the bandwidth floor`, figures: perShape((s) => floor(d, s)), meets: (v) => v <= 1.3, format: times })),
    { what: 'file bytes to first encoded row ≤ 250 ms (768 → 24576 bf16, wall)', figures: [{ label: firstRow?.shape ?? '', value: firstRow?.figure }], meets: (v) => v <= 250, format: ms },
    { what: 'resident memory < 1.5× the encoder\'s bytes (2304 → 65536 bf16)', figures: [{ label: 'peak ÷ encoder', value: mem('peak resident memory ÷ encoder bytes')?.figure }], meets: (v) => v < 1.5, format: times },
    { what: 'bf16 top-32 overlap with f32 ≥ 0.99', figures: [{ label: '768→24576', value: overlap('bf16') }], meets: (v) => v >= 0.99, format: (v) => v.toFixed(3) },
    { what: 'int8 top-32 overlap with f32 ≥ 0.95', figures: [{ label: '768→24576', value: overlap('int8') }], meets: (v) => v >= 0.95, format: (v) => v.toFixed(3) },
  ];
  lines.push('', `The floor: W_enc's bytes ÷ the measured one-thread read bandwidth (${bandwidth === undefined ? '–' : `${bandwidth.toFixed(1)} GB/s`} this run).`);
  if (firstCpu) lines.push(`File bytes to the first row took ${ms(firstCpu.figure)} of CPU time (${firstCpu.shape}).`);
  const before = mem('resident memory before opening');
  const peak = mem('peak resident memory, encoding');
  if (peak && before) lines.push(`Resident memory (${peak.shape}, run ${memory.date.slice(0, 10)}, load ${load(memory.loadAverage.start)}): peak ${peak.figure.toFixed(0)} MB, of which ${before.figure.toFixed(0)} MB before the file is opened.`);
  lines.push('', '| target | figures | met |', '| --- | --- | --- |');
  for (const t of targets) {
    const known = t.figures.filter((f) => f.value !== undefined);
    const met = known.length === 0 ? 'not measured' : known.every((f) => t.meets(f.value!)) ? 'yes' : known.some((f) => t.meets(f.value!)) ? 'partly' : 'no';
    lines.push(`| ${t.what} | ${t.figures.map((f) => `${f.label}: ${f.value === undefined ? '–' : t.format(f.value)}`).join('; ')} | ${met} |`);
  }
  return `${lines.join('\n')}\n`;
}
