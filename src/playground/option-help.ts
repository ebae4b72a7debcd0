/**
 * The help under an option, written for this page where the options table's description is
 * written for every front end (it names CLI flags and documents): the page's own words, and a
 * link where the option comes from a paper. Options not listed here show the table's description.
 */

export interface Help {
  readonly text: string;
  readonly link?: { readonly href: string; readonly label: string };
}

const GAO = { href: 'https://arxiv.org/abs/2406.04093', label: 'Gao et al. 2024' };
const ANTHROPIC = { href: 'https://transformer-circuits.pub/2024/april-update/index.html#training-saes', label: 'Anthropic 2024' };
const CS294A = { href: 'https://web.stanford.edu/class/cs294a/sparseAutoencoder.pdf', label: 'the CS294A notes' };

export const PAGE_HELP: Readonly<Record<string, Help>> = {
  architecture: { text: 'sigmoid: the tutorial\'s model (KL sparsity); relu: ReLU codes with an L1 penalty; topk: keeps the k largest codes of each row, sparse by construction. The options below change with it.' },
  hiddenSize: { text: 'hidden units (codes a row); empty: 3 × the columns of the data' },
  sparsityTarget: { text: 'the mean activation ρ each unit should have, in (0, 1): small for sparse codes', link: CS294A },
  sparsityWeight: { text: 'how much the sparsity penalty weighs: β of the KL term (sigmoid), λ of the L1 term (relu)', link: ANTHROPIC },
  weightDecay: { text: 'weight α of the L2 penalty on the weights; 0 lets the codes saturate (sparser)', link: CS294A },
  reduction: { text: 'the reconstruction error summed over a batch\'s rows, or averaged over them' },
  k: { text: 'codes kept per row, at most the hidden units', link: GAO },
  auxK: { text: 'dead units that help reconstruct what the k codes miss (the AuxK loss)', link: GAO },
  auxCoefficient: { text: 'weight of the AuxK loss (1/32 in the paper)', link: GAO },
  deadSteps: { text: 'a unit that fires on no row for this many steps counts as dead (and joins the AuxK loss)', link: GAO },
  validationSplit: { text: 'hold out this fraction of the rows to measure the model on data it did not train on: the loss chart gets a validation curve and the metrics a validation column; 0: none' },
  patience: { text: 'early stopping: stop once the validation loss has not improved for this many epochs and keep the best epoch\'s weights (needs a validationSplit above 0); 0: off' },
  warmupSteps: { text: 'the first N steps rise linearly to the learning rate; 0: none' },
  backend: { text: 'the server\'s kernels: "auto" takes the fastest that loads' },
};
