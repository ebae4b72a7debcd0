/**
 * The edge-sae command line: picks the command, parses its options, runs it, and turns errors
 * into exit codes — 0 success, 2 bad usage or bad input (an InputError, printed as one line),
 * 1 anything else. Commands are imported only when run, so --help never loads the kernels.
 */
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InputError } from '../errors.js';
import { parseCommandArgs, UsageError, type CommandSpec, type ParsedOptions } from './args.js';
import { threadsFlag } from './threads-flag.js';
import { CONVERT, DENSITY, ENCODE, EVALUATE, EXPORT, FEATURES, FILTERS, IMPORT, JOB, PLOT, SWEEP, TRAIN, UPLOAD } from './commands.js';
import { commandHelp, mainHelp } from './help.js';
import { processIo, type CliIo } from './io.js';

type Command = (options: ParsedOptions, io: CliIo) => Promise<void>;

const COMMANDS: Record<string, { spec: CommandSpec; load: () => Promise<Command> }> = {
  train: { spec: TRAIN, load: async () => (await import('./train.js')).train },
  encode: { spec: ENCODE, load: async () => (await import('./encode.js')).encode },
  evaluate: { spec: EVALUATE, load: async () => (await import('./evaluate.js')).evaluate },
  plot: { spec: PLOT, load: async () => (await import('./pictures.js')).plot },
  filters: { spec: FILTERS, load: async () => (await import('./pictures.js')).filters },
  export: { spec: EXPORT, load: async () => (await import('./export.js')).exportModel },
  convert: { spec: CONVERT, load: async () => (await import('./convert.js')).convert },
  import: { spec: IMPORT, load: async () => (await import('./import-sae.js')).importCommand },
  sweep: { spec: SWEEP, load: async () => (await import('./sweep.js')).sweep },
  upload: { spec: UPLOAD, load: async () => (await import('./upload.js')).upload },
  job: { spec: JOB, load: async () => (await import('./job.js')).job },
  density: { spec: DENSITY, load: async () => (await import('./density.js')).density },
  features: { spec: FEATURES, load: async () => (await import('./features.js')).features },
};
const NAMES = 'train, encode, evaluate, plot, filters, export, convert, import, sweep, upload, job, density or features';

/**
 * Runs the CLI on `argv` (the arguments after the program name) and returns the exit code.
 *
 * @example
 * const code = await main(['evaluate', '--model', 'm.json', '--data', 'd.csv']);
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    const [name, ...rest] = argv;
    if (name === undefined) throw new UsageError(`missing command: ${NAMES} (see edge-sae --help)`);
    if (name === '--help' || name === '-h' || name === 'help') {
      io.stdout(mainHelp());
      return 0;
    }
    if (name === '--version' || name === '-v') {
      io.stdout(`${packageVersion()}\n`);
      return 0;
    }
    const command = COMMANDS[name];
    if (command === undefined) {
      throw new UsageError(`unknown command ${JSON.stringify(name)}: expected ${NAMES} (see edge-sae --help)`);
    }
    const options = parseCommandArgs(command.spec, rest);
    if (options === null) {
      io.stdout(commandHelp(command.spec));
      return 0;
    }
    // before any file is read: a bad thread count is the first thing to hear about
    if (options.has('threads')) threadsFlag(options);
    const run = await command.load();
    await run(options, io);
    return 0;
  } catch (error) {
    if (error instanceof InputError) {
      io.stderr(`edge-sae: ${oneLine(error.message)}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`edge-sae: error: ${oneLine(message)}\n`);
    if (process.env.EDGE_SAE_DEBUG && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return 1;
  }
}

/**
 * Runs the CLI as the process: exits with main's code once stdout and stderr are flushed (a
 * backend may keep handles open that would otherwise keep Node alive).
 */
export async function runAsProcess(argv: readonly string[] = process.argv.slice(2)): Promise<never> {
  exitQuietlyOnClosedPipe(process.stdout);
  const code = await main(argv);
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}

/**
 * `edge-sae encode … | head`: once the reader has gone, writing to stdout fails with EPIPE. Like
 * a Unix tool, stop there with success and say nothing (the reader took all it wanted); any
 * other stdout error is a real failure.
 */
function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    process.stderr.write(`edge-sae: error: cannot write the output: ${error.message}\n`);
    process.exit(1);
  });
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The version in the package.json above this file (src/cli/ in development, dist/src/cli/ when built). */
function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'edge-sae' && pkg.version) return pkg.version;
    } catch {
      // No package.json here: look one level up.
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === import.meta.url;
  } catch {
    return false;
  }
}

// `tsx src/cli/main.ts ...` runs this file directly; bin/edge-sae.js calls runAsProcess itself.
if (isEntryPoint()) void runAsProcess();
