/**
 * The playground's preset button: the sigmoid model set to be sparse on the example data (the
 * form starts at the options table's defaults, the library's and the CLI's, which are the
 * tutorial's and are not sparse on it). The values are src/model/presets.ts's, the same the
 * README and docs/SPARSITY.md use; docs/SPARSITY.md has the l0 and fvu they reach, measured.
 */
import { SPARSE_PRESETS } from '../model/presets.js';

// No import of hyperparameters.ts (DOM code): this module is DOM-free, so Node tests import it;
// setHyperparameters takes it as its ConfigValues & TrainingValues.
export const QUICK_DEMO = { ...SPARSE_PRESETS.sigmoid.config, ...SPARSE_PRESETS.sigmoid.training };
