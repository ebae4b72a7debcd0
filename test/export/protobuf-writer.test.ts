/**
 * The hand-written ONNX protobuf writer (src/export/protobuf-writer.ts) against the well-kept
 * library it stands in for: protobufjs with the `onnx-proto` definitions (dev dependencies)
 * decodes every export, and re-encoding what it decoded gives back the very same bytes — so the
 * writer puts every field where protobufjs would, in the same order, with the same values.
 */
import onnxProto from 'onnx-proto';
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { buildOnnx } from '../../src/export/onnx.js';
import { exportableModel } from '../../src/export/exportable.js';
import { ProtoMessage } from '../../src/export/protobuf-writer.js';
import { CASES, trainedModel } from './trained-models.js';

const { onnx } = onnxProto;

describe('the ONNX protobuf writer', () => {
  for (const c of CASES.filter((k) => k.inputSize === 16)) {
    for (const whole of [false, true]) {
      it(`should write what protobufjs writes for ${c.label}${whole ? ', whole' : ''}`, async () => {
        const model = await trainedModel(c);
        const { bytes } = buildOnnx(exportableModel(model), { whole });
        const decoded = onnx.ModelProto.decode(bytes);
        expect(Buffer.from(onnx.ModelProto.encode(decoded, new protobuf.Writer()).finish())).toEqual(Buffer.from(bytes));
        expect(Number(decoded.irVersion)).toBe(7);
        expect(decoded.opsetImport.map((o) => Number(o.version))).toEqual([13]);
        const graph = decoded.graph!;
        expect(graph.input![0]!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['batch', 16]);
        expect(graph.node!.map((node) => node.opType)).toContain('Sigmoid');
        const encoderWeight = graph.initializer!.find((t) => t.name === 'encoder.weight')!;
        expect(encoderWeight.dims!.map(Number)).toEqual([16, 48]);
        expect(encoderWeight.rawData!.length).toBe(16 * 48 * 4);
        model.dispose();
      });
    }
  }

  it('should write varints of every length and refuse what it cannot write', () => {
    for (const value of [0, 1, 127, 128, 300, 16_384, 2 ** 31, 2 ** 53 - 1]) {
      const bytes = new ProtoMessage().int(1, value).finish();
      const reader = protobuf.Reader.create(bytes);
      expect(reader.uint32()).toBe(8);
      expect(Number(reader.uint64())).toBe(value);
    }
    expect(() => new ProtoMessage().int(1, -1)).toThrow(RangeError);
    expect(() => new ProtoMessage().int(1, 1.5)).toThrow(RangeError);
    expect(() => new ProtoMessage().packedInts(1, [2, -3])).toThrow(RangeError);
  });
});
