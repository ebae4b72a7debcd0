/**
 * The shape of one row of the options table (src/model/options.ts): plain data, here below every
 * layer so an architecture module (src/architectures/) can declare its own slice of the table.
 */

/** A range of numbers; an absent bound is unbounded. */
export interface Range {
  readonly min?: number;
  readonly max?: number;
  /** The bounds themselves excluded (e.g. ρ in (0, 1)). */
  readonly minExclusive?: boolean;
  readonly maxExclusive?: boolean;
}

export interface NumericOption {
  readonly type: 'integer' | 'number';
  readonly range: Range;
  /** null: computed (the hidden size's 3·n). */
  readonly default: number | null;
  readonly description: string;
  /** The CLI flag, when it is not the kebab-case of the key. */
  readonly flag?: string;
}

export interface ChoiceOption {
  readonly type: 'choice';
  readonly choices: readonly [string, ...string[]];
  readonly default: string;
  readonly description: string;
  readonly flag?: string;
  /**
   * false: a continued run does not take this option from the model's last run (where a run
   * happens is not a property of the model). Every other training option carries over.
   */
  readonly carriesOver?: false;
}

/** A list of whole numbers (matryoshka's group sizes), each in `range`; written 12,12,24 on the command line. */
export interface IntegerListOption {
  readonly type: 'integers';
  readonly range: Range;
  /** The empty list: none given (what that means is the option's user's to say). */
  readonly default: readonly number[];
  readonly description: string;
  readonly flag?: string;
}

export type OptionSpec = NumericOption | ChoiceOption | IntegerListOption;
