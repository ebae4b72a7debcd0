/**
 * Malformed binary model files made from a good one, each with the field a reader must name.
 * Pure (no Node or Workers imports): the model, CLI and Worker tests all use the same cases.
 */

/** The header of a binary file as JSON, and its data bytes. */
export function splitBinary(bytes: Uint8Array): { header: Record<string, any>; data: Uint8Array } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))), data: bytes.subarray(8 + length) };
}

/** A file with the same data and a header changed by `edit` (not padded: readers must not care). */
export function withHeader(bytes: Uint8Array, edit: (header: Record<string, any>) => void): Uint8Array {
  const { header, data } = splitBinary(bytes);
  edit(header);
  return safetensorsFile(header, data);
}

/** A safetensors file of this header (JSON, unpadded) and data. */
export function safetensorsFile(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const text = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

export interface BadBinaryCase {
  what: string;
  bytes: Uint8Array;
  /** The ModelFileError field: exact, or a pattern. */
  field: string | RegExp;
}

/**
 * The cases of issue 14 (truncated, header length past the end, overlapping or out-of-file
 * offsets, wrong dtype or shape, NaN inside) and more, from a good file of a model whose
 * encoder.weight has at least 2 rows and 2 columns and which has Adam's state.
 */
export function badBinaryModels(file: Uint8Array): BadBinaryCase[] {
  const good = new Uint8Array(file); // a copy: Node's Buffer.slice would share (and corrupt) the original
  const { header, data } = splitBinary(good);
  const cols = header['encoder.weight'].shape[1] as number;
  const nanAt = good.slice();
  const dataStart = good.length - data.length;
  new DataView(nanAt.buffer).setFloat32(dataStart + header['encoder.weight'].data_offsets[0] + (cols + 1) * 4, Number.NaN, true);
  const lengthPastEnd = good.slice();
  new DataView(lengthPastEnd.buffer).setBigUint64(0, 1n << 40n, true);
  const badJson = good.slice();
  badJson[9] = 0x7d; // '}' right after the opening '{'
  // Adam's second moment below zero (issue 12 item 9), named as the binary file names the cell.
  const vCols = header['optimizer.v.decoder.weight'].shape[1] as number;
  const negativeV = good.slice();
  new DataView(negativeV.buffer).setFloat32(dataStart + header['optimizer.v.decoder.weight'].data_offsets[0] + (vCols + 1) * 4, -1e-3, true);
  const negativeVBias = good.slice();
  new DataView(negativeVBias.buffer).setFloat32(dataStart + header['optimizer.v.encoder.bias'].data_offsets[0], -1e-40, true); // a subnormal float32: still below zero
  const optimizer = (step: unknown) => (h: Record<string, any>) => void (h.__metadata__.optimizer = JSON.stringify({ kind: 'adam', step }));
  return [
    { what: 'fewer than 8 bytes', bytes: good.slice(0, 5), field: '(header length)' },
    { what: 'header length past the end', bytes: lengthPastEnd, field: '(header length)' },
    { what: 'truncated data', bytes: good.slice(0, good.length - 4), field: /\.data_offsets$/ },
    { what: 'truncated header', bytes: good.slice(0, 20), field: '(header length)' },
    { what: 'bad JSON header', bytes: badJson, field: '(header)' },
    { what: 'unknown dtype', bytes: withHeader(good, (h) => void (h['encoder.bias'].dtype = 'F16')), field: 'encoder.bias.dtype' },
    {
      what: 'wrong shape',
      bytes: withHeader(good, (h) => void (h['encoder.weight'].shape = [...h['encoder.weight'].shape].reverse())),
      field: 'encoder.weight.shape',
    },
    { what: 'offsets not matching the shape', bytes: withHeader(good, (h) => void (h['encoder.bias'].shape = [1])), field: 'encoder.bias.data_offsets' },
    {
      what: 'overlapping offsets',
      bytes: withHeader(good, (h) => void (h['decoder.bias'].data_offsets = h['encoder.bias'].data_offsets)),
      field: /\.data_offsets$/,
    },
    {
      what: 'offsets out of the file',
      bytes: withHeader(good, (h) => {
        const [b, e] = h['optimizer.v.decoder.bias'].data_offsets;
        h['optimizer.v.decoder.bias'].data_offsets = [b + 4096, e + 4096];
      }),
      field: 'optimizer.v.decoder.bias.data_offsets',
    },
    { what: 'NaN inside', bytes: nanAt, field: 'encoder.weight[1][1]' },
    { what: 'a negative second moment', bytes: negativeV, field: 'optimizer.v.decoder.weight[1][1]' },
    { what: 'a negative second moment in a bias', bytes: negativeVBias, field: 'optimizer.v.encoder.bias[0]' },
    { what: 'a negative step', bytes: withHeader(good, optimizer(-1)), field: 'optimizerState.step' },
    { what: 'a fractional step', bytes: withHeader(good, optimizer(2.5)), field: 'optimizerState.step' },
    {
      what: 'a moment of the wrong shape',
      bytes: withHeader(good, (h) => void (h['optimizer.m.encoder.weight'].shape = [h['optimizer.m.encoder.weight'].shape.reduce((a: number, b: number) => a * b)])),
      field: 'optimizer.m.encoder.weight.shape',
    },
    { what: 'metadata not strings', bytes: withHeader(good, (h) => void (h.__metadata__.inputSize = 4)), field: '__metadata__.inputSize' },
    {
      what: 'a bad config',
      bytes: withHeader(good, (h) => void (h.__metadata__.config = JSON.stringify({ ...JSON.parse(h.__metadata__.config), sparsityTarget: 2 }))),
      field: 'config.sparsityTarget',
    },
    { what: 'config not JSON', bytes: withHeader(good, (h) => void (h.__metadata__.config = '{')), field: '__metadata__.config' },
    { what: 'another version', bytes: withHeader(good, (h) => void (h.__metadata__.version = '3')), field: 'version' },
    { what: 'another format', bytes: withHeader(good, (h) => void (h.__metadata__.format = 'keras')), field: 'format' },
    {
      what: 'sizes that do not match the tensors',
      bytes: withHeader(good, (h) => void (h.__metadata__.hiddenSize = String(cols + 1))),
      field: 'encoder.weight.shape',
    },
    { what: 'weights in nn.Linear layout', bytes: withHeader(good, (h) => void (h.__metadata__.weightLayout = 'out,in')), field: '__metadata__.weightLayout' },
    {
      what: 'an empty header before data',
      bytes: withHeader(good, (h) => {
        for (const k of Object.keys(h)) delete h[k];
      }),
      field: '(header)',
    },
    {
      what: 'a missing tensor',
      bytes: withHeader(good.slice(0, good.length - (header['optimizer.v.decoder.bias'].data_offsets[1] - header['optimizer.v.decoder.bias'].data_offsets[0])), (h) => {
        delete h['optimizer.v.decoder.bias'];
      }),
      field: 'optimizer.v.decoder.bias',
    },
  ];
}
