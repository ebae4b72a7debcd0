/**
 * A model's parameters given by the caller (an imported SAE's tensors, for
 * SparseAutoencoder.fromParameters): each one its architecture declares, a Float32Array of its
 * size with finite values, and nothing else; copied, so the model owns its numbers.
 */
import { architectureModule } from '../architectures/registry.js';
import { sizeOf, type ArchitectureName, type LayerShape, type Parameters } from '../backends/types.js';
import { ConfigError } from '../errors.js';
import { describeValue } from '../util/describe-value.js';

export function checkGivenParameters(architecture: ArchitectureName, shape: LayerShape, given: Readonly<Record<string, unknown>>): Parameters {
  if (typeof given !== 'object' || given === null) throw new ConfigError('parameters', `must be an object of Float32Arrays, got ${describeValue(given)}`);
  const specs = architectureModule(architecture).parameters(shape);
  const names = specs.map((spec) => spec.name);
  const out: Record<string, Float32Array> = {};
  for (const spec of specs) {
    const value = given[spec.name];
    const size = sizeOf(spec.dims);
    const dims = spec.dims.join(' × ');
    if (!(value instanceof Float32Array)) throw new ConfigError(`parameters.${spec.name}`, `must be a Float32Array of ${size} values (${dims}, row-major) for a ${architecture} model, got ${describeValue(value)}`);
    if (value.length !== size) throw new ConfigError(`parameters.${spec.name}`, `must have ${size} values (${dims}), has ${value.length}`);
    const bad = value.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new ConfigError(`parameters.${spec.name}`, `must hold finite values, has ${value[bad]} at [${bad}]`);
    out[spec.name] = value.slice();
  }
  const unknown = Object.keys(given).find((name) => !names.includes(name));
  if (unknown !== undefined) throw new ConfigError(`parameters.${unknown}`, `is not a parameter of a ${architecture} model (${names.join(', ')})`);
  return out as Parameters;
}
