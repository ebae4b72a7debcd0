/** The live loss curve's data, from a job's progress events (no DOM: unit-tested in Node). */

/**
 * The loss so far, one loss per epoch as the renderer takes it: the epochs the progress events
 * reported, with a straight line between two of them (as any chart of samples is drawn; the
 * title says how many there are) and a gap before the first. The whole history is in the model's
 * loss.svg, shown at the end.
 */
export function lossSoFar(points: ReadonlyArray<readonly [epoch: number, loss: number]>): number[] {
  const last = points[points.length - 1];
  if (!last) return [];
  const history = new Array<number>(last[0]).fill(Number.NaN);
  points.forEach(([epoch, loss], k) => {
    history[epoch - 1] = loss;
    const previous = points[k - 1];
    if (!previous) return;
    const [from, fromLoss] = previous;
    for (let e = from + 1; e < epoch; e++) history[e - 1] = fromLoss + ((loss - fromLoss) * (e - from)) / (epoch - from);
  });
  return history;
}
