/**
 * How long the readers of src/formats/ take on real-sized files: `npx tsx bench/formats-read.ts
 * FILE…` (.safetensors, .npz, .pt). For each file: the read (header or directory checks, CRC-32,
 * unpickling; the tensors stay views of the file's bytes where they can) and the widening of
 * every tensor to float32, the median of 5 runs, one thread. The files are not in the
 * repository: scripts/fixtures/make-format-fixtures.py shows how torch and numpy write them.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { toFloat32 } from '../src/formats/convert.js';
import { readNpz } from '../src/formats/npy.js';
import { readSafetensors } from '../src/formats/safetensors.js';
import type { Tensor } from '../src/formats/tensor.js';
import { readTorchCheckpoint } from '../src/formats/torch-checkpoint.js';

function read(bytes: Uint8Array, name: string): Map<string, Tensor> {
  if (name.endsWith('.safetensors')) return readSafetensors(bytes, name).tensors;
  if (name.endsWith('.npz')) return readNpz(bytes, name);
  if (name.endsWith('.pt') || name.endsWith('.pth')) return readTorchCheckpoint(bytes, name).tensors;
  throw new Error(`${name}: not .safetensors, .npz or .pt`);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

for (const file of process.argv.slice(2)) {
  const bytes = new Uint8Array(readFileSync(file));
  const name = basename(file);
  const reads: number[] = [];
  const widens: number[] = [];
  let tensors = new Map<string, Tensor>();
  for (let run = 0; run < 5; run++) {
    const start = performance.now();
    tensors = read(bytes, name);
    const middle = performance.now();
    for (const tensor of tensors.values()) toFloat32(tensor, name);
    widens.push(performance.now() - middle);
    reads.push(middle - start);
  }
  const summary = [...tensors.values()].map((t) => `${t.name} [${t.shape.join(', ')}] ${t.dtype}`).join(', ');
  console.log(`${name} (${(bytes.length / 1e6).toFixed(1)} MB; ${summary}): read ${median(reads).toFixed(1)} ms, to float32 ${median(widens).toFixed(1)} ms`);
}
