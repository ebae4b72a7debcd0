/**
 * Any tensor file src/formats/ reads, told apart by its content (never its name): safetensors,
 * .npy, .npz or a PyTorch checkpoint. What issue 26's importer starts from when a folder holds
 * `sae_weights.safetensors`, `params.npz` or `ae.pt`.
 */
import { TensorFileError } from '../errors.js';
import { isNpy, readNpy, readNpz } from './npy.js';
import { readSafetensors } from './safetensors.js';
import type { Tensor } from './tensor.js';
import { readTorchCheckpoint, type PlainValue } from './torch-checkpoint.js';
import { isZip, openZip } from './zip.js';

export type TensorFileFormat = 'safetensors' | 'npy' | 'npz' | 'torch';

export interface TensorFile {
  format: TensorFileFormat;
  tensors: Map<string, Tensor>;
  /** safetensors' `__metadata__` (empty for the other formats). */
  metadata: Record<string, string>;
  /** A checkpoint's entries that are not tensors (empty for the other formats). */
  values: Map<string, PlainValue>;
}

/** The file's format, from its first bytes (and, for a zip, its members), or null. */
export function tensorFileFormat(bytes: Uint8Array): TensorFileFormat | null {
  if (isNpy(bytes)) return 'npy';
  // torch.save's legacy format is a pickle (PROTO 2, LONG1 …): readTorchCheckpoint names it.
  if (bytes[0] === 0x80 && bytes[1] === 0x02 && bytes[2] === 0x8a) return 'torch';
  if (isZip(bytes)) {
    let members: string[];
    try {
      members = [...openZip(bytes).members.keys()];
    } catch {
      return 'npz'; // a broken zip: the .npz reader will say what is broken
    }
    return members.some((name) => /^[^/]+\/data\.pkl$/.test(name)) ? 'torch' : 'npz';
  }
  // safetensors: an 8-byte length whose high bytes are 0, then the JSON header's '{'.
  if (bytes.length >= 10 && bytes[8] === 0x7b && bytes.subarray(4, 8).every((b) => b === 0)) return 'safetensors';
  return null;
}

/** Reads a tensor file of any format src/formats/ knows; `source` names it in errors (and an .npy's tensor). */
export function readTensorFile(bytes: Uint8Array, source = 'tensors'): TensorFile {
  const format = tensorFileFormat(bytes);
  const empty = { metadata: {}, values: new Map<string, PlainValue>() };
  switch (format) {
    case 'safetensors': {
      const { tensors, metadata } = readSafetensors(bytes, source);
      return { format, tensors, metadata, values: new Map() };
    }
    case 'npy': {
      const name = (source.split('/').pop() ?? source).replace(/\.npy$/, '');
      return { format, tensors: new Map([[name, readNpy(bytes, name, source)]]), ...empty };
    }
    case 'npz':
      return { format, tensors: readNpz(bytes, source), ...empty };
    case 'torch': {
      const { tensors, values } = readTorchCheckpoint(bytes, source);
      return { format, tensors, metadata: {}, values };
    }
    case null: {
      const start = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new TensorFileError('(format)', `is none of safetensors, .npy, .npz or a PyTorch checkpoint (it starts with ${start || 'nothing'})`, source);
    }
  }
}
