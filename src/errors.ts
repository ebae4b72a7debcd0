/**
 * Typed errors for bad input. Each names what is wrong precisely enough to fix it: the file,
 * row and column of bad data, or the field of a bad model file or option. The CLI turns these
 * into exit code 2 and the HTTP API into 4xx problem details; anything else is a bug (exit 1, 500).
 */

/** Base class of every error caused by the caller's input rather than by edge-sae itself. */
export class InputError extends Error {
  override name = 'InputError';
}

/** Where in a data set a problem is. Rows and columns are 1-based, as a person counts them. */
export interface DataLocation {
  /** File name or other source label, e.g. "data.csv" or "body.data". */
  source?: string;
  row?: number;
  column?: number;
}

/**
 * What kind of data problem a DataError is: "invalid" data (ragged, non-numeric, corrupt, the
 * wrong width), or data "missing" from storage (a stored dataset's shard gone, e.g. deleted).
 */
export type DataProblem = 'invalid' | 'missing';

/** Bad training or encoding data: ragged rows, non-numbers, non-finite values, wrong width. */
export class DataError extends InputError {
  override name = 'DataError';
  readonly location: DataLocation;
  /** What is wrong, without the location the message puts in front of it. */
  readonly reason: string;
  /** The kind of problem, for callers that treat missing data apart from invalid data. */
  readonly problem: DataProblem;

  constructor(problem: string, location: DataLocation = {}, kind: DataProblem = 'invalid') {
    super(formatLocation(location) + problem);
    this.location = location;
    this.reason = problem;
    this.problem = kind;
  }
}

/** A model file (docs/SPEC.md section 3) that does not match the format; `field` is a JSON path. */
export class ModelFileError extends InputError {
  override name = 'ModelFileError';
  readonly field: string;
  /** What is wrong with the field, without the source and field the message puts in front of it. */
  readonly reason: string;

  constructor(field: string, problem: string, source?: string) {
    super(`${source ? `${source}: ` : ''}model file field "${field}": ${problem}`);
    this.field = field;
    this.reason = problem;
  }
}

/**
 * A tensor file of another library (safetensors, .npy/.npz, a zip, a PyTorch checkpoint's pickle)
 * that is malformed or hostile. `source` is the file, `field` what in it is wrong: a header entry
 * (`W_enc.data_offsets`), a zip member (`archive/data.pkl`), a pickle global. A ModelFileError, so
 * the API answers 422 naming the field and the CLI exits 2, as for edge-sae's own files.
 */
export class TensorFileError extends ModelFileError {
  override name = 'TensorFileError';
  readonly source: string | undefined;

  constructor(field: string, problem: string, source?: string) {
    super(field, problem, source);
    this.source = source;
    this.message = `${source ? `${source}: ` : ''}${field}: ${problem}`;
  }
}

/** A hyperparameter or option out of its range; `field` names it, e.g. "training.learningRate". */
export class ConfigError extends InputError {
  override name = 'ConfigError';
  readonly field: string;
  /** What is wrong with the field, without the field the message puts in front of it. */
  readonly reason: string;

  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.field = field;
    this.reason = problem;
  }
}

/**
 * A model's answer overflowed: a code, output, error or metric became ±Infinity or NaN although
 * every weight and scaling value is finite (float32 weights near ±3.4e38, a scaling range of
 * 1e-30 that blows inputs up). Refused rather than answered, since JSON would carry it as null.
 */
export class ModelOutputError extends InputError {
  override name = 'ModelOutputError';
  /** What overflowed: "scaled inputs" (the input scaling), "codes", "outputs", "errors" or "metrics.<name>". */
  readonly output: string;
  /** The 1-based row of the first value that overflowed; null for a metric (of all the rows). */
  readonly row: number | null;
  /** The model's id or file when the caller named it (the API: its id; the CLI: its file), else undefined. */
  readonly model: string | undefined;
  /** The first value that overflowed: Infinity, -Infinity or NaN. */
  readonly value: number;
  /** What is wrong, without the model label in front. */
  readonly reason: string;

  constructor(output: string, value: number, row: number | null, model?: string) {
    const reason =
      `the model's ${output} overflowed float32 (${value}${row === null ? '' : ` at row ${row} of the rows given`}): its weights or input scaling are too extreme ` +
      'for these rows (finite, but their products pass ±3.4e38); retrain it, or check the values of the model file it came from';
    super(`${model !== undefined ? `model ${JSON.stringify(model)}: ` : ''}${reason}`);
    this.output = output;
    this.row = row;
    this.model = model;
    this.value = value;
    this.reason = reason;
  }

  /** The same error naming the model (its id or file). */
  forModel(model: string): ModelOutputError {
    return new ModelOutputError(this.output, this.value, this.row, model);
  }
}

/** Training diverged (a loss or weight became NaN or Infinity); nothing was saved as trained. */
export class TrainingDivergedError extends InputError {
  override name = 'TrainingDivergedError';
  readonly epoch: number;
  /** What became non-finite, e.g. "the batch loss became NaN". */
  readonly reason: string;

  constructor(epoch: number, detail: string) {
    super(`training diverged at epoch ${epoch}: ${detail}; lower the learning rate or normalise the data`);
    this.epoch = epoch;
    this.reason = detail;
  }
}

function formatLocation({ source, row, column }: DataLocation): string {
  const parts: string[] = [];
  if (source !== undefined) parts.push(source);
  if (row !== undefined) parts.push(`row ${row}`);
  if (column !== undefined) parts.push(`column ${column}`);
  return parts.length > 0 ? `${parts.join(', ')}: ` : '';
}
