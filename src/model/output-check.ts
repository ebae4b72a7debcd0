/**
 * The model's answers are finite numbers or an error: a model whose weights and scaling are all
 * finite can still overflow float32 on some rows (weights near ±3.4e38, a scaling range of 1e-30),
 * and an Infinity or NaN answered as JSON becomes null where a number is promised (issue 24,
 * item 10). One pass over what is returned, after the work that made it.
 */
import { ModelOutputError } from '../errors.js';
import type { Metrics } from './metrics.js';

/** Throws ModelOutputError naming `output` and the row (of `cols` values a row) of the first non-finite value. */
export function checkFiniteOutput(values: Float32Array | Float64Array, cols: number, output: string): void {
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    // v − v is 0 for every finite v, NaN for ±Infinity and NaN: one subtraction and compare.
    if (v - v !== 0) throw new ModelOutputError(output, v, Math.floor(k / cols) + 1);
  }
}

/** Throws ModelOutputError naming the first metric that is not finite (fvu and explainedVariance may be null). */
export function checkFiniteMetrics(metrics: Metrics): void {
  for (const [key, value] of Object.entries(metrics)) {
    if (value !== null && !Number.isFinite(value)) throw new ModelOutputError(`metrics.${key}`, value as number, null);
  }
}
