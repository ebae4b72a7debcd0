/** Exports to other runtimes: ONNX and TensorFlow.js layers models. Runtime-neutral (no Node imports). */
export { exportableModel, type ExportableModel, type ScalingPlacement } from './exportable.js';
export { buildOnnx, exportOnnx, ONNX_NAMES, type OnnxExportOptions } from './onnx.js';
export { exportTfjsLayers, type TfjsExportOptions, type TfjsLayersExport, type TfjsModelJson } from './tfjs-layers.js';
