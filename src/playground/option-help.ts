/**
 * The help under an option, written for this page where the options table's description is
 * written for every front end (it names CLI flags and documents): the page's own words, and a
 * link where the option comes from a paper. Options not listed here show the table's description
 * (helpOf), so every option of every architecture has its help; the architecture's help lists the
 * registered architectures the page can train, from the registry.
 */
import { architectureModule, ARCHITECTURES, trainingRefusal, type ArchitectureName } from '../architectures/registry.js';
import { MODEL_OPTIONS, TRAINING_OPTIONS, type OptionSpec } from '../model/options.js';

export interface Help {
  readonly text: string;
  readonly link?: { readonly href: string; readonly label: string };
}

const GAO = { href: 'https://arxiv.org/abs/2406.04093', label: 'Gao et al. 2024' };
const ANTHROPIC = { href: 'https://transformer-circuits.pub/2024/april-update/index.html#training-saes', label: 'Anthropic 2024' };
const CS294A = { href: 'https://web.stanford.edu/class/cs294a/sparseAutoencoder.pdf', label: 'the CS294A notes' };
const JUMPRELU = { href: 'https://arxiv.org/abs/2407.14435', label: 'Rajamanoharan et al. 2024' };

/** The architectures the page offers: the registered ones that train (gated is inference only). */
export const TRAINABLE_ARCHITECTURES: readonly ArchitectureName[] = ARCHITECTURES.filter((name) => trainingRefusal(name) === null);

/** The choices of a choice option on this page: every one, but only trainable architectures. */
export function pageChoices(key: string, spec: Extract<OptionSpec, { type: 'choice' }>): readonly string[] {
  return key === 'architecture' ? spec.choices.filter((choice) => (TRAINABLE_ARCHITECTURES as readonly string[]).includes(choice)) : spec.choices;
}

export const PAGE_HELP: Readonly<Record<string, Help>> = {
  architecture: {
    text: `${TRAINABLE_ARCHITECTURES.map((name) => `${name}: ${architectureModule(name).summary}`).join('; ')}. The options below change with it.`,
  },
  hiddenSize: { text: 'hidden units (codes a row); empty: 3 × the columns of the data' },
  sparsityTarget: { text: 'the mean activation ρ each unit should have, in (0, 1): small for sparse codes', link: CS294A },
  sparsityWeight: { text: 'how much the sparsity penalty weighs: β of the KL term (sigmoid), λ of the L1 term (relu)', link: ANTHROPIC },
  weightDecay: { text: 'weight α of the L2 penalty on the weights; 0 lets the codes saturate (sparser)', link: CS294A },
  reduction: { text: 'the reconstruction error summed over a batch\'s rows, or averaged over them' },
  k: { text: 'codes kept per row, at most the hidden units', link: GAO },
  auxK: { text: 'dead units that help reconstruct what the k codes miss (the AuxK loss)', link: GAO },
  auxCoefficient: { text: 'weight of the AuxK loss (1/32 in the paper)', link: GAO },
  l0Coefficient: { text: 'weight λ of the L0 penalty: the reconstruction error a unit must save to stay active; larger: fewer active codes', link: JUMPRELU },
  l0WarmupSteps: { text: 'λ grows linearly from 0 over the first N steps (as SAELens\' l0_warm_up_steps); 0: none' },
  bandwidth: { text: 'width ε of the window around each threshold where the thresholds learn (their straight-through gradients)', link: JUMPRELU },
  initialThreshold: { text: 'every unit\'s threshold θ before training: a code counts only above its unit\'s θ', link: JUMPRELU },
  deadSteps: { text: 'a unit that fires on no row for this many steps counts as dead (and joins the AuxK loss)', link: GAO },
  validationSplit: { text: 'hold out this fraction of the rows to measure the model on data it did not train on: the loss chart gets a validation curve and the metrics a validation column; 0: none' },
  patience: { text: 'early stopping: stop once the validation loss has not improved for this many epochs and keep the best epoch\'s weights (needs a validationSplit above 0); 0: off' },
  warmupSteps: { text: 'the first N steps rise linearly to the learning rate; 0: none' },
  backend: { text: 'the server\'s kernels: "auto" takes the fastest that loads' },
};

/** The help of option `key`: the page's words, or the options table's description. */
export function helpOf(key: string): Help {
  const spec = (MODEL_OPTIONS as Record<string, OptionSpec>)[key] ?? (TRAINING_OPTIONS as Record<string, OptionSpec>)[key];
  return PAGE_HELP[key] ?? { text: spec?.description ?? '' };
}
