/** The README's CLI synopsis, from the commands' option tables (src/cli/commands.ts). */
import { COMMANDS } from '../../src/cli/commands.js';

const WIDTH = 100;

export function renderCliSynopsis(): string {
  const nameWidth = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines: string[] = ['```'];
  for (const command of COMMANDS) {
    const lead = `edge-sae ${command.name.padEnd(nameWidth)} `;
    const words = command.options.map((o) => {
      const flag = o.kind === 'flag' ? `--${o.name}` : `--${o.name} ${o.value}`;
      return o.required ? flag : `[${flag}]`;
    });
    let line = lead;
    for (const word of words) {
      if (line.length + word.length + 1 > WIDTH && line.trim() !== lead.trim()) {
        lines.push(line.trimEnd());
        line = ' '.repeat(lead.length);
      }
      line += `${word} `;
    }
    lines.push(line.trimEnd());
  }
  lines.push('```');
  return lines.join('\n') + '\n';
}
