import type { ConfigView } from '../architectures/contract.js';
import { architectureModule } from '../architectures/registry.js';
import type { ArchitectureName, LayerShape, Parameters } from '../backends/types.js';

/**
 * Fresh parameters drawn from a generator seeded with `seed`, as the architecture's module draws
 * them (sigmoid: docs/SPEC.md section 2, weights uniform in ±√(6/(n+h+1)); the dictionary SAEs:
 * unit-norm decoder rows and the encoder their transpose, src/architectures/linear/initialization.ts).
 */
export function initialParameters(shape: LayerShape, seed: number, architecture: ArchitectureName = 'sigmoid', config?: Partial<ConfigView>): Parameters {
  return architectureModule(architecture).initialise(shape, seed, config);
}

/** b_dec of the architectures whose decoder bias starts from the data (decoderBiasFromData: relu, TopK): the mean of each column of the (normalised) training data x [rows×n]. */
export function decoderBiasFromData(x: Float32Array, rows: number, n: number): Float32Array {
  const mean = new Float64Array(n);
  for (let i = 0; i < rows; i++) for (let c = 0; c < n; c++) mean[c]! += x[i * n + c]!;
  return Float32Array.from(mean, (total) => total / rows);
}
