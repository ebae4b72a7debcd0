/**
 * Issue 24, item 9: a model's history is bounded (MAX_HISTORY_POINTS entries, summarised past it
 * with the epoch of each entry, the lowest and highest losses and the best epoch kept), both files
 * write and read the summary, the loss curve draws a history of any length without spreading it
 * into a call, and an inference read leaves the histories unparsed.
 */
import { describe, expect, it } from 'vitest';
import { ModelFileError } from '../../src/errors.js';
import { lastEpochOf, MAX_HISTORY_POINTS, summariseHistory, type History } from '../../src/model/history.js';
import { readBinaryModelFile, toBinaryModelFile } from '../../src/model/model-file-binary.js';
import { readModelFile, toModelFile, type ModelFile } from '../../src/model/model-file.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { renderLossCurveSvg } from '../../src/viz/loss-curve.js';
import { mulberry32, randomRows } from '../helpers/random.js';
import { referenceBackend } from '../helpers/reference-backend.js';

/** A long history: a decaying loss with noise and two spikes, validated from the 1,000th epoch on (an earlier run was not). */
function longHistory(epochs: number): History {
  const random = mulberry32(11);
  const lossHistory = Array.from({ length: epochs }, (_, k) => Math.fround(1 / (1 + k / 1000) + random() * 0.01));
  lossHistory[12_345] = 9; // the highest
  lossHistory[epochs - 77] = 0.0001; // the lowest
  const validationHistory = lossHistory.map((v, k) => (k >= 1000 ? Math.fround(v * 1.1 + (k % 7) * 0.001) : null));
  return { lossHistory, validationHistory, historyEpochs: null, bestEpoch: 14_321 };
}

const rows = randomRows(mulberry32(5), 10, 4, -3, 7);
const trainedFile = (): ModelFile => {
  const model = SparseAutoencoder.create(4, { hiddenSize: 3 }, referenceBackend, { seed: 2 });
  model.fit(rows, { epochs: 2, learningRate: 0.01 });
  return JSON.parse(JSON.stringify(model.toFile())) as ModelFile;
};

describe('summariseHistory', () => {
  it('should keep a history of up to MAX_HISTORY_POINTS entries as it is', () => {
    const short = { ...longHistory(MAX_HISTORY_POINTS * 2), bestEpoch: null };
    const cut = { lossHistory: short.lossHistory.slice(0, MAX_HISTORY_POINTS), validationHistory: null, historyEpochs: null, bestEpoch: null };
    expect(summariseHistory(cut)).toBe(cut);
  });

  it('should summarise 200,000 epochs to at most MAX_HISTORY_POINTS entries, keeping ends, extremes and the best epoch', () => {
    const history = longHistory(200_000);
    const summary = summariseHistory(history);
    const epochs = summary.historyEpochs!;
    expect(summary.lossHistory.length).toBeLessThanOrEqual(MAX_HISTORY_POINTS);
    expect(summary.lossHistory.length).toBeGreaterThan(MAX_HISTORY_POINTS / 2);
    expect(epochs.length).toBe(summary.lossHistory.length);
    expect(summary.validationHistory!.length).toBe(summary.lossHistory.length);
    expect(epochs[0]).toBe(1);
    expect(lastEpochOf(summary)).toBe(200_000);
    expect(epochs.every((e, k) => k === 0 || e > epochs[k - 1]!)).toBe(true);
    // Every kept entry is the original epoch's values.
    epochs.forEach((e, k) => {
      expect(summary.lossHistory[k]).toBe(history.lossHistory[e - 1]);
      expect(summary.validationHistory![k]).toBe(history.validationHistory![e - 1]);
    });
    expect(epochs).toContain(12_346);
    expect(epochs).toContain(200_000 - 76);
    expect(epochs).toContain(14_321);
    const validated = history.validationHistory!.filter((v): v is number => v !== null);
    const keptValidation = summary.validationHistory!.filter((v): v is number => v !== null);
    expect(keptValidation.reduce((a, b) => Math.max(a, b))).toBe(validated.reduce((a, b) => Math.max(a, b)));
    expect(keptValidation.reduce((a, b) => Math.min(a, b))).toBe(validated.reduce((a, b) => Math.min(a, b)));
    // Deterministic, and summarising a summary keeps it within the bound with the same extremes.
    expect(summariseHistory(history)).toEqual(summary);
    const again = summariseHistory({ ...summary, lossHistory: [...summary.lossHistory, 0.5], validationHistory: [...summary.validationHistory!, null], historyEpochs: [...epochs, 200_001] });
    expect(again.lossHistory.length).toBeLessThanOrEqual(MAX_HISTORY_POINTS);
    expect(again.historyEpochs).toContain(12_346);
  });
});

describe('histories in model files', () => {
  it('should write a long history summarised, with historyEpochs, in both files, and read it back unchanged', () => {
    const state = readModelFile(trainedFile());
    const history = longHistory(70_000);
    const long = { ...state, lossHistory: history.lossHistory, validationHistory: history.validationHistory, bestEpoch: history.bestEpoch };
    const file = toModelFile(long);
    expect(file.lossHistory.length).toBeLessThanOrEqual(MAX_HISTORY_POINTS);
    expect(file.historyEpochs!.at(-1)).toBe(70_000);
    expect(file.bestEpoch).toBe(14_321);
    const read = readModelFile(JSON.parse(JSON.stringify(file)));
    expect(toModelFile(read)).toEqual(file);
    const binary = toBinaryModelFile(long);
    expect(toModelFile(readBinaryModelFile(binary))).toEqual(file);
    // A file holding the whole history (written before the bound) is summarised on reading.
    const whole = { ...trainedFile(), lossHistory: history.lossHistory, validationHistory: history.validationHistory, bestEpoch: 14_321 };
    expect(toModelFile(readModelFile(whole))).toEqual(file);
  });

  it('should continue the epochs of a summarised history when training again, the best epoch counted from the start', () => {
    const state = readModelFile(trainedFile());
    const history = summariseHistory({ ...longHistory(70_000), bestEpoch: null });
    const model = SparseAutoencoder.fromState({ ...state, ...history }, referenceBackend);
    model.fit(rows, { epochs: 3, learningRate: 0.01, validationSplit: 0.3, patience: 5 });
    const after = model.toState();
    expect(lastEpochOf({ lossHistory: after.lossHistory, historyEpochs: after.historyEpochs ?? null })).toBe(70_003);
    expect(after.historyEpochs!.slice(-3)).toEqual([70_001, 70_002, 70_003]);
    expect(after.bestEpoch).toBeGreaterThan(70_000);
    expect(readModelFile(JSON.parse(JSON.stringify(model.toFile()))).historyEpochs).toEqual(after.historyEpochs);
  });

  it.each([
    [[1, 1], 'historyEpochs[1]'],
    [[0, 2], 'historyEpochs[0]'],
    [[1], 'historyEpochs'],
  ])('should refuse historyEpochs %j naming the field', (epochs, field) => {
    const file = { ...trainedFile(), historyEpochs: epochs };
    expect(() => readModelFile(file)).toThrow(ModelFileError);
    try {
      readModelFile(file);
    } catch (error) {
      expect((error as ModelFileError).field).toBe(field);
    }
  });

  it('should leave the histories unparsed on an inference read (withoutHistory)', () => {
    const state = readModelFile(trainedFile());
    const history = longHistory(20_000);
    const bytes = toBinaryModelFile({ ...state, ...history });
    const inference = readBinaryModelFile(bytes, 'm', { withoutOptimizer: true, withoutHistory: true });
    expect(inference.lossHistory).toEqual([]);
    expect(inference.validationHistory ?? null).toBeNull();
    expect(inference.bestEpoch ?? null).toBeNull();
    expect(inference.parameters).toEqual(readBinaryModelFile(bytes).parameters);
  });
});

describe('the loss curve of a long history', () => {
  it('should draw 300,000 epochs with their validation losses (no spread into a call)', () => {
    const history = longHistory(300_000);
    const svg = renderLossCurveSvg(history.lossHistory, { validationHistory: history.validationHistory, bestEpoch: history.bestEpoch });
    expect(svg).toContain('300000 epochs');
    expect(svg.length).toBeLessThan(200_000);
  });

  it('should draw a summarised history at its epochs, as the whole one', () => {
    const history = longHistory(50_000);
    const summary = summariseHistory(history);
    const whole = renderLossCurveSvg(history.lossHistory, { validationHistory: history.validationHistory, bestEpoch: history.bestEpoch });
    const summarised = renderLossCurveSvg(summary.lossHistory, { validationHistory: summary.validationHistory, bestEpoch: summary.bestEpoch, epochs: summary.historyEpochs });
    expect(summarised).toContain('50000 epochs');
    // The same axes (the y range comes from the extremes, which the summary keeps) and the same best-epoch marker.
    const axes = (svg: string) => svg.match(/<g class="axis [xy]-axis"[^]*?<\/g>/g);
    expect(axes(summarised)).toEqual(axes(whole));
    const marker = (svg: string) => /<line class="best-epoch"[^>]*>/.exec(svg)?.[0];
    expect(marker(summarised)).toBe(marker(whole));
  });
});
