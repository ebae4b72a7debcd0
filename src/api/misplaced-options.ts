/**
 * An unknown key in a JSON body that is an option in the wrong place (`{"data": …, "epochs": 50}`:
 * training options go under "training", model options under "config") is answered with where it
 * belongs, not zod's bare "Unrecognized key". The option names come from the options table.
 */
import { MODEL_OPTIONS, TRAINING_OPTIONS } from '../model/options.js';

const has = (table: object, key: string) => Object.prototype.hasOwnProperty.call(table, key);

/** What is wrong with unknown key `key` of the object at `parent` (its path in the body). */
export function unknownKeyDetail(key: string, parent: readonly string[]): string {
  const under = parent.at(-1);
  const home = has(MODEL_OPTIONS, key) ? 'config' : has(TRAINING_OPTIONS, key) ? 'training' : null;
  if (home !== null && under !== home) {
    const what = home === 'config' ? 'a model option' : 'a training option';
    // A model option is set when a model is created (a continued training has no "config").
    const when = home === 'config' ? ' when the model is created' : '';
    return `"${key}" is ${what}: it belongs under "${home}", as in {"${home}": {"${key}": …}}${when}`;
  }
  return `unrecognized key "${key}"`;
}
