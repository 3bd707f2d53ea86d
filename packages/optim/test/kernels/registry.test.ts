/**
 * The registry of fused kinds (src/kernels/kinds/): every backend declares every kind, and each WASM
 * kernel's signature — in the WAT text and in the compiled module — is the one its kind's parameter
 * list describes, which is also the list the argument packer walks. (That a new kind or a missing
 * backend fails to compile is the type checker's part: `satisfies { [K in Kind]: … }`.)
 */
import * as api from "momenta-optim";
import { createArena } from "momenta-optim";
import { describe, expect, it } from "vitest";
import {
  KIND_NAMES,
  KINDS,
  WASM_KINDS,
  WASM_KINDS_BF16,
  WASM_KINDS_INT8,
  wasmArity,
} from "../../src/kernels/kinds/index.ts";
import { isUnsupported } from "../../src/kernels/kinds/kind.ts";
import { plan } from "../../src/kernels/plan.ts";
import { KERNELS_WAT } from "../../src/kernels/wasm/kernels.wat.ts";
import { kernelsFor } from "../../src/kernels/wasm-kernels.ts";
import { ALL_BUFFERS, randomTree } from "../helpers.ts";

/** The kind's whole signature: pointers, n, then its parameters. */
function signature(kind: (typeof WASM_KINDS)[number]): string[] {
  const mod = KINDS[kind];
  if (isUnsupported(mod.wasm)) throw new Error("no wasm");
  return [
    "p i32",
    "g i32",
    ...Object.keys(mod.buffers).map((b) => `${b} i32`),
    "n i32",
    ...mod.wasm.params.map((p) => `${p.name} ${p.type}`),
  ];
}

describe("fused kinds registry", () => {
  it("every kind declares every backend: an implementation or a reason", () => {
    expect(KIND_NAMES.sort()).toEqual([
      "adadelta",
      "adagrad",
      "adam",
      "adamax",
      "lamb",
      "lion",
      "nadam",
      "radam",
      "rmsprop",
      "scheduleFreeAdamw",
      "sgd",
    ]);
    for (const name of KIND_NAMES) {
      const mod = KINDS[name];
      expect(mod.kind).toBe(name);
      for (const backend of [mod.js, mod.wasm, mod.bfloat16, mod.int8, mod.gpu] as object[]) {
        const ok = "unsupported" in backend ? typeof backend.unsupported === "string" : true;
        expect(ok, name).toBe(true);
      }
    }
  });

  it("each WASM kernel's (param …) list in the WAT is its kind's list", () => {
    for (const kind of WASM_KINDS) {
      const head = new RegExp(`\\(func \\(export "${kind}"\\)([^]*?)\\(local `).exec(KERNELS_WAT);
      expect(head, kind).not.toBeNull();
      const params = [...head![1]!.matchAll(/\(param \$(\w+) (i32|f32)\)/g)].map((x) => `${x[1]} ${x[2]}`);
      expect(params, kind).toEqual(signature(kind));
    }
  });

  it("the compiled module (kernels.generated.ts) takes as many arguments as the list has", () => {
    const k = kernelsFor(createArena().memory) as unknown as Record<string, (...a: number[]) => unknown>;
    for (const kind of WASM_KINDS) {
      expect(k[kind]!.length, kind).toBe(signature(kind).length);
      expect(wasmArity(kind), kind).toBe(signature(kind).length); // what the thread pool sizes its slots by
    }
  });

  it("the bfloat16 and 8-bit kernels: the WAT's lists, the compiled arities, the thread pool's slots", () => {
    const k = kernelsFor(createArena().memory) as unknown as Record<string, (...a: number[]) => unknown>;
    const storages = [
      ["bfloat16", "Bf16", WASM_KINDS_BF16, 1],
      ["int8", "Int8", WASM_KINDS_INT8, 2],
    ] as const;
    for (const [storage, suffix, kinds, perBuffer] of storages) {
      expect(kinds.length, storage).toBeGreaterThan(0);
      for (const kind of kinds) {
        const backend = KINDS[kind][storage];
        if (isUnsupported(backend) || isUnsupported(backend.wasm))
          throw new Error(`${kind}: no ${storage} kernel`);
        const name = `${kind}${suffix}`;
        const head = new RegExp(`\\(func \\(export "${name}"\\)([^]*?)\\(local `).exec(KERNELS_WAT);
        const params = [...head![1]!.matchAll(/\(param \$(\w+) (i32|f32|f64)\)/g)].map((x) => x[1]);
        const pointers = 2 + Object.keys(KINDS[kind].buffers).length * perBuffer;
        expect(params.slice(pointers + 1), name).toEqual(backend.wasm.params.map((p) => p.name));
        expect(k[name]!.length, name).toBe(params.length);
        expect(wasmArity(kind, storage), name).toBe(params.length);
      }
    }
  });

  it("names in a list are unique (a duplicate would not compile in the WAT, or would pack twice)", () => {
    for (const kind of WASM_KINDS)
      expect(new Set(signature(kind).map((s) => s.split(" ")[0])).size).toBe(signature(kind).length);
  });
});

describe("what the fused kinds read", () => {
  it("is the alias's own named state buffers (stateBuffers), for every fusible optimizer", () => {
    const params = randomTree("float32", 9);
    const options = ALL_BUFFERS;
    const fused: string[] = [];
    for (const [name, f] of Object.entries(api)) {
      if (!api.declarationOf(f)) continue;
      const tx = (f as (o?: object) => api.AnyTransformation)(options[name] ?? {});
      const state = tx.init(params);
      const p = plan(tx, state);
      if (typeof p === "string") continue;
      fused.push(name);
      const view = api.stateBuffers(tx, state, params);
      expect(Object.keys(p.buffers).length, name).toBeGreaterThan(0);
      for (const [b, list] of Object.entries(p.buffers)) expect(list, `${name}: ${b}`).toBe(view[b]);
    }
    expect(fused.length).toBeGreaterThanOrEqual(12);
  });
});
