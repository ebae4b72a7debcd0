/**
 * Settings that give sparse codes on the sample data (examples/data/bars.csv: 200 rows of 4×4
 * images made of bars, about 2.4 of 8 bars a row), in one place: the README's first steps, the
 * playground's preset button (src/playground/presets.ts), the sweeps example and docs/SPARSITY.md
 * use these, and scripts/docs/sparsity.ts measures what each reaches (l0, fvu) into
 * docs/SPARSITY.md, so no figure about them is typed by hand.
 *
 * The defaults stay the tutorial's (h = 3n, ρ 0.1, β 0.1, α 0.1, reduction sum, lr 0.001, 1000
 * epochs): they reconstruct the bars well and are not sparse on them (every unit active on every
 * row). Sparsity in the sigmoid model needs a small target ρ, a KL weight that matters beside a
 * *mean* reconstruction error, no weight decay to pull the weights (and so the pre-activations)
 * towards 0 where σ is 0.5, and long enough for the units to saturate below the 0.01 line that
 * counts a sigmoid code as active. TopK is sparse by construction (k codes a row) and is the
 * recommended start for dictionary learning.
 */
import type { ModelConfig, TrainingOptions } from './config.js';

export interface Preset {
  /** What it is for, in a few words (shown beside it). */
  readonly description: string;
  readonly config: Partial<ModelConfig>;
  readonly training: Partial<TrainingOptions>;
}

export const SPARSE_PRESETS = {
  /** A TopK SAE (Gao et al. 2024): k = 3 of 16 codes a row, the bars' own count rounded up. */
  topk: {
    description: 'TopK, 3 of 16 codes a row: the recommended start for dictionary learning',
    config: { architecture: 'topk', hiddenSize: 16, k: 3 },
    training: { learningRate: 0.01, epochs: 300, batchSize: 20 },
  },
  /** The tutorial's sigmoid model, set to be sparse: small ρ, β over a mean error, no weight decay, long training. */
  sigmoid: {
    description: 'the tutorial\'s sigmoid model made sparse: ρ 0.02, β 1, mean error, no weight decay, 5000 epochs',
    config: { hiddenSize: 16, sparsityTarget: 0.02, sparsityWeight: 1, weightDecay: 0, reduction: 'mean' },
    training: { learningRate: 0.05, epochs: 5000 },
  },
} as const satisfies Record<string, Preset>;

export type PresetName = keyof typeof SPARSE_PRESETS;
