/**
 * Compact state in state dicts and undo (issue 19's storage): bfloat16 bits (Uint16Array, tag
 * `$bf16`) and quantized bytes (Uint8Array, tag `$u8`) encode exactly, decode only against a live
 * array of the same kind and length, refuse a negative bfloat16 second moment, copy in place; and a
 * snapshot puts them back after a failed step.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toBfloat16Nearest } from "../src/precision/bfloat16.ts";
import { restore, snapshot } from "../src/snapshot.ts";
import { copyStateInto, decodeStateLike, encodeState } from "../src/state-dict.ts";

const state = () => ({
  count: 3,
  expAvg: [Uint16Array.from([toBfloat16Nearest(0.5), toBfloat16Nearest(-2)])],
  expAvgSq: [Uint16Array.from([toBfloat16Nearest(0.25), toBfloat16Nearest(4)])],
  quantized: { bytes: Uint8Array.from([0, 127, 255]), scales: Float32Array.from([0.5]) },
});

describe("compact arrays in state dicts", () => {
  it("encode as $bf16 / $u8 and decode to the same bits (fast-check), through JSON", () => {
    fc.assert(
      fc.property(fc.uint16Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (words, bytes) => {
        const live = { expAvg: [new Uint16Array(words.length)], codes: new Uint8Array(bytes.length) };
        const saved = JSON.parse(JSON.stringify(encodeState({ expAvg: [words], codes: bytes })));
        expect(Object.keys(saved.expAvg[0])).toEqual(["$bf16"]);
        expect(Object.keys(saved.codes)).toEqual(["$u8"]);
        const back = decodeStateLike(live, saved) as typeof live;
        expect(back.expAvg[0]).toEqual(words);
        expect(back.codes).toEqual(bytes);
        copyStateInto(live, back);
        expect(live.expAvg[0]).toEqual(words);
      }),
    );
  });

  it("refuses another kind, another length, bad base64 and a negative bfloat16 second moment, naming the path", () => {
    const live = state();
    const saved = encodeState(live) as Record<string, unknown>;
    const bad = (patch: (s: Record<string, unknown>) => void) => {
      const s = JSON.parse(JSON.stringify(saved)) as Record<string, unknown>;
      patch(s);
      return () => decodeStateLike(live, s);
    };
    expect(bad((s) => ((s.expAvg as unknown[])[0] = encodeState(new Float32Array(2))))).toThrow(
      /state\.expAvg\.0: saved as float32, but this optimizer stores bfloat16 \(stateDtype\): load with \{ convertState: true \} to convert/,
    );
    expect(bad((s) => ((s.expAvg as unknown[])[0] = encodeState(new Uint16Array(3))))).toThrow(
      /expected a bfloat16 array of length 2, got length 3/,
    );
    expect(bad((s) => ((s.quantized as Record<string, unknown>).bytes = { $u8: "@@@@" }))).toThrow(
      /state\.quantized\.bytes: base64: invalid character/,
    );
    expect(
      bad((s) => ((s.expAvgSq as unknown[])[0] = encodeState(Uint16Array.from([0, toBfloat16Nearest(-1)])))),
    ).toThrow(/state\.expAvgSq\.0: element 1 is -1, but this accumulates squares/);
    // the first moment may be negative
    expect(() => decodeStateLike(live, saved)).not.toThrow();
  });
});

describe("compact arrays in a step's undo", () => {
  it("a snapshot puts bfloat16 words and bytes back, in the same arrays", () => {
    const live = state();
    const words = live.expAvg[0]!;
    const bytes = live.quantized.bytes;
    const before = JSON.stringify(encodeState(live));
    const snap = snapshot([live]);
    words.fill(7);
    bytes.fill(9);
    live.quantized.scales[0] = 3;
    live.count = 4;
    restore(snap);
    expect(live.expAvg[0]).toBe(words);
    expect(live.quantized.bytes).toBe(bytes);
    expect(JSON.stringify(encodeState(live))).toBe(before);
  });
});
