/**
 * The model's encode (the encode-only session model.encode runs: src/model/encoding-session.ts)
 * against onnxruntime-web (wasm, one thread) on the same model's ONNX export
 * (src/export/onnx.ts), and onnxruntime-node (native, one thread) as the ceiling, in one run:
 * a relu SAE at 768 → 24576 and 2304 → 16384, 1 and 64 rows, weights f32, bf16 and int8; one row ÷
 * the read-bandwidth floor; the time from a bf16 file's bytes to its first encoded row; and the
 * accuracy of bf16 and int8 codes against float32's at 768 → 24576 (top-32 overlap, relative error).
 *
 * The weights and rows are SAE-shaped (test/helpers/sae-like-data.ts; no public SAE is downloaded
 * here). onnxruntime-node is not a dependency (its install script fetches from outside the
 * registry): install it for a run with `npm install --no-save --ignore-scripts onnxruntime-node@1.30.0`
 * (the CPU binaries are in the package); without it its records are left out.
 *
 * Run alone with `npx tsx bench/encode-model.ts`; in `npm run bench` as the suite `encode-model`.
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';

import * as ortWeb from 'onnxruntime-web';

import { createAssemblyScriptBackend } from '../src/backends/assemblyscript/loader.js';
import { loadKernelModule } from '../src/backends/assemblyscript/module-node.js';
import { architectureOf, type KernelBackend } from '../src/backends/types.js';
import { buildOnnx } from '../src/export/onnx.js';
import { resolveModelConfig, resolveTrainingOptions } from '../src/model/config.js';
import { convertWeightDtype } from '../src/model/convert-dtype.js';
import { EncodingSession } from '../src/model/encoding-session.js';
import { toBinaryModelFile } from '../src/model/model-file-binary.js';
import type { ModelState } from '../src/model/model-file.js';
import type { WeightDtype } from '../src/model/weight-dtype.js';
import { codesRelativeError, saeLikeData, topOverlap } from '../test/helpers/sae-like-data.js';
import { readBandwidth } from './encode-kernels.js';
import { cpuMs, median, pairedRatio, timeInterleavedRoundsAsync, type BenchRecord } from './harness.js';

ortWeb.env.wasm.numThreads = 1;

const SHAPES: [number, number][] = [[768, 24576], [2304, 16384]];
const ROWS = [1, 64];
const DTYPES: WeightDtype[] = ['f32', 'bf16', 'int8'];

type OrtModule = typeof ortWeb;

/** onnxruntime-node when installed (see the header), else null. */
async function loadOrtNode(): Promise<OrtModule | null> {
  try {
    const name = 'onnxruntime-node';
    return (await import(name)) as OrtModule;
  } catch {
    return null;
  }
}

/** A relu SAE's state (normalize none) with SAE-shaped encoder weights; W_dec a copy of W_encᵀ's shape, only written to files. */
export function saeState(n: number, h: number, rows: number, seed = 1): { state: ModelState; x: Float32Array } {
  const data = saeLikeData(n, h, rows, seed);
  const config = resolveModelConfig(n, { architecture: 'relu', hiddenSize: h, normalize: 'none' });
  const W2 = new Float32Array(h * n);
  for (let k = 0; k < n; k++) for (let j = 0; j < h; j++) W2[j * n + k] = data.wEnc[k * h + j]!;
  const state: ModelState = {
    shape: { inputSize: n, hiddenSize: h },
    config,
    normalization: { kind: 'none' },
    parameters: { W1: data.wEnc, b1: data.bEnc, W2, b2: new Float32Array(n) },
    training: { ...resolveTrainingOptions({}), epochsCompleted: 0 },
    trainedWith: 'bench',
    optimizerState: null,
    metrics: null,
    lossHistory: [],
  };
  return { state, x: data.x };
}

type Call = () => unknown;
const shapeName = (n: number, h: number, rows: number) => `${n}→${h}, ${rows} row${rows === 1 ? '' : 's'}`;

/** Wall-clock and CPU ms from a bf16 file's bytes to its first encoded row (EncodingSession.fromBytes + encode), medians of `runs`. */
function bytesToFirstRow(bytes: Uint8Array, backend: KernelBackend, row: Float32Array, n: number, runs: number): { wall: number; cpu: number } {
  const wall: number[] = [], cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now(), c = cpuMs();
    const session = EncodingSession.fromBytes(bytes, backend);
    session.encode({ rows: 1, cols: n, data: row });
    wall.push(performance.now() - t);
    cpu.push(cpuMs() - c);
    session.dispose();
  }
  return { wall: median(wall), cpu: median(cpu) };
}

export async function benchEncodeModel(): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];
  const backend = createAssemblyScriptBackend(await loadKernelModule());
  const ortNode = await loadOrtNode();
  const bandwidth = readBandwidth();
  records.push({ name: 'read bandwidth', backend: 'wasm v128 stream, one thread', shape: '256 MB', figure: bandwidth, unit: 'GB/s' });

  for (const [n, h] of SHAPES) {
    const { state, x } = saeState(n, h, 64, n);
    const sessions = Object.fromEntries(DTYPES.map((d) => [d, EncodingSession.fromState(convertWeightDtype(state, d), backend)!])) as Record<WeightDtype, EncodingSession>;
    const onnx = buildOnnx({ shape: state.shape, parameters: state.parameters, normalization: state.normalization, architecture: architectureOf(state.config) }).bytes;
    const web = await ortWeb.InferenceSession.create(onnx, { executionProviders: ['wasm'] });
    const native = ortNode ? await ortNode.InferenceSession.create(onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 }) : null;
    const [input] = web.inputNames;
    try {
      if (n === 768) {
        // accuracy: bf16 and int8 codes against float32's on 64 SAE-shaped rows
        const all = { rows: 64, cols: n, data: x };
        const z32 = sessions.f32.encode(all).data;
        for (const d of ['bf16', 'int8'] as const) {
          const z = sessions[d].encode(all).data;
          records.push({ name: 'top-32 overlap with f32 codes', backend: `edge-sae ${d}`, shape: '768→24576, 64 SAE-shaped rows', figure: topOverlap(z, z32, 64, h, 32), unit: 'fraction' });
          records.push({ name: 'codes relative error vs f32', backend: `edge-sae ${d}`, shape: '768→24576, 64 SAE-shaped rows', figure: codesRelativeError(z, z32), unit: 'ratio' });
        }
      }
      for (const rows of ROWS) {
        const data = x.subarray(0, rows * n);
        const matrix = { rows, cols: n, data };
        const webFeeds = { [input!]: new ortWeb.Tensor('float32', data, [rows, n]) };
        const calls: Record<string, Call> = { web: () => web.run(webFeeds) };
        if (native && ortNode) {
          const nativeFeeds = { [input!]: new ortNode.Tensor('float32', data, [rows, n]) };
          calls.native = () => native.run(nativeFeeds);
        }
        for (const d of DTYPES) calls[d] = () => sessions[d].encode(matrix);
        const figures = await timeInterleavedRoundsAsync(calls, rows === 1 ? 9 : 5, rows === 1 ? 40 : 0);
        const shape = shapeName(n, h, rows);
        records.push({ name: 'model encode', backend: 'onnxruntime-web (wasm, 1 thread)', shape, figure: median(figures.web!), unit: 'ms' });
        if (figures.native) records.push({ name: 'model encode', backend: 'onnxruntime-node (native, 1 thread)', shape, figure: median(figures.native), unit: 'ms' });
        for (const d of DTYPES) {
          const session = sessions[d];
          records.push({ name: 'model encode', backend: `edge-sae ${d}`, shape, figure: median(figures[d]!), unit: 'ms' });
          records.push({ name: 'speed-up over onnxruntime-web', backend: `edge-sae ${d}`, shape, figure: pairedRatio(figures.web!, figures[d]!), unit: '×' });
          if (figures.native) records.push({ name: 'speed-up over onnxruntime-node', backend: `edge-sae ${d}`, shape, figure: pairedRatio(figures.native, figures[d]!), unit: '×' });
          if (rows === 1) {
            const floorMs = session.weightBytes / (bandwidth * 1e6);
            records.push({ name: 'time ÷ bandwidth floor', backend: `edge-sae ${d} (floor ${floorMs.toFixed(2)} ms)`, shape, figure: median(figures[d]!) / floorMs, unit: '×' });
          }
        }
      }
      if (n === 768) {
        const bytes = toBinaryModelFile(convertWeightDtype(state, 'bf16'));
        const first = bytesToFirstRow(bytes, backend, x.subarray(0, n), n, 5);
        const what = `768→24576, ${(bytes.length / 1e6).toFixed(0)} MB file`;
        records.push({ name: 'file bytes to first encoded row (CPU)', backend: 'edge-sae bf16, EncodingSession.fromBytes', shape: what, figure: first.cpu, unit: 'ms' });
        records.push({ name: 'file bytes to first encoded row (wall)', backend: 'edge-sae bf16, EncodingSession.fromBytes', shape: what, figure: first.wall, unit: 'ms' });
      }
    } finally {
      for (const s of Object.values(sessions)) s.dispose();
      await web.release();
      await native?.release();
    }
  }
  return records;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const load = loadavg();
  benchEncodeModel()
    .then((records) => {
      for (const r of records) console.log(`${r.name.padEnd(40)} ${r.backend.padEnd(44)} ${r.shape.padEnd(30)} ${r.figure.toFixed(3).padStart(9)} ${r.unit}`);
      console.log(`load average ${load.map((v) => v.toFixed(2)).join(' ')} → ${loadavg().map((v) => v.toFixed(2)).join(' ')}; ${new Date().toISOString()}; Node ${process.version}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
