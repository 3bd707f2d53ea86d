/** The params' leaf shapes, for the transforms that need them. Internal. */
import { flatten, leafShape, showPath, type Tree } from "../tree.js";

/** Each leaf's shape (a plain typed array is 1-D) and path; throws when params are missing or differ. */
export function shapesOf(
  owner: string,
  params: Tree | undefined,
  count?: number,
): { shapes: (readonly number[])[]; paths: string[] } {
  if (params === undefined)
    throw new TypeError(`${owner}: this transform reads the params' shapes; pass params to update()`);
  const { paths, leaves } = flatten(params);
  if (count !== undefined && leaves.length !== count)
    throw new TypeError(`${owner}: params have ${leaves.length} leaves, updates have ${count}`);
  return { shapes: leaves.map(leafShape), paths };
}

export function showShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

export { showPath };
