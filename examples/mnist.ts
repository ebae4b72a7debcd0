/**
 * MNIST digits → a sparse autoencoder with UFLDL's settings (784 → 196, ρ = 0.1, weight decay
 * 3e-3, sparsity weight 3, reduction mean), then pictures of what it learned: the filters (each
 * hidden unit's 784 input weights as a 28×28 image) show pen strokes, and the loss curve.
 *
 * UFLDL trained with L-BFGS; there is none here, so Adam with a larger learning rate on
 * mini-batches stands in (a few minutes on two cores).
 *
 *   npx tsx examples/mnist.ts            # 10 000 digits, 60 epochs → docs/img/mnist-{filters.png,loss.svg}
 *   npx tsx examples/mnist.ts --digits 2000 --epochs 10 --out-dir /tmp/mnist --count 196 --save-model /tmp/mnist/m.json
 *
 * Data: the npm package `mnist` (a devDependency): about 10 000 digits, 28×28 values in [0, 1].
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { deflateSync } from 'node:zlib';
import { createProgressReporter } from '../src/cli/progress.js';
import { createModel, type Matrix } from '../src/index.js';
import { encodePng, renderFilterGrid, renderLossCurveSvg } from '../src/viz/index.js';

const PIXELS = 28 * 28;
const require = createRequire(import.meta.url);

const { values } = parseArgs({
  options: {
    digits: { type: 'string', default: '10000' },
    epochs: { type: 'string', default: '60' },
    'batch-size': { type: 'string', default: '200' },
    'learning-rate': { type: 'string', default: '0.01' },
    seed: { type: 'string', default: '1' },
    'out-dir': { type: 'string', default: 'docs/img' },
    /** Filters drawn: the first 100 keep the README's picture small (all: --count 196). */
    count: { type: 'string', default: '100' },
    /** Also write the trained model file (12 MB) here. */
    'save-model': { type: 'string' },
  },
});

/** The first `count` digits, taking the classes in turn (0, 1, …, 9, 0, …) so each is present. */
function loadDigits(count: number): Matrix {
  const classes = Array.from({ length: 10 }, (_, d) => (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data);
  const data = new Float32Array(count * PIXELS);
  let rows = 0;
  for (let k = 0; rows < count; k++) {
    let added = false;
    for (const pixels of classes) {
      if ((k + 1) * PIXELS > pixels.length || rows === count) continue;
      data.set(pixels.slice(k * PIXELS, (k + 1) * PIXELS), rows * PIXELS);
      rows++;
      added = true;
    }
    if (!added) break;
  }
  return { rows, cols: PIXELS, data: data.subarray(0, rows * PIXELS) };
}

const data = loadDigits(Number(values.digits));
const outDir = path.resolve(values['out-dir']!);
mkdirSync(outDir, { recursive: true });

// UFLDL's sparse autoencoder exercise on MNIST: 196 hidden units, ρ 0.1, λ 3e-3, β 3, mean error.
// The pixels already lie in [0, 1], so no rescaling (UFLDL feeds them as they are).
const model = await createModel(
  PIXELS,
  { hiddenSize: 196, sparsityTarget: 0.1, weightDecay: 3e-3, sparsityWeight: 3, reduction: 'mean', normalize: 'none' },
  { seed: Number(values.seed) },
);
const training = {
  optimizer: 'adam' as const,
  learningRate: Number(values['learning-rate']),
  batchSize: Number(values['batch-size']),
  epochs: Number(values.epochs),
  seed: Number(values.seed),
};
console.error(`${data.rows} digits, 784 → 196 on ${model.backendName}; Adam lr ${training.learningRate}, batches of ${training.batchSize}, ${training.epochs} epochs`);
const progress = createProgressReporter(process.stderr.isTTY ? 'bar' : 'lines', {
  write: (text) => void process.stderr.write(text),
  columns: process.stderr.columns,
});
const started = Date.now();
const { metrics, lossHistory } = model.fit(data, training, progress.update);
progress.done();

const weights = model.toFile();
if (values['save-model']) writeFileSync(values['save-model'], `${JSON.stringify(weights)}\n`);
const W1 = Float32Array.from(weights.encoder.weights.flat());
const grid = renderFilterGrid({ inputSize: PIXELS, hiddenSize: 196, weights: W1 }, { scale: 1, count: Number(values.count) });
writeFileSync(path.join(outDir, 'mnist-filters.png'), encodePng(grid, { deflate: (b) => deflateSync(b, { level: 9 }) }));
writeFileSync(path.join(outDir, 'mnist-loss.svg'), renderLossCurveSvg(lossHistory, { title: 'MNIST, 784 → 196 (UFLDL settings)' }));
console.log(JSON.stringify({ seconds: (Date.now() - started) / 1000, metrics, outDir, files: ['mnist-filters.png', 'mnist-loss.svg'], model: values['save-model'] ?? null }));
model.dispose();
