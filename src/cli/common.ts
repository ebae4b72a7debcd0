/**
 * What the commands share: loading a model file, and pointing data errors at the data file's
 * own rows (the model only knows matrix rows; a CSV header shifts them by a line).
 */
import { loadNodeBackend } from '../backends/node-providers.js';
import type { BackendReport } from '../backends/select.js';
import type { BackendChoice, KernelBackend } from '../backends/types.js';
import { formatFloat32 } from '../data/csv.js';
import type { CellLocation } from '../data/column-scan.js';
import type { OpenedDataSource } from '../data/open-data-source.js';
import type { DataFile } from '../data/read-file.js';
import { DataError } from '../errors.js';
import type { ModelState } from '../model/model-file.js';
import { SparseAutoencoder } from '../model/sparse-autoencoder.js';
import type { ParsedOptions } from './args.js';
import { threadsFlag } from './threads-flag.js';

/**
 * The kernel backend a computing command uses, on the threads --threads asks for (default: the
 * cores, see src/backends/assemblyscript/threads.ts).
 */
export async function commandBackend(options: ParsedOptions, choice: BackendChoice = 'auto'): Promise<{ backend: KernelBackend; report: BackendReport }> {
  return loadNodeBackend(choice, { threads: threadsFlag(options) });
}

export { withDataSource, withDataSourceAsync } from '../data/source-errors.js';

/** Builds a model from a checked model file (see readModelFileAt). */
export function loadModel(state: ModelState, backend: KernelBackend): SparseAutoencoder {
  return SparseAutoencoder.fromState(state, backend);
}

/** Throws DataError when the data's width is not the model's input size. */
export function checkWidth(model: SparseAutoencoder, data: DataFile | OpenedDataSource, modelSource: string): void {
  const cols = 'matrix' in data ? data.matrix.cols : data.shards.cols;
  if (cols !== model.inputSize) {
    throw new DataError(
      `rows have ${cols} column${cols === 1 ? '' : 's'}, but the model in ${modelSource} takes ${model.inputSize} (inputSize)`,
      { source: data.source, row: data.firstRow, column: Math.min(cols, model.inputSize) + 1 },
    );
  }
}

/**
 * With normalize "none" the data must lie in [0, 1]; names the first cell that does not.
 * `requiredBy` says whose requirement it is: the --normalize flag, or a loaded model.
 */
export function checkUnitRange(data: DataFile | OpenedDataSource, requiredBy: string): void {
  const outside = 'matrix' in data ? firstOutsideUnitRange(data) : data.outsideUnitRange;
  if (outside !== null) {
    throw new DataError(`value ${formatFloat32(outside.value)} is outside [0, 1], which ${requiredBy}`, {
      source: data.source,
      row: outside.row,
      column: outside.column,
    });
  }
}

function firstOutsideUnitRange(data: DataFile): CellLocation | null {
  const { rows, cols, data: values } = data.matrix;
  for (let k = 0; k < rows * cols; k++) {
    const v = values[k]!;
    if (!(v >= 0 && v <= 1)) return { value: v, row: data.firstRow + Math.floor(k / cols), column: (k % cols) + 1 };
  }
  return null;
}

