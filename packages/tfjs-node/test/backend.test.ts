/** The default backend is wasm; when it cannot start, the CLI says so and trains on cpu. */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import { useBackend } from "@momenta/tfjs-node";
import { describe, expect, it, vi } from "vitest";

describe("useBackend", () => {
  it("starts wasm when it can", async () => {
    expect(await useBackend("wasm")).toEqual({ backend: "wasm" });
    expect(tf.getBackend()).toBe("wasm");
    expect(await useBackend("cpu")).toEqual({ backend: "cpu" });
    expect(tf.getBackend()).toBe("cpu");
  });

  it("falls back to cpu, with a note, when wasm fails to start", async () => {
    tf.removeBackend("wasm");
    tf.registerBackend("wasm", () => {
      throw new Error("no WebAssembly here");
    });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const r = await useBackend("wasm");
      expect(r.backend).toBe("cpu");
      expect(r.note).toMatch(/wasm backend did not start.*using cpu/);
      expect(tf.getBackend()).toBe("cpu");
    } finally {
      warn.mockRestore();
    }
  });
});
