/** Float32 values as little-endian bytes, the byte order of ONNX tensors, TF.js weights and .npy data. */
export function float32LittleEndian(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  // DataView fixes the byte order whatever the host's; a typed-array copy would not.
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return bytes;
}
