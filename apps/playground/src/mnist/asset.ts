/**
 * Fetches the page's digits (public/mnist-digits.bin.gz) and decodes them. The bytes are gunzipped
 * here unless the server already did (a host may send the file with Content-Encoding: gzip, and the
 * browser then hands over the plain bytes): gzip's magic number tells which.
 */
import { type DigitSplit, decodeDigits } from "./digits.ts";

export const ASSET_NAME = "mnist-digits.bin.gz";

async function gunzip(buffer: ArrayBuffer): Promise<Uint8Array> {
  const bytes = new Uint8Array(buffer);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([buffer]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The digits, from the asset next to the page (relative: the build works from any path). */
export async function loadDigitAsset(): Promise<DigitSplit> {
  const res = await fetch(new URL(ASSET_NAME, document.baseURI));
  if (!res.ok) throw new Error(`could not load ${ASSET_NAME} (HTTP ${res.status})`);
  return decodeDigits(await gunzip(await res.arrayBuffer()));
}
