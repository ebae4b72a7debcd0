/**
 * The reference's parameters: the architecture's arrays (backends/types.ts) in float64. A leaf
 * module, so that sae-reference.ts and linear-dictionary-reference.ts, which use each other's math, both
 * import the type from here rather than one from the other.
 */
import type { ParameterName } from '../backends/types.js';

export type Parameters64 = Record<ParameterName, Float64Array> & Record<string, Float64Array>;
