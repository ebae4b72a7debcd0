/**
 * What a format module is: one per library's file layout (src/sae-import/formats/<name>.ts),
 * registered in one table (registry.ts), as the architectures are.
 */
import type { SaeFiles } from './files.js';
import type { ImportedSae } from './sae.js';

/** One row of a format's field table (docs/IMPORT.md is generated from these). */
export interface FieldMapping {
  /** The file and field as the source names it ("cfg.json apply_b_dec_to_input", "W_enc [d_in, d_sae]"). */
  readonly source: string;
  /** What it becomes in edge-sae. */
  readonly becomes: string;
}

export interface SaeFormat {
  readonly name: string;
  /** The library that writes it, and where its loading code is (cited in docs and tests). */
  readonly library: string;
  readonly reference: string;
  /** The files that make a folder this format, in words (for the detection error and docs). */
  readonly files: string;
  /** Whether the folder is this format (its files, and for shared file names, their content). */
  detect(files: SaeFiles): boolean;
  /** The SAE in the files; throws TensorFileError naming the file and the field at fault. */
  read(files: SaeFiles): ImportedSae;
  readonly fields: readonly FieldMapping[];
}
