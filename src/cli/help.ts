/** The --help texts, generated from the option tables so they cannot drift from the parser. */
import type { CommandSpec, OptionSpec } from './args.js';
import { COMMANDS } from './commands.js';

const FOOTER = `Data files: CSV (comma separated, optional header row), JSON (an array of rows, or {"data": [rows]})
or NumPy .npy (a 2-D float32 or float64 array in C order, recognised by its content).
Exit codes: 0 success; 2 bad usage or bad input (one line naming the file, row and column or the option);
1 any other failure. train shows progress on stderr: a bar on a terminal, plain lines otherwise (--quiet: none).`;

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = [
    'edge-sae: train small sparse autoencoders and encode data with them',
    '',
    'Usage:',
    ...COMMANDS.map((c) => `  edge-sae ${c.name.padEnd(width)} ${usageLine(c)}`),
    '  edge-sae <command> --help     options of one command',
    '  edge-sae --version',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    FOOTER,
  ];
  return `${lines.join('\n')}\n`;
}

export function commandHelp(command: CommandSpec): string {
  const labels = command.options.map(label);
  // Long labels (the backend choices) put their text on the next line instead of widening all.
  const width = Math.min(MAX_LABEL, Math.max(...labels.map((l) => l.length)));
  const lines = [
    `edge-sae ${command.name}: ${command.summary}`,
    '',
    `Usage: edge-sae ${command.name} ${usageLine(command)}`,
    '',
    'Options:',
    ...command.options.map((o, i) => {
      const text = `${o.required ? '(required) ' : ''}${o.help}`;
      const label = labels[i]!;
      return label.length > width ? `  ${label}\n  ${''.padEnd(width)}  ${text}` : `  ${label.padEnd(width)}  ${text}`;
    }),
    `  ${'-h, --help'.padEnd(width)}  show this help`,
    '',
    FOOTER,
  ];
  return `${lines.join('\n')}\n`;
}

const MAX_LABEL = 26;

function usageLine(command: CommandSpec): string {
  const required = command.options.filter((o) => o.required).map(label);
  const optional = command.options.filter((o) => !o.required);
  const rest = optional.length > 3 ? ['[options]'] : optional.map((o) => `[${label(o)}]`);
  return [...required, ...rest].join(' ');
}

function label(option: OptionSpec): string {
  return option.value === '' ? `--${option.name}` : `--${option.name} ${option.value}`;
}
