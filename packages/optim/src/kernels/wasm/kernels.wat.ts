/**
 * The WebAssembly SIMD kernels, as WAT text (compiled to `kernels.generated.ts` by
 * `npm run build:wasm`, which uses the `wabt` dev dependency; nothing is compiled at run time).
 *
 * Every kernel streams f32x4 vectors over [0, n) of regions laid out alike (the arena pads each leaf
 * to a multiple of 4 floats, with zeros, so there is never a scalar tail), reading the gradient once
 * and updating params and state in place. Offsets are bytes into the one (shared) memory. They
 * compute in float32, so they agree with the reference chain to float32 rounding, not bit for bit
 * (the JS kernels are the bit-exact ones); where float32 would overflow and the reference (which
 * computes in float64 and stores float32) does not, they take the reference's order of operations
 * or float64 lanes, and NaN and ±∞ propagate as in the reference.
 *
 * Each update kernel's signature comes from its kind's module (`kernels/kinds/`): params, gradient,
 * one pointer per state buffer (named after it), n, then the kind's `wasm.params` in order — the list
 * the argument packer (`fused.ts`) walks too. Only the bodies are written here, in a table typed by
 * the kinds with a WASM kernel: one missing fails to compile.
 */
import { INT8_TABLES, INT8_ZERO } from "../int8-tables.js";
import {
  KINDS,
  WASM_KINDS_BF16,
  WASM_KINDS_INT8,
  WASM_KINDS64,
  type WasmKind,
  type WasmKindBf16,
  type WasmKindInt8,
} from "../kinds/index.js";
import { isUnsupported } from "../kinds/kind.js";

const at = (base: string) => `(i32.add (local.get $${base}) (local.get $i))`;
const load = (base: string) => `(v128.load ${at(base)})`;
const store = (base: string, value: string) => `(v128.store ${at(base)} ${value})`;
const get = (name: string) => `(local.get $${name})`;
const set = (name: string, value: string) => `(local.set $${name} ${value})`;
const add = (a: string, b: string) => `(f32x4.add ${a} ${b})`;
const mul = (a: string, b: string) => `(f32x4.mul ${a} ${b})`;
const splat = (name: string) => `(local.set $S${name} (f32x4.splat (local.get $${name})))`;
/** A vector constant, the same in all four lanes (written inside the loop: no register held across it). */
const f32s = (x: string) => `(v128.const f32x4 ${x} ${x} ${x} ${x})`;
const i32s = (x: string) => `(v128.const i32x4 ${x} ${x} ${x} ${x})`;
/** Lanes 2, 3 of a vector moved to lanes 0, 1 (for the f64x2 ops that read the low half). */
const high = (x: string) => `(i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${x} ${x})`;
/** Four float32 lanes computed in float64 and rounded once: `f` maps the f64x2 halves of its inputs. */
function inF64(inputs: string[], f: (halves: string[]) => string): string {
  const lo = f(inputs.map((x) => `(f64x2.promote_low_f32x4 ${x})`));
  const hi = f(inputs.map((x) => `(f64x2.promote_low_f32x4 ${high(x)})`));
  return `(i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (f32x4.demote_f64x2_zero ${lo}) (f32x4.demote_f64x2_zero ${hi}))`;
}

/** What this file adds to a kind's signature: its vector locals, constants and loop body. */
interface Body {
  /** v128 locals the body uses. */
  locals: string[];
  /** v128 constants set once before the loop: [name, `(v128.const …)`]. */
  consts?: [string, string][];
  /** Runs before the loop, after the splats. */
  init?: string[];
  /** Runs per 16-byte step, with $i the byte offset. */
  body: string[];
}

/**
 * The float64 form of a kernel's text: f32x4 lanes become f64x2 (two elements per 16-byte step),
 * f32 parameters f64, the sign-mask and other constants their float64 patterns, and the export
 * `<name>64`. Only for bodies written in plain lane arithmetic (`float64: true` in the kind's module).
 */
function toFloat64(text: string, name: string): string {
  return text
    .replace(`(export "${name}")`, `(export "${name}64")`)
    .replace(/\(v128\.const f32x4 ([^\s)]+) [^\s)]+ [^\s)]+ [^\s)]+\)/g, "(v128.const f64x2 $1 $1)")
    .replace(
      /\(v128\.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000\)/g,
      "(v128.const i64x2 0x8000000000000000 0x8000000000000000)",
    )
    .replace(/f32x4\./g, "f64x2.")
    .replace(/ f32\)/g, " f64)")
    .replace("(i32.shl (local.get $n) (i32.const 2))", "(i32.shl (local.get $n) (i32.const 3))");
}

/**
 * A kernel: its kind's signature (its bfloat16-moment one with `bfloat16`, exported `<kind>Bf16`),
 * f32 and f64 parameters splatted once, then `init`, then `body` per 16-byte step.
 */
function kernel(name: WasmKind, { locals, consts = [], init = [], body }: Body, bfloat16 = false): string {
  const kind = KINDS[name];
  const words = kind.bfloat16;
  const wasm = bfloat16 ? (isUnsupported(words) ? words : words.wasm) : kind.wasm;
  if (isUnsupported(wasm))
    throw new Error(`${name} has no wasm kernel${bfloat16 ? " for bfloat16 moments" : ""}`);
  const params = wasm.params as readonly { name: string; type: "f32" | "f64" | "i32" }[];
  const pointers = ["p", "g", ...Object.keys(kind.buffers)];
  const scalars = params.filter((p) => p.type !== "i32");
  const splatOf = (p: { name: string; type: string }) =>
    p.type === "f64" ? `(local.set $S${p.name} (f64x2.splat (local.get $${p.name})))` : splat(p.name);
  return `
  (func (export "${name}${bfloat16 ? "Bf16" : ""}") ${pointers.map((p) => `(param $${p} i32)`).join(" ")} (param $n i32)
      ${params.map((p) => `(param $${p.name} ${p.type})`).join(" ")}
    (local $i i32) (local $end i32) ${scalars.map((s) => `(local $S${s.name} v128)`).join(" ")} ${[...locals, ...consts.map(([c]) => c)].map((l) => `(local $${l} v128)`).join(" ")}
    ${[...scalars.map(splatOf), ...consts.map(([c, v]) => set(c, v)), ...init].join("\n    ")}
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        ${body.join("\n        ")}
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $top))))`;
}

// u ← g; u·coef when scaled (coef carries the clip factor and the sign of maximize); + l2·p when L2 —
// each step only when on, as the reference does (0·p would turn an infinite p into NaN)
const pre = [
  set("pp", load("p")),
  set("u", load("g")),
  `(if ${get("scaled")} (then ${set("u", mul(get("u"), get("Scoef")))}))`,
  `(if ${get("hasL2")} (then ${set("u", add(get("u"), mul(get("Sl2"), get("pp"))))}))`,
];
// u ← u + wd·p (when wd ≠ 0); p ← p + u·(−lr); then, with an average folded in (ema/polyak),
// a ← d·a + c·p on the new p
const averaged = `(if ${get("hasAverage")} (then ${store("avg", add(mul(get("Sad"), load("avg")), mul(get("Sac"), get("pp"))))}))`;
const post = [
  `(if ${get("hasWd")} (then ${set("u", add(get("u"), mul(get("Swd"), get("pp"))))}))`,
  set("pp", add(get("pp"), mul(get("u"), get("Snlr")))),
  store("p", get("pp")),
  averaged,
];

/** Heavy-ball/Nesterov momentum on u, with PyTorch's first step (b ← u). */
const momentum = [
  `(if ${get("hasMomentum")} (then`,
  `  (if ${get("first")} (then ${set("bb", get("u"))}) (else ${set("bb", add(mul(get("Smu"), load("momentumBuffer")), mul(get("Skeep"), get("u"))))}))`,
  `  ${store("momentumBuffer", get("bb"))}`,
  `  (if ${get("nesterov")} (then ${set("u", add(get("u"), mul(get("Smu"), get("bb"))))}) (else ${set("u", get("bb"))}))))`,
];

/** (c·u)·u: the reference's order for c·u², finite wherever c·u² is (u·u alone overflows from |u| ≈ 1.8e19). */
const scaledSquare = (c: string) => mul(mul(get(c), get("u")), get("u"));

// sign(c) as Math.sign: ±1 where c ≠ 0 (1 with c's sign bit), c itself where c is ±0 or NaN
const sign = (c: string) =>
  `(v128.bitselect (v128.or (v128.and ${c} ${get("Ksign")}) ${get("Kone")}) ${c} (v128.or (f32x4.gt ${c} ${get("Kzero")}) (f32x4.lt ${c} ${get("Kzero")})))`;

/** Adam's two moments (Adam, NAdam, RAdam): m ← β1·m + (1−β1)·u, v ← β2·v + (1−β2)·u², stored. */
const moments = [
  set("mm", add(mul(get("Sb1"), load("expAvg")), mul(get("Sc1"), get("u")))),
  store("expAvg", get("mm")),
  set("vv", add(mul(get("Sb2"), load("expAvgSq")), scaledSquare("Sc2"))),
  store("expAvgSq", get("vv")),
];

/**
 * RMSprop's body. `guarded` (float32): s − a² as the reference (float64) has it — see the comment
 * inside; in float64 lanes the plain difference is the reference's own.
 */
function rmspropBody(guarded: boolean): Body {
  return {
    locals: ["pp", "u", "ss", "aa", "bb", "vd"],
    body: [
      ...pre,
      set("ss", add(mul(get("Salpha"), load("squareAvg")), scaledSquare("Sca"))),
      store("squareAvg", get("ss")),
      `(if ${get("centered")} (then`,
      `  ${set("aa", add(mul(get("Salpha"), load("gradAvg")), mul(get("Sca"), get("u"))))}`,
      `  ${store("gradAvg", get("aa"))}`,
      ...(guarded
        ? [
            // s − a², whose sign and overflow must be the reference's (float64): in float32, unless a lane
            // is not clearly above 2⁻²⁰·s — near cancellation, where a²'s rounding could flip the sign; s =
            // ∞, where a² may overflow float32 and s − a² does not; NaN — then in float64 lanes, rounded to
            // float32, with a negative difference too small for float32 (−0 there) made NaN, as its root
            // is in float64.
            `  ${set("vd", `(f32x4.sub ${get("ss")} ${mul(get("aa"), get("aa"))})`)}`,
            `  (if (i32.eqz (i32x4.all_true (f32x4.gt ${get("vd")} ${mul(get("ss"), f32s("0x1p-20"))})))`,
            `    (then ${set(
              "vd",
              inF64([get("ss"), get("aa")], ([s, a]) => `(f64x2.sub ${s} (f64x2.mul ${a} ${a}))`),
            )}`,
            `      ${set("vd", `(v128.bitselect ${i32s("0x7fc00000")} ${get("vd")} (i32x4.eq ${get("vd")} ${i32s("0x80000000")}))`)}))`,
          ]
        : [`  ${set("vd", `(f32x4.sub ${get("ss")} ${mul(get("aa"), get("aa"))})`)}`]),
      `  ${set("ss", get("vd"))}))`,
      set("u", `(f32x4.div ${get("u")} ${add(`(f32x4.sqrt ${get("ss")})`, get("Seps"))})`),
      ...momentum,
      ...post,
    ],
  };
}

/** Adam's direction from m and v ($mm, $vv): (m / (√v·(1/bc2) + ε))·(1/bc1) — an infinite v gives 0, as in float64, not (m/bc1 = ∞)/∞. */
const adamDirection = mul(
  `(f32x4.div ${get("mm")} ${add(mul(`(f32x4.sqrt ${get("vv")})`, get("Sibc2s")), get("Seps"))})`,
  get("Sibc1"),
);

const BODIES = {
  adam: {
    locals: ["pp", "u", "mm", "vv", "x"],
    body: [
      ...pre,
      ...moments,
      // max as the reference takes it (v > max ? v : max): a NaN v keeps the old maximum
      `(if ${get("amsgrad")} (then ${set("x", load("maxExpAvgSq"))} ${set("vv", `(v128.bitselect ${get("vv")} ${get("x")} (f32x4.gt ${get("vv")} ${get("x")}))`)} ${store("maxExpAvgSq", get("vv"))}))`,
      set("u", adamDirection),
      ...post,
    ],
  },
  sgd: { locals: ["pp", "u", "bb"], body: [...pre, ...momentum, ...post] },
  rmsprop: rmspropBody(true),
  adagrad: {
    locals: ["pp", "u", "ss"],
    body: [
      ...pre,
      set("ss", add(load("sum"), mul(get("u"), get("u")))),
      store("sum", get("ss")),
      set("u", `(f32x4.div ${get("u")} ${add(`(f32x4.sqrt ${get("ss")})`, get("Seps"))})`),
      ...post,
    ],
  },
  lion: {
    locals: ["pp", "u", "mm", "c"],
    consts: [
      ["Kone", "(v128.const f32x4 1 1 1 1)"],
      ["Kzero", "(v128.const f32x4 0 0 0 0)"],
      ["Ksign", "(v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)"],
    ],
    body: [
      ...pre,
      set("mm", load("expAvg")),
      set("c", add(mul(get("Sb1"), get("mm")), mul(get("Sc1"), get("u")))),
      store("expAvg", add(mul(get("Sb2"), get("mm")), mul(get("Sc2"), get("u")))),
      set("u", sign(get("c"))),
      ...post,
    ],
  },
  adamax: {
    locals: ["pp", "u", "mm", "nn"],
    body: [
      ...pre,
      set("mm", add(mul(get("Sb1"), load("expAvg")), mul(get("Sc1"), get("u")))),
      store("expAvg", get("mm")),
      // max(β2·n, |u| + ε): NaN propagates, as Math.max's
      set(
        "nn",
        `(f32x4.max ${mul(get("Sb2"), load("expInf"))} ${add(`(f32x4.abs ${get("u")})`, get("Seps"))})`,
      ),
      store("expInf", get("nn")),
      set("u", mul(`(f32x4.div ${get("mm")} ${get("nn")})`, get("Sibc1"))),
      ...post,
    ],
  },
  nadam: {
    locals: ["pp", "u", "mm", "vv", "d"],
    body: [
      ...pre,
      ...moments,
      set("d", add(mul(`(f32x4.sqrt ${get("vv")})`, get("Sibc2s")), get("Seps"))),
      // (u/d)·cGrad + (m/d)·cAvg: the reference's (cGrad·u)/d can overflow float32 (not float64)
      // where d = ∞ makes the reference's term 0
      set(
        "u",
        add(
          mul(`(f32x4.div ${get("u")} ${get("d")})`, get("ScGrad")),
          mul(`(f32x4.div ${get("mm")} ${get("d")})`, get("ScAvg")),
        ),
      ),
      ...post,
    ],
  },
  radam: {
    locals: ["pp", "u", "mm", "vv"],
    body: [
      ...pre,
      ...moments,
      set("u", mul(get("mm"), get("Sibc1"))),
      `(if ${get("rectify")} (then ${set("u", mul(mul(get("u"), `(f32x4.div ${get("Sbc2s")} ${add(`(f32x4.sqrt ${get("vv")})`, get("Seps"))})`), get("Srect")))}))`,
      ...post,
    ],
  },
  adadelta: {
    locals: ["pp", "u", "ss", "x"],
    body: [
      ...pre,
      set("ss", add(mul(get("Srho"), load("squareAvg")), scaledSquare("Sc"))),
      store("squareAvg", get("ss")),
      set(
        "x",
        mul(
          `(f32x4.div (f32x4.sqrt ${add(load("accDelta"), get("Seps"))}) (f32x4.sqrt ${add(get("ss"), get("Seps"))}))`,
          get("u"),
        ),
      ),
      store("accDelta", add(mul(get("Srho"), load("accDelta")), mul(mul(get("Sc"), get("x")), get("x")))),
      set("u", get("x")),
      ...post,
    ],
  },
  // LAMB's first pass: the moments, then r + λp (Adam's direction, plus the decay when on) written
  // into the gradient buffer; the params are left for `lambApply` once the leaf's norms are known.
  lamb: {
    locals: ["pp", "u", "mm", "vv"],
    body: [
      ...pre,
      ...moments,
      set("u", adamDirection),
      `(if ${get("hasWd")} (then ${set("u", add(get("u"), mul(get("Swd"), get("pp"))))}))`,
      store("g", get("u")),
    ],
  },
  // v as RMSprop's; z and x read as the params on the first update; the decay at y (p) or z; then
  // z ← z + u·(−γ), x ← (1−c)·x + c·z, and p ← p + (β1·x + (1−β1)·z − p), the update as applied
  scheduleFreeAdamw: {
    locals: ["pp", "u", "ss", "zz", "xx"],
    body: [
      ...pre,
      set("ss", add(mul(get("Sb2"), load("squareAvg")), scaledSquare("Sc2"))),
      store("squareAvg", get("ss")),
      set("u", `(f32x4.div ${get("u")} ${add(`(f32x4.sqrt ${get("ss")})`, get("Seps"))})`),
      `(if ${get("first")} (then ${set("zz", get("pp"))} ${set("xx", get("pp"))}) (else ${set("zz", load("z"))} ${set("xx", load("x"))}))`,
      `(if ${get("hasWd")} (then (if ${get("atZ")} (then ${set("u", add(get("u"), mul(get("Swd"), get("zz"))))}) (else ${set("u", add(get("u"), mul(get("Swd"), get("pp"))))}))))`,
      set("zz", add(get("zz"), mul(get("u"), get("Snlr")))),
      store("z", get("zz")),
      set("xx", add(mul(get("xx"), get("Sdk")), mul(get("zz"), get("Sck")))),
      store("x", get("xx")),
      set(
        "pp",
        add(
          get("pp"),
          `(f32x4.sub ${add(mul(get("xx"), get("Sb1")), mul(get("zz"), get("Sc1")))} ${get("pp")})`,
        ),
      ),
      store("p", get("pp")),
      averaged,
    ],
  },
} satisfies { [K in WasmKind]: Body };

// ---- bfloat16 moments: 4 words (8 bytes) per 16-byte step of the params ----

/** The byte address of the bfloat16 word of the element at float32 byte offset $i in `base`. */
const atWord = (base: string) => `(i32.add (local.get $${base}) (i32.shr_u (local.get $i) (i32.const 1)))`;
/** Four bfloat16 words as the float32 vector they stand for (each the upper half of its lane). */
const loadWords = (base: string) => `(i32x4.shl (v128.load16x4_u ${atWord(base)}) (i32.const 16))`;
/** The low 16 bits of each lane of `bits`, stored as four words at `base`. */
const storeWords = (base: string, bits: string) =>
  `(v128.store64_lane 0 ${atWord(base)} (i16x8.narrow_i32x4_u ${bits} ${bits}))`;
/** The Weyl sequence's step (`roundingBits`), and four of them: the next vector's indices. */
const PHI = "0x9e3779b9";
const PHI4 = "0x78dde6e4";

/** $w<k> ← key<k> + (index0 + lane)·φ: the Weyl states of buffer k's four lanes at the call's first element. */
const weyl = (k: number) =>
  set(
    `w${k}`,
    `(i32x4.add (i32x4.splat (local.get $key${k})) (i32x4.mul (i32x4.add (i32x4.splat (local.get $index0)) (v128.const i32x4 0 1 2 3)) ${i32s(PHI)}))`,
  );

/**
 * The float32 vector in $b stored to bfloat16 bits in $r with stochastic rounding, as `toBfloat16`
 * with `roundingBits`: the 16 random bits are murmur3's finalizer of the Weyl state $w<k> (its top
 * 16 bits do not need the last xor), added below the kept bits. Only lanes at or above the largest
 * finite bfloat16 need more (checked once per vector, rarely true): ±∞ keep their bits, a NaN stays
 * a quiet NaN, and a finite value rounded up into the all-ones exponent keeps its truncation. Then
 * $w<k> steps to the next four elements.
 */
function roundWords(k: number): string[] {
  const w = `w${k}`;
  const eq = (x: string, mask: string) => `(i32x4.eq (v128.and ${x} ${i32s(mask)}) ${i32s(mask)})`;
  return [
    set("h", `(i32x4.mul (v128.xor ${get(w)} (i32x4.shr_u ${get(w)} (i32.const 16))) ${i32s("0x85ebca6b")})`),
    set(
      "h",
      `(i32x4.shr_u (i32x4.mul (v128.xor ${get("h")} (i32x4.shr_u ${get("h")} (i32.const 13))) ${i32s("0xc2b2ae35")}) (i32.const 16))`,
    ),
    set("r", `(i32x4.shr_u (i32x4.add ${get("b")} ${get("h")}) (i32.const 16))`),
    `(if (v128.any_true (i32x4.ge_s (v128.and ${get("b")} ${i32s("0x7fffffff")}) ${i32s("0x7f7f0000")})) (then`,
    `  ${set("t", `(i32x4.shr_u ${get("b")} (i32.const 16))`)}`,
    `  ${set("r", `(v128.bitselect ${get("t")} ${get("r")} ${eq(get("r"), "0x7f80")})`)}`,
    `  ${set(
      "r",
      `(v128.bitselect (v128.bitselect ${get("t")} (v128.or ${get("t")} ${i32s("0x40")}) (i32x4.eq (v128.and ${get("b")} ${i32s("0x7fffff")}) ${i32s("0")})) ${get("r")} ${eq(get("b"), "0x7f800000")})`,
    )}))`,
    set(w, `(i32x4.add ${get(w)} ${i32s(PHI4)})`),
  ];
}

/**
 * $b ← d·x + c·u in float64 lanes (`square`: d·x + (c·u)·u), x the float32 vector of buffer `name`'s
 * words (left in $x): a moment's new value as the chain computes it, to be rounded by `roundWords`.
 */
const decayWords = (name: string, d: string, c: string, square = false): string[] => [
  set("x", loadWords(name)),
  set(
    "b",
    inF64([get("x"), get("u")], ([x, u]) =>
      square
        ? `(f64x2.add (f64x2.mul ${get(d)} ${x}) (f64x2.mul (f64x2.mul ${get(c)} ${u}) ${u}))`
        : `(f64x2.add (f64x2.mul ${get(d)} ${x}) (f64x2.mul ${get(c)} ${u}))`,
    ),
  ),
];

/**
 * A moment written back as bfloat16: its new value (`decayWords`), rounded with buffer k's draws,
 * stored, and what was stored left (as float32) in `into`.
 */
const momentWords = (name: string, k: number, d: string, c: string, square: boolean, into: string) => [
  ...decayWords(name, d, c, square),
  ...roundWords(k),
  storeWords(name, get("r")),
  set(into, `(i32x4.shl ${get("r")} (i32.const 16))`),
];

/** The locals every bfloat16 body uses for its rounding. */
const WORD_LOCALS = ["b", "h", "t", "r", "w0", "w1", "w2"];

/**
 * The bfloat16-moment bodies. The moments are computed in float64 lanes from their decoded values,
 * as the chain computes them (`b1`… are f64 parameters), so the bits stored are the chain's for the
 * same input; the update is computed in float32 from what was stored, as the kind's own kernel.
 */
const BODIES_BF16 = {
  adam: {
    locals: ["pp", "u", "mm", "vv", "x", ...WORD_LOCALS],
    init: [weyl(0), weyl(1), weyl(2)],
    body: [
      ...pre,
      ...momentWords("expAvg", 0, "Sb1", "Sc1", false, "mm"),
      ...decayWords("expAvgSq", "Sb2", "Sc2", true),
      // the unrounded v: AMSGrad's maximum compares it (a NaN v keeps the old maximum)
      set("vv", get("b")),
      ...roundWords(1),
      storeWords("expAvgSq", get("r")),
      `(if ${get("amsgrad")} (then`,
      `  ${set("x", loadWords("maxExpAvgSq"))}`,
      `  ${set("b", `(v128.bitselect ${get("vv")} ${get("x")} (f32x4.gt ${get("vv")} ${get("x")}))`)}`,
      ...roundWords(2).map((l) => `  ${l}`),
      `  ${storeWords("maxExpAvgSq", get("r"))}))`,
      // the denominator's v as stored (AMSGrad's maximum when on)
      set("vv", `(i32x4.shl ${get("r")} (i32.const 16))`),
      set("u", adamDirection),
      ...post,
    ],
  },
  sgd: {
    locals: ["pp", "u", "x", ...WORD_LOCALS],
    init: [weyl(0)],
    body: [
      ...pre,
      // b ← u on the first update, else μ·b + (1 − dampening)·u; then u ← b, or u + μ·b (Nesterov)
      `(if ${get("hasMomentum")} (then`,
      `  (if ${get("first")} (then ${set("b", get("u"))}) (else ${decayWords("momentumBuffer", "Smu", "Skeep").join(" ")}))`,
      ...roundWords(0).map((l) => `  ${l}`),
      `  ${storeWords("momentumBuffer", get("r"))}`,
      `  ${set("x", `(i32x4.shl ${get("r")} (i32.const 16))`)}`,
      `  (if ${get("nesterov")} (then ${set(
        "u",
        inF64([get("u"), get("x")], ([u, b]) => `(f64x2.add ${u} (f64x2.mul ${get("Smu")} ${b}))`),
      )}) (else ${set("u", get("x"))}))))`,
      ...post,
    ],
  },
  lion: {
    locals: ["pp", "u", "c", "x", ...WORD_LOCALS],
    consts: [
      ["Kone", "(v128.const f32x4 1 1 1 1)"],
      ["Kzero", "(v128.const f32x4 0 0 0 0)"],
      ["Ksign", "(v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)"],
    ],
    init: [weyl(0)],
    body: [
      ...pre,
      set("x", loadWords("expAvg")),
      set(
        "c",
        inF64(
          [get("x"), get("u")],
          ([m, u]) => `(f64x2.add (f64x2.mul ${get("Sb1")} ${m}) (f64x2.mul ${get("Sc1")} ${u}))`,
        ),
      ),
      set(
        "b",
        inF64(
          [get("x"), get("u")],
          ([m, u]) => `(f64x2.add (f64x2.mul ${get("Sb2")} ${m}) (f64x2.mul ${get("Sc2")} ${u}))`,
        ),
      ),
      ...roundWords(0),
      storeWords("expAvg", get("r")),
      set("u", sign(get("c"))),
      ...post,
    ],
  },
  adagrad: {
    locals: ["pp", "u", "ss", "x", ...WORD_LOCALS],
    init: [weyl(0)],
    body: [
      ...pre,
      set("x", loadWords("sum")),
      set(
        "b",
        inF64([get("x"), get("u")], ([s, u]) => `(f64x2.add ${s} (f64x2.mul ${u} ${u}))`),
      ),
      ...roundWords(0),
      storeWords("sum", get("r")),
      set("ss", `(i32x4.shl ${get("r")} (i32.const 16))`),
      set("u", `(f32x4.div ${get("u")} ${add(`(f32x4.sqrt ${get("ss")})`, get("Seps"))})`),
      ...post,
    ],
  },
  rmsprop: {
    locals: ["pp", "u", "ss", "aa", "x", ...WORD_LOCALS],
    init: [weyl(0), weyl(1), weyl(2)],
    body: [
      ...pre,
      ...momentWords("squareAvg", 0, "Salpha", "Sca", true, "ss"),
      // u ← u/(√variance + ε) in float64 from the stored averages (centered: max(s − a², 0)), rounded once
      `(if ${get("centered")} (then`,
      ...momentWords("gradAvg", 1, "Salpha", "Sca", false, "aa").map((l) => `  ${l}`),
      `  ${set(
        "u",
        inF64(
          [get("u"), get("ss"), get("aa")],
          ([u, s, a]) =>
            `(f64x2.div ${u} (f64x2.add (f64x2.sqrt (f64x2.max (f64x2.sub ${s} (f64x2.mul ${a} ${a})) (v128.const f64x2 0 0))) ${get("Seps")}))`,
        ),
      )})`,
      `(else ${set(
        "u",
        inF64(
          [get("u"), get("ss")],
          ([u, s]) => `(f64x2.div ${u} (f64x2.add (f64x2.sqrt ${s}) ${get("Seps")}))`,
        ),
      )}))`,
      // trace's momentum on stream 2: b ← u on the first update, else μ·b + (1 − dampening)·u; u ← b
      `(if ${get("hasMomentum")} (then`,
      `  (if ${get("first")} (then ${set("b", get("u"))}) (else ${decayWords("momentumBuffer", "Smu", "Skeep").join(" ")}))`,
      ...roundWords(2).map((l) => `  ${l}`),
      `  ${storeWords("momentumBuffer", get("r"))}`,
      `  ${set("u", `(i32x4.shl ${get("r")} (i32.const 16))`)}))`,
      ...post,
    ],
  },
  // LAMB's first pass (packed params): the moments as Adam's, the direction from what was stored
  // (+ λp) into the gradient buffer; the engine then takes the leaf's norms and runs `lambApply`
  lamb: {
    locals: ["pp", "u", "mm", "vv", "x", ...WORD_LOCALS],
    init: [weyl(0), weyl(1)],
    body: [
      ...pre,
      ...momentWords("expAvg", 0, "Sb1", "Sc1", false, "mm"),
      ...momentWords("expAvgSq", 1, "Sb2", "Sc2", true, "vv"),
      set("u", adamDirection),
      `(if ${get("hasWd")} (then ${set("u", add(get("u"), mul(get("Swd"), get("pp"))))}))`,
      store("g", get("u")),
    ],
  },
} satisfies { [K in WasmKindBf16]: Body };

// ---- 8-bit moments: scalar float64, the chain's bytes ----

/** A local's value, and an i32 or f64 constant (scalar code: the 8-bit kernels have no lanes). */
const i32c = (x: number | string) => `(i32.const ${x})`;
const f64c = (x: string) => `(f64.const ${x})`;
/** A float64 rounded to float32 and back: what a float32 array stores. */
const fround = (x: string) => `(f64.promote_f32 (f32.demote_f64 ${x}))`;

/**
 * `$decode`, as `precision/` and the 8-bit store read a byte: its value float32(code·scale), squared
 * for a √v code (`root`), NaN when the scale is not finite.
 */
const int8Helpers = `
  (func $decode (param $byte i32) (param $code i32) (param $scale f32) (param $root i32) (result f64)
    (local $y f64)
    (if (f32.ne (f32.sub (local.get $scale) (local.get $scale)) (f32.const 0)) (then (return ${f64c("nan")})))
    (local.set $y (f64.promote_f32 (f32.mul (f32.load (i32.add (local.get $code) (i32.shl (local.get $byte) ${i32c(2)}))) (local.get $scale))))
    (if (result f64) (local.get $root) (then (f64.mul (local.get $y) (local.get $y))) (else (local.get $y))))`;

/** One 8-bit moment: where its codes and tables are, whether it holds √v, and its rounding key. */
interface Int8Moment {
  name: string;
  signed: boolean;
  key: string;
}

/** Moment `q`'s old value at element $e (its block's old scale in $o<name>). */
const oldValue = (q: Int8Moment) =>
  `(call $decode (i32.load8_u (i32.add ${get(`${q.name}Codes`)} ${get("e")})) (i32.add ${get("tables")} ${i32c(q.signed ? INT8_TABLES.signedCode : INT8_TABLES.unsignedCode)}) ${get(`o${q.name}`)} ${i32c(q.signed ? 0 : 1)})`;

/** What moment `q` stores of its new value in $<name>: float32 of it, or of its root (a √v code). */
const storedOf = (q: Int8Moment) => fround(q.signed ? get(q.name) : `(f64.sqrt ${get(q.name)})`);

/** $s<name> ← |stored| when larger, or NaN (as `quantizeBlock` takes a block's scale). */
const absmax = (q: Int8Moment) => [
  set("a", `(f64.abs ${storedOf(q)})`),
  `(if (i32.or (f64.gt ${get("a")} ${get(`s${q.name}`)}) (f64.ne ${get("a")} ${get("a")})) (then ${set(`s${q.name}`, get("a"))}))`,
];

/**
 * The code value at index `lo` + `next` (0 or 1), as float64. (Not a load offset: at lo = −1 the
 * base would wrap below 0 where the tables start the memory, and wasm does not wrap an offset.)
 */
const codeAt = (code: string, lo: string, next = 0) =>
  `(f64.promote_f32 (f32.load (i32.add ${code} (i32.shl ${next ? `(i32.add ${lo} ${i32c(next)})` : lo} ${i32c(2)}))))`;

/**
 * $byte ← `encodeStochastic` of $ex (= value / scale), written inline (a call per element cost more
 * than the encoding): NaN → zero's byte; the bucket table's start for $ex's float32 upper bits, the
 * scans back and forward (≤ 2 codes a bucket); then the upper neighbour with probability
 * (x − below)/(above − below) against the draw in $h — `roundingBits(key, index)`, the top 16 bits of
 * murmur3's finalizer of the Weyl state. `id` names the scans' labels.
 */
function encodeInline(id: string, code: string, buckets: string, zero: string, key: string): string[] {
  const lo = get("lo");
  return [
    set("h", `(i32.add ${get(key)} (i32.mul (i32.add ${get("index0")} ${get("e")}) ${i32c("0x9e3779b9")}))`),
    set("h", `(i32.mul (i32.xor ${get("h")} (i32.shr_u ${get("h")} ${i32c(16)})) ${i32c("0x85ebca6b")})`),
    set(
      "h",
      `(i32.shr_u (i32.mul (i32.xor ${get("h")} (i32.shr_u ${get("h")} ${i32c(13)})) ${i32c("0xc2b2ae35")}) ${i32c(16)})`,
    ),
    `(if (f64.ne ${get("ex")} ${get("ex")}) (then ${set("byte", zero)}) (else`,
    `  ${set("lo", `(i32.load16_s (i32.add ${buckets} (i32.shl (i32.shr_u (i32.reinterpret_f32 (f32.demote_f64 ${get("ex")})) ${i32c(16)}) ${i32c(1)})))`)}`,
    `  (block $back${id} (loop $backStep${id}`,
    `    (br_if $back${id} (i32.lt_s ${lo} ${i32c(0)}))`,
    `    (br_if $back${id} (f64.le ${codeAt(code, lo)} ${get("ex")}))`,
    `    ${set("lo", `(i32.sub ${lo} ${i32c(1)})`)} (br $backStep${id})))`,
    `  (block $forward${id} (loop $forwardStep${id}`,
    `    (br_if $forward${id} (i32.ge_s ${lo} ${i32c(255)}))`,
    `    (br_if $forward${id} (f64.gt ${codeAt(code, lo, 1)} ${get("ex")}))`,
    `    ${set("lo", `(i32.add ${lo} ${i32c(1)})`)} (br $forwardStep${id})))`,
    `  (if (i32.lt_s ${lo} ${i32c(0)}) (then ${set("byte", zero)}) (else`,
    `  (if (i32.eq ${lo} ${i32c(255)}) (then ${set("byte", lo)}) (else`,
    `    ${set("below", codeAt(code, lo))}`,
    `    (if (f64.eq ${get("below")} ${get("ex")}) (then ${set("byte", lo)}) (else`,
    `      ${set(
      "byte",
      `(i32.add ${lo} (f64.ge (f64.add (f64.convert_i32_u ${get("h")}) (f64.mul (f64.div (f64.sub ${get("ex")} ${get("below")}) (f64.sub ${codeAt(code, lo, 1)} ${get("below")})) ${f64c("65536")})) ${f64c("65536")}))`,
    )}))))))))`,
  ];
}

/** Where moment `q`'s code values sit in the tables. */
const codeOf = (q: Int8Moment) =>
  `(i32.add ${get("tables")} ${i32c(q.signed ? INT8_TABLES.signedCode : INT8_TABLES.unsignedCode)})`;

/** Moment `q`'s byte for its new value, stored (zero's byte when the block's scale is 0 or not finite). */
const encodeMoment = (q: Int8Moment) => {
  const scale = get(`s${q.name}`);
  const code = codeOf(q);
  const buckets = `(i32.add ${get("tables")} ${i32c(q.signed ? INT8_TABLES.signedBuckets : INT8_TABLES.unsignedBuckets)})`;
  const zero = i32c(q.signed ? INT8_ZERO.signed : INT8_ZERO.unsigned);
  const usable = `(i32.and (f64.ne ${scale} ${f64c("0")}) (f64.eq (f64.sub ${scale} ${scale}) ${f64c("0")}))`;
  return [
    `(if ${usable} (then`,
    `  ${set("ex", `(f64.div ${storedOf(q)} ${scale})`)}`,
    ...encodeInline(q.name, code, buckets, zero, q.key).map((l) => `  ${l}`),
    `) (else ${set("byte", zero)}))`,
    `(i32.store8 (i32.add ${get(`${q.name}Codes`)} ${get("e")}) ${get("byte")})`,
  ];
};

/** What moment `q` reads back at element $e, from its new byte and scale, into $<name> (NaN for a scale that is not finite). */
const readBack = (q: Int8Moment) => [
  set(
    q.name,
    `(call $decode (i32.load8_u (i32.add ${get(`${q.name}Codes`)} ${get("e")})) ${codeOf(q)} (f32.demote_f64 ${get(`s${q.name}`)}) ${i32c(q.signed ? 0 : 1)})`,
  ),
];

/** The body of an 8-bit kernel: its moments, the element's new values, and the update from what was stored. */
interface Int8Body {
  moments: Int8Moment[];
  /** f64 locals besides the moments' own. */
  locals: string[];
  /** Element $e (byte offset $j in params and gradient): $pj and $u. */
  input: string[];
  /** Each moment's new value into $<name>, from $u (and what else it needs: AMSGrad's maximum, v's). */
  value: Record<string, string[]>;
  /** After the moments are stored: the new p, from p and what they read back (in $<name>). */
  update: string[];
  /** Whether moment `name` is in this configuration (an optional buffer's flag). */
  present?: Record<string, string>;
}

/**
 * An 8-bit kernel (exported `<kind>Int8`, signature from its kind's module: params, gradient, each
 * buffer's codes and scales, n, its parameters). Per block of 256 (the last of a leaf shorter): one
 * sweep for the moments' new values and their absmax (the scales written), then one per moment
 * computing its new value again (the same inputs, the same value: no scratch, so threads share
 * nothing) to encode and store it — last moment first, as a later one's value may read an earlier
 * one's old codes (AMSGrad's maximum reads v's) — then one reading back what was stored to update p — short loop
 * bodies, so that the CPU overlaps one element's chain of dependent latencies (division, table
 * look-up, scan, division) with the next one's.
 */
function int8Kernel(name: WasmKindInt8, b: Int8Body): string {
  const kind = KINDS[name];
  const wasm = kind.int8;
  const params = wasm.wasm.params as readonly { name: string; type: string }[];
  const pointers = ["p", "g", ...Object.keys(kind.buffers).flatMap((n) => [`${n}Codes`, `${n}Scales`])];
  const on = (q: Int8Moment, text: string[]) =>
    b.present?.[q.name] ? [`(if ${get(b.present[q.name]!)} (then ${text.join(" ")}))`] : text;
  const scaleAt = (q: Int8Moment) => `(i32.add ${get(`${q.name}Scales`)} (i32.shl ${get("blk")} ${i32c(2)}))`;
  const perElement = (text: string[]) => `
      ${set("k", i32c(0))}
      (block $elementsDone (loop $elements
        (br_if $elementsDone (i32.ge_u ${get("k")} ${get("len")}))
        ${set("e", `(i32.add ${get("start")} ${get("k")})`)}
        ${set("j", `(i32.shl ${get("e")} ${i32c(2)})`)}
        ${text.join("\n        ")}
        ${set("k", `(i32.add ${get("k")} ${i32c(1)})`)}
        (br $elements)))`;
  return `
  (func (export "${name}Int8") ${pointers.map((p) => `(param $${p} i32)`).join(" ")} (param $n i32)
      ${params.map((p) => `(param $${p.name} ${p.type})`).join(" ")}
    (local $start i32) (local $len i32) (local $blk i32) (local $k i32) (local $e i32) (local $j i32) (local $byte i32)
    (local $lo i32) (local $h i32) (local $a f64) (local $ex f64) (local $below f64) ${b.moments.map((q) => `(local $${q.name} f64) (local $s${q.name} f64) (local $o${q.name} f32)`).join(" ")}
    ${b.locals.map((l) => `(local $${l} f64)`).join(" ")}
    (block $done (loop $blocks
      (br_if $done (i32.ge_u ${get("start")} ${get("n")}))
      ${set("len", `(i32.sub ${get("n")} ${get("start")})`)}
      (if (i32.gt_u ${get("len")} ${i32c(256)}) (then ${set("len", i32c(256))}))
      ${b.moments.flatMap((q) => on(q, [set(`o${q.name}`, `(f32.load ${scaleAt(q)})`), set(`s${q.name}`, f64c("0"))])).join("\n      ")}
      ${perElement([...b.input, ...b.moments.flatMap((q) => on(q, [...b.value[q.name]!, ...absmax(q)]))])}
      ${b.moments.flatMap((q) => on(q, [`(f32.store ${scaleAt(q)} (f32.demote_f64 ${get(`s${q.name}`)}))`])).join("\n      ")}
      ${[...b.moments]
        .reverse()
        .map((q) => on(q, [perElement([...b.input, ...b.value[q.name]!, ...encodeMoment(q)])]).join(""))
        .join("\n")}
      ${perElement([...b.moments.flatMap((q) => on(q, readBack(q))), ...b.update])}
      ${set("start", `(i32.add ${get("start")} ${get("len")})`)}
      ${set("blk", `(i32.add ${get("blk")} ${i32c(1)})`)}
      (br $blocks)))
  )`;
}

const ADAM_INT8_MOMENTS: Int8Moment[] = [
  { name: "expAvg", signed: true, key: "key0" },
  { name: "expAvgSq", signed: false, key: "key1" },
  { name: "maxExpAvgSq", signed: false, key: "key2" },
];

/** v's new value (Adam's second moment). */
const ADAM_V = set(
  "expAvgSq",
  `(f64.add (f64.mul ${get("b2")} ${oldValue(ADAM_INT8_MOMENTS[1]!)}) (f64.mul (f64.mul ${get("c2")} ${get("u")}) ${get("u")}))`,
);

/** The 8-bit bodies, as the chain computes (`scaleByAdam`'s `compactStep`, then the last links). */
const BODIES_INT8 = {
  adam: {
    moments: ADAM_INT8_MOMENTS,
    locals: ["pj", "u", "den"],
    present: { maxExpAvgSq: "amsgrad" },
    input: [
      set("pj", `(f64.promote_f32 (f32.load (i32.add ${get("p")} ${get("j")})))`),
      set("u", `(f64.promote_f32 (f32.load (i32.add ${get("g")} ${get("j")})))`),
      `(if ${get("scaled")} (then ${set("u", fround(`(f64.mul ${get("u")} ${get("coef")})`))}))`,
      `(if ${get("hasL2")} (then ${set("u", fround(`(f64.add ${get("u")} (f64.mul ${get("l2")} ${get("pj")}))`))}))`,
    ],
    value: {
      expAvg: [
        set(
          "expAvg",
          `(f64.add (f64.mul ${get("b1")} ${oldValue(ADAM_INT8_MOMENTS[0]!)}) (f64.mul ${get("c1")} ${get("u")}))`,
        ),
      ],
      expAvgSq: [ADAM_V],
      // AMSGrad: the maximum of the old (stored) maximum and the new, unrounded v (a NaN v keeps it)
      maxExpAvgSq: [
        ADAM_V,
        set("maxExpAvgSq", oldValue(ADAM_INT8_MOMENTS[2]!)),
        `(if (f64.gt ${get("expAvgSq")} ${get("maxExpAvgSq")}) (then ${set("maxExpAvgSq", get("expAvgSq"))}))`,
      ],
    },
    update: [
      set("pj", `(f64.promote_f32 (f32.load (i32.add ${get("p")} ${get("j")})))`),
      set(
        "den",
        `(if (result f64) ${get("amsgrad")} (then ${get("maxExpAvgSq")}) (else ${get("expAvgSq")}))`,
      ),
      set(
        "u",
        fround(
          `(f64.div (f64.div ${get("expAvg")} ${get("bc1")}) (f64.add (f64.div (f64.sqrt ${get("den")}) ${get("bc2s")}) ${get("eps")}))`,
        ),
      ),
      `(if ${get("hasWd")} (then ${set("u", fround(`(f64.add ${get("u")} (f64.mul ${get("wd")} ${get("pj")}))`))}))`,
      `(f32.store (i32.add ${get("p")} ${get("j")}) (f32.demote_f64 (f64.add ${get("pj")} ${fround(`(f64.mul ${get("u")} ${get("nlr")})`)})))`,
    ],
  },
} satisfies { [K in WasmKindInt8]: Int8Body };

/** LAMB's second pass: p ← p + (x·ratio, when scaled, else x)·(−lr), x the direction in g. */
const lambApply = `
  (func (export "lambApply") (param $p i32) (param $g i32) (param $n i32) (param $ratio f32) (param $nlr f32) (param $scaled i32)
    (local $i i32) (local $end i32) (local $Sratio v128) (local $Snlr v128) (local $x v128)
    (local.set $Sratio (f32x4.splat (local.get $ratio)))
    (local.set $Snlr (f32x4.splat (local.get $nlr)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $x ${load("g")})
        (if (local.get $scaled) (then (local.set $x ${mul(get("x"), get("Sratio"))})))
        ${store("p", add(load("p"), mul(get("x"), get("Snlr"))))}
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $top))))`;

/** Σ g² over [0, n), accumulated in float64 (for the global norm of clipping). */
const sumsq = `
  (func $sumsq (export "sumsq") (param $g i32) (param $n i32) (result f64)
    (local $i i32) (local $end i32) (local $x v128) (local $acc v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $x ${load("g")})
        (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $x)) (f64x2.promote_low_f32x4 (local.get $x)))))
        (local.set $x (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
        (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $x)) (f64x2.promote_low_f32x4 (local.get $x)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $top)))
    (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))`;

/**
 * Σ g² of each block of `block` elements over [0, n) (the last one shorter), as `sumsq` sums a block,
 * stored as float64 at `out` + 8·b: a norm summed block by block in a fixed order, however the
 * blocks are shared among threads.
 */
const sumsqBlocks = `
  (func (export "sumsqBlocks") (param $g i32) (param $n i32) (param $block i32) (param $out i32)
    (local $at i32) (local $len i32)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $at) (local.get $n)))
        (local.set $len (i32.sub (local.get $n) (local.get $at)))
        (if (i32.gt_u (local.get $len) (local.get $block)) (then (local.set $len (local.get $block))))
        (f64.store (local.get $out)
          (call $sumsq (i32.add (local.get $g) (i32.shl (local.get $at) (i32.const 2))) (local.get $len)))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (local.set $at (i32.add (local.get $at) (local.get $len)))
        (br $top))))`;

/**
 * `ema`/`polyak`'s average of the params, a ← d·a + c·p over [0, n) (c = 1 − d, passed as computed
 * in float64), in float32.
 */
const average = `
  (func (export "average") (param $a i32) (param $p i32) (param $n i32) (param $d f32) (param $c f32)
    (local $i i32) (local $end i32) (local $Sd v128) (local $Sc v128)
    (local.set $Sd (f32x4.splat (local.get $d)))
    (local.set $Sc (f32x4.splat (local.get $c)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        ${store("a", add(mul(get("Sd"), load("a")), mul(get("Sc"), load("p"))))}
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $top))))`;

/** The memory-ceiling probe: AdamW's access pattern (read p, g, m, v; write p, m, v) with no arithmetic. */
const stream7 = `
  (func (export "stream7") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (local $i i32) (local $end i32) (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $a ${load("p")}) (local.set $b ${load("g")}) (local.set $c ${load("m")}) (local.set $d ${load("v")})
        ${store("p", get("b"))} ${store("m", get("a"))} ${store("v", "(v128.or (local.get $c) (local.get $d))")}
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $top))))`;

/** The float64 helpers: Σ g² in float64 lanes (2 per step), per block, and the average. */
const helpers64 = `
  (func $sumsq64 (export "sumsq64") (param $g i32) (param $n i32) (result f64)
    (local $i i32) (local $end i32) (local $x v128) (local $acc v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $x ${load("g")})
        (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $x) (local.get $x))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $top)))
    (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
  ${sumsqBlocks.replace('"sumsqBlocks"', '"sumsqBlocks64"').replace("$sumsq ", "$sumsq64 ").replace("(i32.const 2)", "(i32.const 3)")}
  ${toFloat64(average, "average")}
  ${toFloat64(lambApply, "lambApply")}`;

/**
 * L-BFGS's vector work (its two-loop recursion: `kernels/lbfgs-two-loop.ts`), bit for bit as the
 * JavaScript loops compute it, for any n (a scalar tail): `dot` sums the products in float64 in four
 * interleaved partial sums (element i into sum i mod 4, the tail into sum 0) and returns
 * (s0 + s1) + (s2 + s3), as `dot` in `transforms/strong-wolfe.ts`; `axpy` (x ← x + a·y) and `scale`
 * (out ← c·x) compute in float64 and round once to the arrays' dtype. Suffix 32: float32 arrays;
 * 64: float64.
 */
function lbfgsOps(f32: boolean): string {
  const [suffix, size] = f32 ? ["32", 4] : ["64", 8];
  const shift = f32 ? 2 : 3;
  /** The element at byte offset base + i, as float64. */
  const scalar = (base: string) =>
    f32 ? `(f64.promote_f32 (f32.load ${at(base)}))` : `(f64.load ${at(base)})`;
  /** A float64 value stored at base + i in the arrays' dtype. */
  const put = (base: string, v: string) =>
    f32 ? `(f32.store ${at(base)} (f32.demote_f64 ${v}))` : `(f64.store ${at(base)} ${v})`;
  /**
   * `body` over the first n − n mod `per` elements, `per` at a time, then `between`, then `tail`
   * over the rest one at a time.
   */
  const loops = (per: number, body: string, tail: string, between = "") => `
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const ${-per})) (i32.const ${shift})))
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        ${body}
        (local.set $i (i32.add (local.get $i) (i32.const ${per * size})))
        (br $top)))
    ${between}
    (local.set $end (i32.shl (local.get $n) (i32.const ${shift})))
    (block $tail
      (loop $more
        (br_if $tail (i32.ge_u (local.get $i) (local.get $end)))
        ${tail}
        (local.set $i (i32.add (local.get $i) (i32.const ${size})))
        (br $more)))`;
  /** Lanes (i, i+1) into $acc0 and (i+2, i+3) into $acc1. */
  const dotBody = f32
    ? `(local.set $x ${load("a")}) (local.set $y ${load("b")})
        (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $x)) (f64x2.promote_low_f32x4 (local.get $y)))))
        (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.mul (f64x2.promote_low_f32x4 ${high(get("x"))}) (f64x2.promote_low_f32x4 ${high(get("y"))}))))`
    : `(local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.mul ${load("a")} ${load("b")})))
        (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.mul (v128.load offset=16 ${at("a")}) (v128.load offset=16 ${at("b")}))))`;
  /** One vector of elements (f32: 4, f64: 2) computed in float64 by `f` and stored at `out`. */
  const vector = (out: string, inputs: string[], f: (xs: string[]) => string) =>
    store(out, f32 ? inF64(inputs.map(load), f) : f(inputs.map(load)));
  const per = f32 ? 4 : 2;
  return `
  (func (export "dot${suffix}") (param $a i32) (param $b i32) (param $n i32) (result f64)
    (local $i i32) (local $end i32) (local $x v128) (local $y v128) (local $acc0 v128) (local $acc1 v128) (local $s0 f64)
    ${loops(
      4,
      dotBody,
      `(local.set $s0 (f64.add (local.get $s0) (f64.mul ${scalar("a")} ${scalar("b")})))`,
      "(local.set $s0 (f64x2.extract_lane 0 (local.get $acc0)))",
    )}
    (f64.add
      (f64.add (local.get $s0) (f64x2.extract_lane 1 (local.get $acc0)))
      (f64.add (f64x2.extract_lane 0 (local.get $acc1)) (f64x2.extract_lane 1 (local.get $acc1)))))

  (func (export "axpy${suffix}") (param $x i32) (param $a f64) (param $y i32) (param $n i32)
    (local $i i32) (local $end i32) (local $Sa v128)
    (local.set $Sa (f64x2.splat (local.get $a)))
    ${loops(
      per,
      vector("x", ["x", "y"], ([x, y]) => `(f64x2.add ${x} (f64x2.mul (local.get $Sa) ${y}))`),
      put("x", `(f64.add ${scalar("x")} (f64.mul (local.get $a) ${scalar("y")}))`),
    )})

  (func (export "scale${suffix}") (param $out i32) (param $x i32) (param $c f64) (param $n i32)
    (local $i i32) (local $end i32) (local $Sc v128)
    (local.set $Sc (f64x2.splat (local.get $c)))
    ${loops(
      per,
      vector("out", ["x"], ([x]) => `(f64x2.mul ${x} (local.get $Sc))`),
      put("out", `(f64.mul ${scalar("x")} (local.get $c))`),
    )})`;
}

export const KERNELS_WAT = `(module
  (memory (import "env" "memory") 1 65536 shared)
  ${(Object.keys(BODIES) as WasmKind[]).map((k) => kernel(k, BODIES[k])).join("\n")}
  ${WASM_KINDS64.map((k) => toFloat64(kernel(k, k === "rmsprop" ? rmspropBody(false) : BODIES[k]), k)).join("\n")}
  ${WASM_KINDS_BF16.map((k) => kernel(k, BODIES_BF16[k], true)).join("\n")}
  ${int8Helpers}
  ${WASM_KINDS_INT8.map((k) => int8Kernel(k, BODIES_INT8[k])).join("\n")}
  ${sumsq}
  ${sumsqBlocks}
  ${average}
  ${lambApply}
  ${helpers64}
  ${lbfgsOps(true)}
  ${lbfgsOps(false)}
  ${stream7})
`;
