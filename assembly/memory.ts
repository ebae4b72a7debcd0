/**
 * Memory layout helpers: where the caller's arena may start, and row gathering.
 *
 * The module allocates nothing. Linear memory from `heap_base()` up belongs to the caller, who
 * grows it (memory.grow) and places every buffer; kernels only read and write what they are given.
 */

/** The first free byte above the module's static data, rounded up to 16: the arena's base. */
export function heap_base(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

/**
 * dst row r = src row indices[r], rows of `cols` floats; `indices` are u32.
 *
 *   src [? × cols]      indices [rows]     dst [rows × cols]
 *   row 0  ─────┐        [ 2, 0, … ]        row 0 = src row 2
 *   row 1       │                           row 1 = src row 0
 *   row 2  ◄────┘
 */
export function gather_rows(src: usize, indices: usize, dst: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const from = src + <usize>load<u32>(indices + (<usize>r << 2)) * rowBytes;
    memory.copy(dst + <usize>r * rowBytes, from, rowBytes);
  }
}
