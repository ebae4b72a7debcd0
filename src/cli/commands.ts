/**
 * The option table of each command, as docs/SPEC.md section 4 lists them. Kept apart from the commands
 * themselves so that parsing and --help never load the model or the kernels.
 */
import type { CommandSpec } from './args.js';
import { OPTION_FLAGS } from './option-flags.js';
import { SWEEP_METRICS } from '../sweep/ranking.js';
import { SAE_FORMAT_NAMES } from '../sae-import/registry.js';

/** Worker threads for the kernels (src/backends/assemblyscript/threads.ts); not part of the model file. */
const THREADS_FLAG = { name: 'threads', kind: 'integer', value: 'N', help: 'threads the kernels compute on, 1 to 64 (default: the cores, at most 8, or $EDGE_SAE_THREADS); the results are the same bit for bit for any count' } as const;

export const TRAIN: CommandSpec = {
  name: 'train',
  summary: 'train a sparse autoencoder on a data file and save the model',
  options: [
    { name: 'data', kind: 'path', value: 'FILE', required: true, help: 'training data, CSV, JSON, .npy or raw float32 (.f32, with --cols); CSV, .npy and .f32 are streamed from disk, so they may be larger than memory ("-" reads stdin)' },
    { name: 'cols', kind: 'integer', value: 'N', help: 'columns of a raw float32 file (.f32: little-endian float32 values, row after row, no header); only for .f32' },
    { name: 'out', kind: 'path', value: 'MODEL.json', required: true, help: 'where to write the trained model: the binary form (safetensors layout) when it ends in .safetensors, else JSON' },
    { name: 'validation-data', kind: 'path', value: 'FILE', help: 'rows to validate on after every epoch instead of --validation-split (any format --data takes, the same width; not part of the fitted scaling); --patience watches their loss' },
    ...OPTION_FLAGS,
    THREADS_FLAG,
    { name: 'init', kind: 'path', value: 'MODEL.json', help: 'continue training this model (JSON or binary; its normalisation, weights and optimizer state); training options not given default to the ones saved in it' },
    { name: 'json', kind: 'flag', value: '', help: 'print the summary as one JSON line on stdout, for scripts (progress lines on stderr become JSON too)' },
    { name: 'quiet', kind: 'flag', value: '', help: 'no progress and no summary (errors only); with --json, only the JSON summary' },
  ],
};

const API_FLAGS = [
  { name: 'api', kind: 'text', value: 'URL', required: true, help: 'the edge-sae API, e.g. http://127.0.0.1:8787 (npm run dev) or your workers.dev URL' },
  { name: 'token', kind: 'text', value: 'TOKEN', help: 'a bearer token with the scopes the command needs (default: $EDGE_SAE_TOKEN, which keeps it out of shell history)' },
] as const;

export const ENCODE: CommandSpec = {
  name: 'encode',
  summary: 'write the hidden codes of each data row (with --api: of a stored dataset, as a batch encode job)',
  options: [
    { name: 'model', kind: 'path', value: 'MODEL.json', required: true, help: 'a model written by edge-sae train (JSON or binary, told apart by content); with --api, a stored model\'s id' },
    { name: 'data', kind: 'path', value: 'FILE', help: 'rows to encode, CSV, JSON or .npy ("-" reads stdin); not with --api' },
    { name: 'out', kind: 'path', value: 'FILE', help: 'where to write the codes (default: stdout; needed with --api)' },
    { name: 'format', kind: 'choice', value: 'csv|json|npy|f32|bin', choices: ['csv', 'json', 'npy', 'f32', 'bin'], help: 'csv: one row a line; json: an array of rows; npy: NumPy float32 rows × hidden, needs --out; f32: raw little-endian float32 rows, needs --out; bin: the API\'s binary codes form (docs/API.md, Binary answers), needs --out (default: from --out ending in .json, .npy or .f32, else csv). With --top or --threshold: json is [{"indices":[…],"values":[…]}, …], csv one row a line of index:value pairs, bin the sparse binary form' },
    { name: 'top', kind: 'integer', value: 'K', help: 'write each row\'s K largest features only (1 to hidden size; value descending, ties by index)' },
    { name: 'threshold', kind: 'number', value: 'T', help: 'write only the features whose value is above T (with --top: the K largest of those)' },
    { name: 'dataset', kind: 'text', value: 'ID', help: 'with --api: the stored dataset to encode, every row (edge-sae upload prints its id)' },
    { name: 'api', kind: 'text', value: 'URL', help: 'encode a stored dataset with a stored model as a job of this API, and download the codes into --out' },
    { name: 'token', kind: 'text', value: 'TOKEN', help: 'with --api: a token that may write datasets and read the model (default: $EDGE_SAE_TOKEN)' },
    THREADS_FLAG,
  ],
};

export const EVALUATE: CommandSpec = {
  name: 'evaluate',
  summary: 'print the loss terms and quality metrics of a model on data, as JSON',
  options: [
    { name: 'model', kind: 'path', value: 'MODEL.json', required: true, help: 'a model written by edge-sae train (JSON or binary, told apart by content)' },
    { name: 'data', kind: 'path', value: 'FILE', required: true, help: 'rows to evaluate on, CSV, JSON or .npy ("-" reads stdin)' },
    THREADS_FLAG,
  ],
};

const JSON_FLAG = { name: 'json', kind: 'flag', value: '', help: 'print what was written as one JSON line, for scripts' } as const;
const QUIET_FLAG = { name: 'quiet', kind: 'flag', value: '', help: 'print nothing but errors (with --json, only the JSON line)' } as const;

export const PLOT: CommandSpec = {
  name: 'plot',
  summary: 'draw the loss curve of a trained model as SVG',
  options: [
    { name: 'model', kind: 'path', value: 'MODEL.json', required: true, help: 'a model written by edge-sae train (JSON or binary, told apart by content)' },
    { name: 'out', kind: 'path', value: 'FILE.svg', required: true, help: 'where to write the SVG' },
    { name: 'scale', kind: 'choice', value: 'linear|log', choices: ['linear', 'log'], help: 'the loss axis (default linear)' },
    { name: 'width', kind: 'integer', value: 'N', help: 'picture width in pixels (default 640)' },
    { name: 'height', kind: 'integer', value: 'N', help: 'picture height in pixels (default 400)' },
    { name: 'title', kind: 'text', value: 'TEXT', help: 'chart title (default "Training loss")' },
    JSON_FLAG,
    QUIET_FLAG,
  ],
};

export const FILTERS: CommandSpec = {
  name: 'filters',
  summary: "draw each hidden unit's input weights as a small image, in a grid (PNG or SVG)",
  options: [
    { name: 'model', kind: 'path', value: 'MODEL.json', required: true, help: 'a model written by edge-sae train (JSON or binary, told apart by content)' },
    { name: 'out', kind: 'path', value: 'FILE.png|svg', required: true, help: 'where to write the picture; its extension picks the format' },
    { name: 'shape', kind: 'size', value: 'WxH', help: 'how the inputs lie on a filter, row by row (default: square when the input size is a square number, else the most nearly square W×H)' },
    { name: 'scale', kind: 'integer', value: 'N', help: 'magnify each weight to N×N pixels (default: tiles of about 24 pixels)' },
    { name: 'columns', kind: 'integer', value: 'N', help: 'tiles a row (default ⌈√units⌉)' },
    { name: 'count', kind: 'integer', value: 'N', help: 'draw only the first N hidden units (default all)' },
    JSON_FLAG,
    QUIET_FLAG,
  ],
};

export const EXPORT: CommandSpec = {
  name: 'export',
  summary: 'write the model for other runtimes (ONNX, a TF.js layers model) or other libraries (SAELens, sparsify)',
  options: [
    { name: 'model', kind: 'path', value: 'MODEL.json', required: true, help: 'a model written by edge-sae train or edge-sae import' },
    { name: 'out', kind: 'path', value: 'FILE|DIR', required: true, help: 'onnx: the .onnx file; tfjs: a directory for model.json and weights.bin, or a model.json path (weights beside it as NAME.weights.bin); saelens, sparsify: the folder to write (made if missing)' },
    { name: 'format', kind: 'choice', value: 'onnx|tfjs|saelens|sparsify', choices: ['onnx', 'tfjs', 'saelens', 'sparsify'], help: 'onnx: opset 13 graph; tfjs: TF.js layers model for tf.loadLayersModel; saelens: a folder SAE.load_from_disk loads (relu, topk, jumprelu); sparsify: a folder SparseCoder.load_from_disk loads (topk) (default onnx)' },
    { name: 'dtype', kind: 'choice', value: 'f32|bf16', choices: ['f32', 'bf16'], help: 'saelens, sparsify: the weights\' dtype in the folder (default f32)' },
    { name: 'whole', kind: 'flag', value: '', help: 'the whole autoencoder (input → reconstruction, in the data\'s scale) instead of the encoder (input → codes)' },
    JSON_FLAG,
    QUIET_FLAG,
  ],
};

export const IMPORT: CommandSpec = {
  name: 'import',
  summary: 'read an SAE written by SAELens, sparsify, Gemma Scope, Llama Scope, dictionary_learning or OpenAI into an edge-sae model',
  options: [
    { name: 'from', kind: 'path', value: 'PATH', required: true, help: 'the SAE\'s folder (cfg.json + sae_weights.safetensors, params.npz, ae.pt + config.json, …), a zip of it, or one .pt / .npz file' },
    { name: 'out', kind: 'path', value: 'MODEL.safetensors', help: 'the model file to write (binary when it ends in .safetensors, else JSON); not with --api' },
    { name: 'format', kind: 'choice', value: SAE_FORMAT_NAMES.join('|'), choices: SAE_FORMAT_NAMES, help: 'the source\'s format (default: found from its files; when it cannot be, the error lists what was found)' },
    { name: 'dtype', kind: 'choice', value: 'f32|bf16|int8', choices: ['f32', 'bf16', 'int8'], help: 'the weights\' dtype in the model: f32 (default), bf16 (half the bytes; a bf16 source kept exactly), int8 (a quarter, one scale per hidden unit); bf16 and int8 need a .safetensors --out' },
    { name: 'api', kind: 'text', value: 'URL', help: 'import into this API instead (POST /v1/models/import, the folder as a zip) and print the model\'s id' },
    { name: 'token', kind: 'text', value: 'TOKEN', help: 'with --api: a token with the write scope (default: $EDGE_SAE_TOKEN)' },
    { name: 'name', kind: 'text', value: 'NAME', help: 'with --api: the model\'s name' },
    JSON_FLAG,
    QUIET_FLAG,
  ],
};

export const CONVERT: CommandSpec = {
  name: 'convert',
  summary: 'rewrite a model file with its weights in another dtype (f32, bf16, int8), or in the other file form',
  options: [
    { name: 'model', kind: 'path', value: 'MODEL', required: true, help: 'a model file (JSON or .safetensors)' },
    { name: 'out', kind: 'path', value: 'FILE', required: true, help: 'the model file to write: binary when it ends in .safetensors (bf16 and int8 need it), else JSON' },
    { name: 'dtype', kind: 'choice', value: 'f32|bf16|int8', choices: ['f32', 'bf16', 'int8'], help: 'the weights\' dtype: f32, bf16 (half the bytes, rounded), int8 (a quarter, one scale per hidden unit); default the model\'s own. bf16 and int8 models encode but do not train' },
    JSON_FLAG,
    QUIET_FLAG,
  ],
};

export const SWEEP: CommandSpec = {
  name: 'sweep',
  summary: 'train every trial of an options grid on one data file, in parallel, and rank them',
  options: [
    { name: 'data', kind: 'path', value: 'FILE', help: 'training data for every trial, as train takes it (CSV, JSON, .npy or raw float32 with --cols); not with --api' },
    { name: 'cols', kind: 'integer', value: 'N', help: 'columns of a raw float32 file (.f32); only for .f32' },
    { name: 'grid', kind: 'text', value: 'GRID', required: true, help: 'options and their values, "hiddenSize=32,64;sparsityWeight=0.1,1" (table keys or flag names); the trials are every combination' },
    { name: 'metric', kind: 'choice', value: SWEEP_METRICS.join('|'), choices: SWEEP_METRICS, help: 'what the ranking orders by, lower first (default fvu; loss includes the penalties, so compares only trials with the same ones; validationFvu and validationLoss: on the rows --validation-split holds out, on --validation-data, or with --api on --validation-dataset)' },
    { name: 'jobs', kind: 'integer', value: 'N', help: 'trials trained at once, each in its own worker thread (default: the cores)' },
    { name: 'out-dir', kind: 'path', value: 'DIR', help: 'keep each trial\'s model here, named after the trial (default: models are not kept)' },
    { name: 'format', kind: 'choice', value: 'json|safetensors', choices: ['json', 'safetensors'], help: 'the model files\' form in --out-dir (default json)' },
    { name: 'api', kind: 'text', value: 'URL', help: 'run the sweep on this API instead (each trial a job, its model stored) and follow it' },
    { name: 'token', kind: 'text', value: 'TOKEN', help: 'with --api: a token that may start jobs (default: $EDGE_SAE_TOKEN)' },
    { name: 'dataset', kind: 'text', value: 'ID', help: 'with --api: the stored dataset every trial trains on (edge-sae upload prints its id)' },
    { name: 'validation-dataset', kind: 'text', value: 'ID', help: 'with --api: a stored dataset of the same width every trial validates on after every epoch instead of --validation-split; validationFvu and validationLoss can rank by it' },
    { name: 'validation-data', kind: 'path', value: 'FILE', help: 'not with --api: a file (as --data takes it, the same width) every trial validates on after every epoch instead of --validation-split; validationFvu and validationLoss can rank by it' },
    { name: 'name', kind: 'text', value: 'NAME', help: 'with --api: the sweep\'s name (its models are named "NAME TRIAL")' },
    ...OPTION_FLAGS,
    { name: 'json', kind: 'flag', value: '', help: 'print the ranked trials as one JSON line on stdout (trial lines on stderr become JSON too)' },
    { name: 'quiet', kind: 'flag', value: '', help: 'no progress and no table (errors only); with --json, only the JSON line' },
  ],
};

export const UPLOAD: CommandSpec = {
  name: 'upload',
  summary: 'upload a data file to the API as a dataset, in parts; run again to resume',
  options: [
    { name: 'data', kind: 'path', value: 'FILE', required: true, help: 'the data, CSV, JSON, .npy or raw float32 (.f32, with --cols); read shard by shard, as train reads it, so it may be larger than memory' },
    { name: 'cols', kind: 'integer', value: 'N', help: 'columns of a raw float32 file (.f32); only for .f32' },
    ...API_FLAGS,
    { name: 'name', kind: 'text', value: 'NAME', help: 'the dataset\'s name (default: the file\'s name)' },
    { name: 'labels', kind: 'path', value: 'FILE', help: 'a label or text for each row, one line per row: stored with the dataset (a features job shows them)' },
    { name: 'label-column', kind: 'text', value: 'NAME', help: 'the CSV column (by its header name) that holds each row\'s label: set aside from the numbers, stored with the dataset' },
    { name: 'json', kind: 'flag', value: '', help: 'print the dataset as one JSON line on stdout (progress lines on stderr become JSON too)' },
    { name: 'quiet', kind: 'flag', value: '', help: 'no progress and no summary (errors only); with --json, only the JSON line' },
  ],
};

export const JOB: CommandSpec = {
  name: 'job',
  summary: 'train on a stored dataset as a job of the API; with --wait, follow it to the end',
  options: [
    { name: 'dataset', kind: 'text', value: 'ID', help: 'the dataset to train on (edge-sae upload prints its id)' },
    { name: 'validation-dataset', kind: 'text', value: 'ID', help: 'a stored dataset of the same width to validate on after every epoch (all its rows) instead of --validation-split; --patience watches its loss' },
    { name: 'follow', kind: 'text', value: 'JOB', help: 'instead of starting a job, follow this one to its end' },
    ...API_FLAGS,
    { name: 'name', kind: 'text', value: 'NAME', help: 'name of the model the job creates' },
    ...OPTION_FLAGS,
    { name: 'wait', kind: 'flag', value: '', help: 'follow the job\'s events with a progress bar until it ends, then print the model id (exit 1 if it failed)' },
    { name: 'json', kind: 'flag', value: '', help: 'print the job as one JSON line on stdout (the ended job with --wait; progress lines on stderr become JSON too)' },
    { name: 'quiet', kind: 'flag', value: '', help: 'no progress and no summary (errors only); with --json, only the JSON line' },
  ],
};

export const DENSITY: CommandSpec = {
  name: 'density',
  summary: "draw the feature-density histogram (log10 of each unit's firing frequency on data, or an imported SAE's own) as SVG",
  options: [
    { name: 'model', kind: 'path', value: 'MODEL.json', required: true, help: 'a model written by edge-sae train or import (JSON or binary, told apart by content)' },
    { name: 'data', kind: 'path', value: 'FILE', help: 'rows to measure the firing frequencies on, CSV, JSON or .npy ("-" reads stdin); without it, the density an imported SAE carries (SAELens\' sparsity.safetensors)' },
    { name: 'out', kind: 'path', value: 'FILE.svg|json', required: true, help: 'where to write the histogram (.svg), or each unit\'s firing frequency as a JSON array (.json)' },
    { name: 'bins', kind: 'integer', value: 'N', help: 'bins over the log10 range (default 30, at most 200)' },
    { name: 'width', kind: 'integer', value: 'N', help: 'picture width in pixels (default 640)' },
    { name: 'height', kind: 'integer', value: 'N', help: 'picture height in pixels (default 400)' },
    { name: 'title', kind: 'text', value: 'TEXT', help: 'chart title (default "Feature density")' },
    THREADS_FLAG,
    JSON_FLAG,
    QUIET_FLAG,
  ],
};

export const FEATURES: CommandSpec = {
  name: 'features',
  summary: "each feature's statistics on data (frequency, mean and max, histogram, top rows, interval samples, nearest features) as JSON, and a page of feature cards",
  options: [
    { name: 'model', kind: 'path', value: 'MODEL.json', required: true, help: 'a model written by edge-sae train (JSON or binary, told apart by content)' },
    { name: 'data', kind: 'path', value: 'FILE', required: true, help: 'rows to gather the statistics on, CSV, JSON, .npy or raw float32 (.f32, with --cols); CSV, .npy and .f32 are streamed from disk, so they may be larger than memory' },
    { name: 'cols', kind: 'integer', value: 'N', help: 'columns of a raw float32 file (.f32); only for .f32' },
    { name: 'labels', kind: 'path', value: 'FILE', help: 'a label or text for each row, one line per row (shown beside the top rows)' },
    { name: 'label-column', kind: 'text', value: 'NAME', help: 'the CSV column (by its header name) that holds each row\'s label: set aside from the numbers' },
    { name: 'top', kind: 'integer', value: 'N', help: 'top rows kept per feature (default 20)' },
    { name: 'seed', kind: 'integer', value: 'N', help: 'seed of the rows sampled from each interval (default 0)' },
    { name: 'out', kind: 'path', value: 'DIR', required: true, help: 'the directory to write features.json (and features.html) into; made if missing' },
    { name: 'html', kind: 'flag', value: '', help: 'also write DIR/features.html: a self-contained page of the feature cards (top rows as images when the input is square)' },
    JSON_FLAG,
    QUIET_FLAG,
  ],
};

export const COMMANDS: readonly CommandSpec[] = [TRAIN, ENCODE, EVALUATE, PLOT, FILTERS, EXPORT, CONVERT, IMPORT, SWEEP, UPLOAD, JOB, DENSITY, FEATURES];
