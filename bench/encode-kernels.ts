/**
 * The encode kernels (assembly/encode-*.ts through src/backends/assemblyscript/encoder-kernels.ts,
 * not yet wired into the model's encode: issue 27) against onnxruntime-web (wasm, one thread) on the
 * same weights, and against this machine's one-thread read bandwidth (the floor of an encode that
 * reads each weight byte once), in one run: z = ReLU(x·W_enc + b_enc) at 768 → 24576 and
 * 2304 → 16384, 1 and 64 rows, f32, bf16 and int8 weights; and the rows-kernel / GEMM crossover.
 *
 * onnxruntime-web runs a MatMul + Add + Relu graph written with the project's protobuf writer
 * (src/export/protobuf-writer.ts) from the f32 weights. Figures are CPU milliseconds (bench/harness.ts),
 * the contestants of one shape timed in alternating rounds, so ratios are paired medians.
 *
 * Run alone with `npx tsx bench/encode-kernels.ts` (prints a table; `--json` prints the records);
 * in `npm run bench` as the suite `encode-kernels`.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';

import * as ort from 'onnxruntime-web';

import { EncoderKernels, type EncoderDtype } from '../src/backends/assemblyscript/encoder-kernels.js';
import { quantizeInt8PerUnit } from '../src/backends/assemblyscript/int8-quantize.js';
import { loadKernelModule } from '../src/backends/assemblyscript/module-node.js';
import { float32LittleEndian } from '../src/data/float32-bytes.js';
import { ProtoMessage } from '../src/export/protobuf-writer.js';
import { float32ToBf16 } from '../src/formats/convert.js';
import { cpuMs, median, pairedRatio, randomArray, timeInterleavedRoundsAsync, type BenchRecord } from './harness.js';
import { rooflinePath } from './roofline.bench.js';

ort.env.wasm.numThreads = 1;

export const ENCODE_SHAPES: [number, number][] = [[768, 24576], [2304, 16384]];
export const ENCODE_ROWS = [1, 64];
const DTYPES: EncoderDtype[] = ['f32', 'bf16', 'int8'];

/** ModelProto of codes = Relu(input · W + b), opset 13, batch symbolic. */
export function matmulAddReluOnnx(w: Float32Array, b: Float32Array, n: number, h: number): Uint8Array {
  const FLOAT = 1;
  const tensor = (name: string, values: Float32Array, dims: number[]) =>
    new ProtoMessage().packedInts(1, dims).int(2, FLOAT).string(8, name).bytes(9, float32LittleEndian(values));
  const node = (op: string, inputs: string[], output: string) => {
    const m = new ProtoMessage();
    for (const i of inputs) m.string(1, i);
    return m.string(2, output).string(3, output).string(4, op);
  };
  const valueInfo = (name: string, width: number) => {
    const shape = new ProtoMessage().message(1, new ProtoMessage().string(2, 'batch')).message(1, new ProtoMessage().int(1, width));
    return new ProtoMessage().string(1, name).message(2, new ProtoMessage().message(1, new ProtoMessage().int(1, FLOAT).message(2, shape)));
  };
  const graph = new ProtoMessage()
    .message(1, node('MatMul', ['input', 'W_enc'], 'mm'))
    .message(1, node('Add', ['mm', 'b_enc'], 'pre'))
    .message(1, node('Relu', ['pre'], 'codes'))
    .string(2, 'encoder')
    .message(5, tensor('W_enc', w, [n, h]))
    .message(5, tensor('b_enc', b, [h]))
    .message(11, valueInfo('input', n))
    .message(12, valueInfo('codes', h));
  return new ProtoMessage().int(1, 7).string(2, 'edge-sae bench').message(7, graph).message(8, new ProtoMessage().string(1, '').int(2, 13)).finish();
}

type Call = () => unknown;

/** This thread's streaming read bandwidth (GB/s) over a 256 MB block (the roofline build's stream_read). */
export function readBandwidth(): number {
  const Module = WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module;
  const roofline = new WebAssembly.Instance(new Module(readFileSync(rooflinePath('simd'))), {}).exports as unknown as {
    memory: WebAssembly.Memory;
    stream_read(ptr: number, bytes: number): number;
  };
  const bytes = 256 << 20;
  const base = roofline.memory.buffer.byteLength;
  roofline.memory.grow(Math.ceil((bytes + 64) / 65536));
  const ptr = (base + 63) & ~63;
  new Uint8Array(roofline.memory.buffer, ptr, bytes).fill(1); // touch every page
  const figures: number[] = [];
  let sink = 0;
  for (let r = 0; r < 7; r++) {
    const t = cpuMs();
    sink ^= roofline.stream_read(ptr, bytes);
    figures.push(cpuMs() - t);
  }
  if (sink === 0x7fffffff) console.error('');
  return bytes / (median(figures.slice(1)) * 1e6);
}

function shapeName(n: number, h: number, rows: number): string {
  return `${n}→${h}, ${rows} row${rows === 1 ? '' : 's'}`;
}

export async function benchEncodeKernels(): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];
  const module = await loadKernelModule();
  const bandwidth = readBandwidth();
  records.push({ name: 'read bandwidth', backend: 'wasm v128 stream, one thread', shape: '256 MB', figure: bandwidth, unit: 'GB/s' });

  for (const [n, h] of ENCODE_SHAPES) {
    const w = randomArray(n * h, 11, -0.05, 0.05), b = randomArray(h, 12, -0.1, 0.1);
    const x = randomArray(64 * n, 13, -1, 1);
    const encoders: Record<EncoderDtype, EncoderKernels> = {
      f32: EncoderKernels.create(module, { dtype: 'f32', values: w }, b, n, h),
      bf16: EncoderKernels.create(module, { dtype: 'bf16', bits: float32ToBf16(w) }, b, n, h),
      int8: EncoderKernels.create(module, { dtype: 'int8', ...quantizeInt8PerUnit(w, n, h) }, b, n, h),
    };
    const session = await ort.InferenceSession.create(matmulAddReluOnnx(w, b, n, h), { executionProviders: ['wasm'] });
    try {
      for (const rows of ENCODE_ROWS) {
        const xr = x.subarray(0, rows * n);
        const feeds = { input: new ort.Tensor('float32', xr, [rows, n]) };
        const calls: Record<string, Call> = { ort: () => session.run(feeds) };
        for (const d of DTYPES) calls[d] = () => encoders[d].encode(xr, rows, { relu: true });
        const figures = await timeInterleavedRoundsAsync(calls, rows === 1 ? 9 : 5, rows === 1 ? 40 : 0);
        const shape = shapeName(n, h, rows);
        records.push({ name: 'encode z+relu', backend: 'onnxruntime-web (wasm, 1 thread)', shape, figure: median(figures['ort']!), unit: 'ms' });
        for (const d of DTYPES) {
          const enc = encoders[d];
          const label = `assemblyscript ${d}${d === 'int8' ? ` (${enc.int8Path})` : ''}, ${rows >= enc.gemmFromRows ? 'gemm' : 'rows'} kernel`;
          records.push({ name: 'encode z+relu', backend: label, shape, figure: median(figures[d]!), unit: 'ms' });
          records.push({ name: 'speed-up over onnxruntime-web', backend: `assemblyscript ${d}`, shape, figure: pairedRatio(figures['ort']!, figures[d]!), unit: '×' });
          if (rows === 1) {
            const floorMs = enc.weightBytes / (bandwidth * 1e6);
            records.push({ name: 'time ÷ bandwidth floor', backend: `assemblyscript ${d} (floor ${floorMs.toFixed(2)} ms)`, shape, figure: median(figures[d]!) / floorMs, unit: '×' });
          }
        }
      }
    } finally {
      await session.release();
    }

    if (n === 768) {
      // the crossover: both kernel shapes at small row counts
      for (const d of DTYPES) {
        const calls: Record<string, Call> = {};
        const counts = [1, 2, 3, 4, 6, 8, 12, 16];
        for (const rows of counts) {
          const xr = x.subarray(0, rows * n);
          calls[`rows|${rows}`] = () => encoders[d].encode(xr, rows, { relu: true, kernel: 'rows' });
          calls[`gemm|${rows}`] = () => encoders[d].encode(xr, rows, { relu: true, kernel: 'gemm' });
        }
        const figures = await timeInterleavedRoundsAsync(calls, 5, 20);
        for (const rows of counts) {
          records.push({ name: 'gemm time ÷ rows-kernel time', backend: `assemblyscript ${d}`, shape: shapeName(n, h, rows), figure: pairedRatio(figures[`gemm|${rows}`]!, figures[`rows|${rows}`]!), unit: '×' });
        }
      }
    }
  }
  return records;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const load = loadavg();
  benchEncodeKernels()
    .then((records) => {
      if (process.argv.includes('--json')) {
        process.stdout.write(JSON.stringify({ date: new Date().toISOString(), node: process.version, loadAverage: { start: load, end: loadavg() }, records }, null, 2) + '\n');
        return;
      }
      for (const r of records) console.log(`${r.name.padEnd(30)} ${r.backend.padEnd(52)} ${r.shape.padEnd(22)} ${r.figure.toFixed(3).padStart(9)} ${r.unit}`);
      console.log(`load average ${load.map((v) => v.toFixed(2)).join(' ')} → ${loadavg().map((v) => v.toFixed(2)).join(' ')}; ${new Date().toISOString()}; Node ${process.version}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
