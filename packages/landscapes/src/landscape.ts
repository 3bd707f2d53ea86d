/**
 * A 2-D loss landscape with exact value, gradient and Hessian: the Lab's test beds and the
 * Playground's maps. Coordinates are (x, y); `bounds` is the window worth drawing.
 */
export interface Landscape {
  id: string;
  name: string;
  /** One or two sentences: what the landscape stages (which seed story). */
  description: string;
  /** [xmin, xmax, ymin, ymax]. */
  bounds: readonly [number, number, number, number];
  /** Known minima, the global one first (value = f there). */
  minima: readonly { point: readonly [number, number]; value: number; label?: string }[];
  /** A start point that shows the landscape's story. */
  start: readonly [number, number];
  value(x: number, y: number): number;
  /** ∇f at (x, y), written into `out` (a new array when omitted) and returned. */
  gradient(x: number, y: number, out?: Float64Array): Float64Array;
  /** The Hessian [∂²f/∂x², ∂²f/∂x∂y, ∂²f/∂y²]. */
  hessian(x: number, y: number): [number, number, number];
}
