/** Flags about the data file that several commands share (train, sweep, upload). */
import { isRawFloat32 } from '../data/open-data-source.js';
import { UsageError, type ParsedOptions } from './args.js';

/** --cols N: the width of a raw float32 file, which it needs and other formats refuse. */
export function readColsFlag(options: ParsedOptions, dataPath: string): number | undefined {
  const cols = options.number('cols');
  if (isRawFloat32(dataPath)) {
    if (cols === undefined) throw new UsageError(`--cols N is needed for ${dataPath}: a raw float32 file (.f32) does not say how many columns it has`);
    if (cols < 1) throw new UsageError(`--cols: must be a whole number ≥ 1, got ${cols}`);
  } else if (cols !== undefined) {
    throw new UsageError(`--cols: only for raw float32 files (.f32); ${dataPath} says its own width`);
  }
  return cols;
}
