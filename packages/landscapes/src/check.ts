/**
 * Option checks shared by the landscape factories: the Playground feeds them user input, so a bad
 * value must fail loudly with its name and allowed range rather than draw a NaN map.
 */
export function checkRange(owner: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(
      `${owner}: ${name} must be a finite number in [${min}, ${max}], got ${String(value)}`,
    );
  }
  return value;
}
