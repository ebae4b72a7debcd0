/**
 * The fixtures of test/fixtures/formats/, written by scripts/fixtures/make-format-fixtures.py
 * with torch and numpy themselves, and expected.json, what the generator wrote into them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { toFloat64 } from '../../src/formats/convert.js';
import type { Tensor } from '../../src/formats/tensor.js';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'formats');

export const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(FIXTURES, name)));

export interface ExpectedFile {
  tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
  values: Record<string, unknown>;
  metadata?: Record<string, string>;
}

export const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, ExpectedFile> & {
  conversions: {
    bf16: { f32_bits: number[]; bf16_bits: number[] };
    f64_to_f32: { f64: number[]; f32_bits: number[] };
  };
};

/** Every tensor of `file` as the generator wrote it: the same names, in any order, dtypes, shapes and values (exactly). */
export function expectTensors(tensors: ReadonlyMap<string, Tensor>, file: string): void {
  const want = expected[file]!.tensors;
  expect([...tensors.keys()].sort()).toEqual(Object.keys(want).sort());
  for (const [name, tensor] of tensors) {
    expect(tensor.name, name).toBe(name);
    expect({ name, dtype: tensor.dtype, shape: tensor.shape }).toEqual({ name, dtype: want[name]!.dtype, shape: want[name]!.shape });
    expect(Array.from(toFloat64(tensor)), name).toEqual(want[name]!.values);
  }
}

/** A .npy file with this header dict and data (the header padded as numpy pads it). */
export function npy(dict: string, data: Uint8Array): Uint8Array {
  const header = `${dict}${' '.repeat(64 - ((10 + dict.length + 1) % 64))}\n`;
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(data, 10 + header.length);
  return out;
}
