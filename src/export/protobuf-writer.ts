/**
 * A protobuf writer for the few ONNX messages an export holds (ModelProto, GraphProto, NodeProto,
 * TensorProto, ValueInfoProto and what they nest), written by hand on purpose: protobufjs with
 * the `onnx-proto` definitions works, but brings the generated code of every ONNX message into
 * the Worker (130 KiB minified, 24 KiB gzip: more than the rest of the API's own code), and its
 * default writer breaks under workerd's Buffer. The wire format is small (varints and
 * length-delimited fields); test/export/protobuf-writer.test.ts checks that these bytes are the
 * bytes protobufjs + onnx-proto write for the same model, field for field in the same order.
 *
 * Field numbers are those of onnx/onnx.proto.
 */

/** A message under construction: its fields appended in the order they are written. */
export class ProtoMessage {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.size += bytes.length;
    return this;
  }

  private key(field: number, wireType: 0 | 2): this {
    return this.push(varint(field * 8 + wireType));
  }

  /** An int32/int64/enum field (non-negative here: sizes, versions, types). */
  int(field: number, value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`protobuf field ${field}: ${value} is not a non-negative safe integer`);
    return this.key(field, 0).push(varint(value));
  }

  /** A repeated int64 field, packed (as onnx-proto writes TensorProto.dims). */
  packedInts(field: number, values: readonly number[]): this {
    for (const value of values) if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`protobuf field ${field}: ${value} is not a non-negative safe integer`);
    const body = new ProtoMessage();
    for (const value of values) body.push(varint(value));
    return this.bytes(field, body.finish());
  }

  bytes(field: number, value: Uint8Array): this {
    return this.key(field, 2).push(varint(value.length)).push(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, value: ProtoMessage): this {
    return this.bytes(field, value.finish());
  }

  /** The message's bytes. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}

/** Base-128 varint of a non-negative safe integer. */
function varint(value: number): Uint8Array {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Uint8Array.from(out);
}
