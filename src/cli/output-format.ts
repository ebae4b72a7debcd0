/** What `encode` and `encode --api` share: the codes' file format from --out's name. */

/** The output format --out's name implies: .json, .npy, .f32, else CSV. */
export function formatOf(outPath: string | undefined): 'csv' | 'json' | 'npy' | 'f32' {
  const name = outPath?.toLowerCase() ?? '';
  return name.endsWith('.json') ? 'json' : name.endsWith('.npy') ? 'npy' : name.endsWith('.f32') ? 'f32' : 'csv';
}
