/**
 * How the form groups the options: basic, this architecture's, the training schedule, advanced.
 * Which architecture an option belongs to is the options table's (ARCHITECTURE_OPTIONS); the
 * page names only the basic and schedule options here, and every other option (a new one too)
 * lands in "advanced" by itself.
 */
import { ARCHITECTURE_OPTIONS, MODEL_OPTIONS, TRAINING_OPTIONS, optionApplies } from '../model/options.js';

export type GroupId = 'basic' | 'architecture' | 'schedule' | 'advanced';

export const GROUP_TITLES: Record<GroupId, string> = {
  basic: 'Basic',
  architecture: "This architecture's options",
  schedule: 'Training schedule',
  advanced: 'Advanced',
};

const BASIC: readonly string[] = ['architecture', 'hiddenSize', 'epochs', 'learningRate', 'batchSize'];
const SCHEDULE: readonly string[] = ['validationSplit', 'patience', 'minDelta', 'warmupSteps', 'decay', 'decayStart', 'decayTo'];

/** The group of option `key`. */
export function groupOf(key: string): GroupId {
  if (BASIC.includes(key)) return 'basic';
  if (key in ARCHITECTURE_OPTIONS) return 'architecture';
  if (SCHEDULE.includes(key)) return 'schedule';
  return 'advanced';
}

/** Whether option `key` is shown for `architecture` (the options only other architectures use are not). */
export function shownFor(key: string, architecture: string): boolean {
  return !(key in MODEL_OPTIONS) || optionApplies(key, architecture);
}

/** Every option key, model options first, in the table's order. */
export const OPTION_KEYS: readonly string[] = [...Object.keys(MODEL_OPTIONS), ...Object.keys(TRAINING_OPTIONS)];
