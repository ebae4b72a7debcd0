import { describe, expect, it } from 'vitest';
import { parseCommandArgs, UsageError } from '../../src/cli/args.js';
import { ENCODE, TRAIN } from '../../src/cli/commands.js';
import { commandHelp, mainHelp } from '../../src/cli/help.js';
import { runMain } from '../helpers/cli.js';

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseCommandArgs', () => {
  it('should read kebab-case flags, in both --name value and --name=value forms', () => {
    const options = parseCommandArgs(TRAIN, ['--data', 'd.csv', '--out=m.json', '--batch-size', '0', '--learning-rate=1e-2', '--optimizer', 'sgd'])!;
    expect(options.required('data')).toBe('d.csv');
    expect(options.required('out')).toBe('m.json');
    expect(options.number('batch-size')).toBe(0);
    expect(options.number('learning-rate')).toBe(0.01);
    expect(options.choice('optimizer')).toBe('sgd');
    expect(options.number('epochs')).toBeUndefined();
  });

  it('should return null for --help and -h', () => {
    expect(parseCommandArgs(TRAIN, ['--help'])).toBeNull();
    expect(parseCommandArgs(ENCODE, ['-h', '--model', 'x'])).toBeNull();
  });

  it.each([
    [['--data', 'd', '--out', 'm', '--epochs', 'abc'], /^--epochs: expected a whole number, got "abc"$/],
    [['--data', 'd', '--out', 'm', '--epochs', '2.5'], /^--epochs: expected a whole number/],
    [['--data', 'd', '--out', 'm', '--learning-rate', 'fast'], /^--learning-rate: expected a number, got "fast"$/],
    [['--data', 'd', '--out', 'm', '--learning-rate', 'Infinity'], /^--learning-rate: expected a number/],
    [['--data', 'd', '--out', 'm', '--optimizer', 'rmsprop'], /^--optimizer: expected one of adam, sgd, got "rmsprop"$/],
    [['--data', 'd', '--out', 'm', '--backend', 'gpu'], /^--backend: expected one of auto, assemblyscript/],
    [['--data', 'd'], /^train: missing --out MODEL\.json/],
    [['--data', 'd', '--out', 'm', '--bogus', '1'], /^train: unknown option --bogus/],
    [['--data', 'd', '--out', 'm', 'extra'], /^train: unexpected argument "extra"/],
    [['--data', 'd', '--out'], /^train: --out needs a value/],
    [['--data', '--out', 'm'], /^train: --data needs a value/],
    [['--data', 'd', '--out', 'm', '--help=yes'], /^train: --help does not take a value/],
  ])('should reject %j', (argv, message) => {
    expect(usageError(() => parseCommandArgs(TRAIN, argv))).toMatch(message);
  });
});

describe('help', () => {
  it('should list every command and every option of docs/SPEC.md section 4', () => {
    const text = mainHelp();
    for (const c of ['train', 'encode', 'evaluate']) expect(text).toContain(`edge-sae ${c}`);
    const train = commandHelp(TRAIN);
    for (const flag of [
      'data', 'out', 'hidden', 'epochs', 'batch-size', 'optimizer', 'learning-rate', 'sparsity-target',
      'sparsity-weight', 'weight-decay', 'reduction', 'normalize', 'seed', 'backend', 'init',
    ]) {
      expect(train).toContain(`--${flag} `);
    }
    expect(commandHelp(ENCODE)).toContain('--format csv|json');
  });
});

describe('main (in-process)', () => {
  it('should print help with exit 0', async () => {
    const r = await runMain(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage:');
    expect(r.stderr).toBe('');
    expect((await runMain(['train', '--help'])).stdout).toContain('--learning-rate X');
  });

  it('should print the version', async () => {
    const r = await runMain(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [[], /^edge-sae: missing command/],
    [['fit'], /^edge-sae: unknown command "fit"/],
    [['train', '--epochs', 'abc', '--data', 'd', '--out', 'm'], /^edge-sae: --epochs: expected a whole number, got "abc"\n$/],
    [['train', '--data', 'd', '--out', 'm', '--hidden', '0'], /^edge-sae: --hidden: must be an integer from 1/],
    [['train', '--data', 'd', '--out', 'm', '--sparsity-target', '1'], /^edge-sae: --sparsity-target: must lie strictly between 0 and 1/],
    [['train', '--data', 'd', '--out', 'm', '--learning-rate', '0'], /^edge-sae: --learning-rate: must be greater than 0/],
    [['train', '--data', 'd', '--out', 'm', '--seed', '-1'], /^edge-sae: train: --seed needs a value/],
    [['train', '--data', 'd', '--out', 'm', '--seed=-1'], /^edge-sae: --seed: must be an integer from 0/],
    [['encode', '--data', 'd'], /^edge-sae: encode: missing --model/],
  ])('should exit 2 with one line for %j', async (argv, message) => {
    const r = await runMain(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
