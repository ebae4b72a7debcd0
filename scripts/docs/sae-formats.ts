/**
 * docs/IMPORT.md's tables of what each format's fields become, from the format registry
 * (src/sae-import/registry.ts): a new format appears here with its registry line.
 */
import type { SaeFormat } from '../../src/sae-import/format.js';
import { SAE_FORMATS } from '../../src/sae-import/registry.js';

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function renderSaeFormats(): string {
  const sections = (Object.values(SAE_FORMATS) as SaeFormat[]).map((format) =>
    [
      `### \`${format.name}\`: ${format.library}`,
      '',
      `Files: ${format.files}. Read as: ${format.reference}.`,
      '',
      '| field | becomes |',
      '|---|---|',
      ...format.fields.map((f) => `| ${cell(f.source)} | ${cell(f.becomes)} |`),
    ].join('\n'),
  );
  return `${sections.join('\n\n')}\n`;
}

/** The README's table of the formats importSae reads, one row each from the registry. */
export function renderSaeFormatList(): string {
  return [
    '| `--format` | written by | files |',
    '|---|---|---|',
    ...(Object.values(SAE_FORMATS) as SaeFormat[]).map((format) => `| \`${format.name}\` | ${cell(format.library)} | ${cell(format.files)} |`),
  ].join('\n') + '\n';
}
