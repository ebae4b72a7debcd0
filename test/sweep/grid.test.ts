/** Sweep grids and rankings: parsing, expansion order, checked values, names, and the ranking's order. */
import { describe, expect, it } from 'vitest';
import { checkGrid, checkTrials, expandGrid, parseGrid, splitTrial, trialName } from '../../src/sweep/grid.js';
import { rankTrials, type TrialResult } from '../../src/sweep/ranking.js';
import type { Metrics } from '../../src/model/metrics.js';

describe('sweep grids', () => {
  it('should expand a grid to the product of its lists, the first option slowest, by key or flag name', () => {
    const grid = parseGrid(' hidden=32,64 ; sparsityWeight=0.1,1;optimizer=sgd ');
    expect(grid).toEqual({ hiddenSize: [32, 64], sparsityWeight: [0.1, 1], optimizer: ['sgd'] });
    expect(expandGrid(grid)).toEqual([
      { hiddenSize: 32, sparsityWeight: 0.1, optimizer: 'sgd' },
      { hiddenSize: 32, sparsityWeight: 1, optimizer: 'sgd' },
      { hiddenSize: 64, sparsityWeight: 0.1, optimizer: 'sgd' },
      { hiddenSize: 64, sparsityWeight: 1, optimizer: 'sgd' },
    ]);
    expect(splitTrial({ hiddenSize: 32, epochs: 5 })).toEqual({ config: { hiddenSize: 32 }, training: { epochs: 5 } });
  });

  it.each([
    ['', /grid: must name at least one option/],
    ['hiddenSize', /expected OPTION=VALUE/],
    ['hiddenSize=32;hidden=64', /hiddenSize is given twice/],
    ['width=3', /"width" is not an option a sweep can vary \(architecture, hiddenSize/],
    ['backend=tfjs-cpu', /"backend" is not an option a sweep can vary/],
    ['groupSizes=12,12,24', /"groupSizes" is not an option a sweep can vary/],
    ['hiddenSize=32,', /grid\.hiddenSize: has an empty value/],
    ['hiddenSize=3.5', /grid\.hiddenSize: must be an integer from 1 up, got 3\.5/],
    ['learningRate=fast', /grid\.learningRate: must be numbers, got "fast"/],
    ['sparsityTarget=0.1,1', /grid\.sparsityTarget: must lie strictly between 0 and 1, got 1/],
    ['optimizer=adam,rmsprop', /grid\.optimizer: must be one of adam, sgd, got "rmsprop"/],
  ])('should refuse the grid %j, naming what is wrong', (text, message) => {
    expect(() => parseGrid(text)).toThrow(message);
  });

  it('should check grids and trials given as data, naming the trial and option', () => {
    expect(checkGrid({ hiddenSize: [4, 8] })).toEqual({ hiddenSize: [4, 8] });
    expect(() => checkGrid({ hidden: [4] })).toThrow(/"hidden" is not an option/);
    expect(() => checkGrid({ groupSizes: [[2, 4], [3, 3]] })).toThrow(/"groupSizes" is not an option a sweep can vary/);
    expect(() => checkGrid({ hiddenSize: [] })).toThrow(/grid\.hiddenSize: must be a non-empty list/);
    expect(checkTrials([{ hiddenSize: 4 }, { learningRate: 0.01 }])).toEqual([{ hiddenSize: 4 }, { learningRate: 0.01 }]);
    expect(() => checkTrials([{ hiddenSize: 4 }, { learningRate: -1 }])).toThrow(/trials\[1\]\.learningRate: must be greater than 0, got -1/);
    expect(() => checkTrials([])).toThrow(/trials: must list at least one trial/);
  });

  it('should name trials by number and options, zero-padded to sort', () => {
    expect(trialName(2, 12, { hiddenSize: 64, sparsityWeight: 0.1 })).toBe('03-hiddenSize=64,sparsityWeight=0.1');
    expect(trialName(0, 1, {})).toBe('1');
  });
});

describe('sweep ranking', () => {
  const metrics = (fvu: number | null, loss: number): Metrics => ({ fvu, loss }) as unknown as Metrics;
  const done = (name: string, fvu: number | null, loss: number): TrialResult => ({ name, options: {}, status: 'done', metrics: metrics(fvu, loss) });
  const failed: TrialResult = { name: 'f', options: {}, status: 'failed', error: 'diverged' };

  it('should order by the metric, lower first, ties by trial order, then missing values, then failures', () => {
    const trials = [failed, done('a', 0.5, 3), done('b', null, 1), done('c', 0.2, 9), done('d', 0.5, 2)];
    const byFvu = rankTrials(trials, 'fvu');
    expect(byFvu.map((t) => [t.name, t.rank, t.best])).toEqual([
      ['c', 1, true],
      ['a', 2, false],
      ['d', 3, false],
      ['b', null, false],
      ['f', null, false],
    ]);
    expect(rankTrials(trials, 'loss').map((t) => t.name)).toEqual(['b', 'd', 'a', 'c', 'f']);
    expect(rankTrials([failed], 'fvu')[0]).toMatchObject({ rank: null, best: false, value: null });
  });
});
