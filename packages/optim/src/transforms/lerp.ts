/**
 * PyTorch's `lerp(start, end, weight)` = `start + weight·(end − start)`, evaluated the way PyTorch
 * does (from `end` when |weight| ≥ ½), so that a weight of 1 gives `end` exactly. Internal.
 */
export function lerp(start: number, end: number, weight: number): number {
  return Math.abs(weight) < 0.5 ? start + weight * (end - start) : end - (end - start) * (1 - weight);
}
