/**
 * The sigmoid layer: forward (bias add + σ, in place) and the backward step through σ of the
 * hidden layer.
 *
 * σ(t) = 1 / (1 + exp(−t)), four lanes at a time (assembly/sigmoid.ts).
 */

import { sigmoid1, sigmoid4 } from './sigmoid';

/**
 * z[i,j] = σ(z[i,j] + bias[j]) in place, z [rows×cols], bias [cols].
 *
 *   z row i  [ z0 z1 z2 z3 | z4 … ]   +   bias [ b0 b1 b2 b3 | b4 … ]   → σ, stored back
 */
export function bias_sigmoid(z: usize, bias: usize, rows: i32, cols: i32): void {
  const ld = <usize>cols << 2;
  const cols4 = cols & ~3;
  let row = z;
  for (let i = 0; i < rows; i++) {
    let j = 0;
    for (; j < cols4; j += 4) {
      const o = <usize>j << 2;
      v128.store(row + o, sigmoid4(f32x4.add(v128.load(row + o), v128.load(bias + o))));
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(row + o, sigmoid1(load<f32>(row + o) + load<f32>(bias + o)));
    }
    row += ld;
  }
}

/**
 * The backward step through the hidden sigmoid, with the sparsity term added, in place:
 * dA[i,j] = (dA[i,j] + klGrad[j]) · a[i,j] · (1 − a[i,j]); dA and a [rows×cols], klGrad [cols].
 */
export function hidden_delta(dA: usize, a: usize, klGrad: usize, rows: i32, cols: i32): void {
  const ld = <usize>cols << 2;
  const cols4 = cols & ~3;
  const one = f32x4.splat(1);
  let pd = dA, pa = a;
  for (let i = 0; i < rows; i++) {
    let j = 0;
    for (; j < cols4; j += 4) {
      const o = <usize>j << 2;
      const av = v128.load(pa + o);
      const g = f32x4.add(v128.load(pd + o), v128.load(klGrad + o));
      v128.store(pd + o, f32x4.mul(f32x4.mul(g, av), f32x4.sub(one, av)));
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const av = load<f32>(pa + o);
      store<f32>(pd + o, (load<f32>(pd + o) + load<f32>(klGrad + o)) * av * (1 - av));
    }
    pd += ld;
    pa += ld;
  }
}
