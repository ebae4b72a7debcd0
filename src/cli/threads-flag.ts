/** --threads: a thread count, checked without loading the kernels (main.ts checks it before a command reads its files). */
import { checkThreads } from '../backends/assemblyscript/threads.js';
import { ConfigError } from '../errors.js';
import { UsageError, type ParsedOptions } from './args.js';

/** The --threads value (1 to MAX_THREADS), or undefined for the default; a UsageError naming the flag otherwise. */
export function threadsFlag(options: ParsedOptions): number | undefined {
  try {
    return checkThreads(options.number('threads'));
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`--threads: ${error.reason}`);
    throw error;
  }
}
