/** Moved to src/util/random.ts (the architecture modules draw their initial parameters with it); kept for importers. */
export * from '../util/random.js';
