/**
 * A ThreadPool on Node's worker_threads. Workers block in Atomics.wait on a shared control block and
 * run WASM kernels on slices of the arena's shared memory; the calling thread runs the first slice
 * itself and then blocks until the others are done, so `step()` stays synchronous. (Browsers cannot
 * block their main thread; there, run the optimizer in a Web Worker.)
 */
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { checkInteger, checkNumber, checkOptions } from "../hyper.js";
import {
  WASM_KINDS,
  WASM_KINDS_BF16,
  WASM_KINDS_INT8,
  WASM_KINDS64,
  wasmArity,
} from "../kernels/kinds/index.js";
import { kernelModule, kernelsFor, type ThreadPool, type WasmKernels } from "../kernels/wasm-kernels.js";

/** The module's exports a worker may run, by index: every kind's update kernel (from the registry), then the rest. */
const NAMES: (keyof WasmKernels)[] = [
  ...WASM_KINDS,
  ...WASM_KINDS64.map((k) => `${k}64` as const),
  ...WASM_KINDS_BF16.map((k) => `${k}Bf16` as const),
  ...WASM_KINDS_INT8.map((k) => `${k}Int8` as const),
  "sumsq",
  "sumsqBlocks",
  "average",
  "lambApply",
  "lambApply64",
  "sumsq64",
  "sumsqBlocks64",
  "average64",
  "stream7",
];
/** The longest argument list among them (stream7 takes 5). */
const MAX_ARGS = Math.max(
  6,
  ...WASM_KINDS.map((k) => wasmArity(k)),
  ...WASM_KINDS_BF16.map((k) => wasmArity(k, "bfloat16")),
  ...WASM_KINDS_INT8.map((k) => wasmArity(k, "int8")),
);
// Control block (Int32): per worker [seq, cmd, memory id, kernel, argc, failed, answered seq]; then
// one shared `done` counter. `failed` is 1 when the worker's last command threw; its message then waits on the
// worker's port (read synchronously with receiveMessageOnPort).
const SLOT = 7;
const RUN = 1;
const ATTACH = 2;
const STOP = 3;
const RELEASE = 4;
/** Where a pool keeps its Worker objects (for tests that kill one). */
const WORKERS = Symbol.for("momenta-optim.nodeThreadPool.workers");

const WORKER = `
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const { ctl, args, results, index, module, port, names, slot, maxArgs } = workerData;
const base = index * slot;
const done = ctl.length - 1;
const instances = new Map();
let seen = 0;
for (;;) {
  Atomics.wait(ctl, base, seen);
  seen = Atomics.load(ctl, base);
  const cmd = ctl[base + 1];
  if (cmd === ${STOP}) break;
  let result = 0;
  ctl[base + 5] = 0;
  try {
    if (cmd === ${ATTACH}) {
      const { id, memory } = receiveMessageOnPort(port).message;
      instances.set(id, new WebAssembly.Instance(module, { env: { memory } }).exports);
    } else if (cmd === ${RELEASE}) {
      instances.delete(ctl[base + 2]);
      if (typeof gc === "function") gc(); // only under --expose-gc (tests)
    } else {
      const fn = instances.get(ctl[base + 2])[names[ctl[base + 3]]];
      const argc = ctl[base + 4];
      const a = [];
      for (let i = 0; i < argc; i++) a.push(args[index * maxArgs + i]);
      result = fn(...a) ?? 0;
    }
  } catch (e) {
    ctl[base + 5] = 1;
    port.postMessage(String((e && e.message) || e));
  }
  results[index] = result;
  Atomics.store(ctl, base + 6, seen);
  Atomics.add(ctl, done, 1);
  Atomics.notify(ctl, done);
}
`;

/** Options of `nodeThreadPool`. */
export interface NodeThreadPoolOptions {
  /**
   * Below this many elements per thread (≥ 1; Infinity: always) a call runs on the calling thread
   * alone (thread wake-ups cost ~10 µs). Default 2¹⁷ = 131072.
   */
  minPerThread?: number;
  /**
   * How long (ms, ≥ 1) a call waits for the workers before it gives up and throws, taking a worker
   * that has not answered for dead (a worker killed while the caller is blocked cannot tell it
   * otherwise). After that the pool is unusable: every later call throws. Default 60000.
   */
  timeout?: number;
}

/**
 * A pool of `threads` threads in all (the calling one and threads − 1 workers).
 *
 * Failures: a kernel that throws inside a worker makes `run` throw with its message (the pool stays
 * usable). A worker that has exited (terminated, or crashed outside a kernel) makes every later
 * call throw; one that dies while the caller waits is noticed after `timeout` ms, and the pool is
 * then unusable too.
 *
 * Memories: the workers keep an instance for every memory they ran on until `release(memory)`
 * (called by an optimizer's `dispose()`). The memory itself is freed once every thread's garbage
 * collector has let go of it; idle workers collect rarely, so under `--expose-gc` they collect at
 * each release, and otherwise a released memory may live on until they do.
 */
export async function nodeThreadPool(
  threads: number,
  options: NodeThreadPoolOptions = {},
): Promise<ThreadPool> {
  checkInteger("nodeThreadPool", "threads", threads, "[1, 64]");
  // Measured (npm run bench, WASM AdamW, 2 cores): 2 threads lose below ~2^17 elements per thread
  // (65,536 in all: 1,692 → 840 M params/s) and win above (2^20: 1,731 → 2,825).
  checkOptions("nodeThreadPool", options, ["minPerThread", "timeout"]);
  const timeout = checkNumber("nodeThreadPool", "timeout", options.timeout ?? 60_000, "[1, inf]");
  const minPerThread = checkNumber(
    "nodeThreadPool",
    "minPerThread",
    options.minPerThread ?? 1 << 17,
    "[1, inf]",
  );
  const workers = threads - 1;
  const ctl = new Int32Array(new SharedArrayBuffer((workers * SLOT + 1) * 4));
  const args = new Float64Array(new SharedArrayBuffer(Math.max(1, workers * MAX_ARGS) * 8));
  const results = new Float64Array(new SharedArrayBuffer(Math.max(1, workers) * 8));
  const done = ctl.length - 1;
  const module = kernelModule();
  const ports: MessageChannel["port1"][] = [];
  const pool: Worker[] = [];
  for (let index = 0; index < workers; index++) {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1);
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: {
        ctl,
        args,
        results,
        index,
        module,
        port: port2,
        names: NAMES,
        slot: SLOT,
        maxArgs: MAX_ARGS,
      },
      transferList: [port2],
    });
    pool.push(worker);
  }
  await Promise.all(pool.map((w) => new Promise((resolve) => w.once("online", resolve))));
  for (const w of pool) w.unref(); // blocked in Atomics.wait, they must not keep the process alive
  const ids = new WeakMap<WebAssembly.Memory, number>();
  let nextId = 0;
  let closed = false;
  /** Why the pool can no longer run anything (a worker exited, or did not answer in time). */
  let broken: string | undefined;
  pool.forEach((w, i) => {
    // Delivered only while the calling thread is not blocked; a death during a wait is the timeout's.
    w.once("error", (e: unknown) => {
      broken ??= `worker ${i} crashed (${(e as Error)?.message ?? String(e)})`;
    });
    w.once("exit", (code) => {
      if (!closed) broken ??= `worker ${i} exited (code ${code})`;
    });
  });

  function unusable(): Error {
    return new Error(`nodeThreadPool: the pool is unusable: ${broken}; close it and make a new one`);
  }

  /**
   * Signals workers [0, count) with `cmd` and waits until they have all answered (at most `timeout`
   * ms); throws if a worker's command threw, or if the own slice threw (after the workers are done).
   */
  function signal(count: number, cmd: number, own?: () => number): number {
    if (broken !== undefined) throw unusable();
    Atomics.store(ctl, done, 0);
    for (let i = 0; i < count; i++) {
      ctl[i * SLOT + 1] = cmd;
      Atomics.add(ctl, i * SLOT, 1);
      Atomics.notify(ctl, i * SLOT);
    }
    let mine = 0;
    let ownError: unknown;
    let ownFailed = false;
    try {
      mine = own ? own() : 0;
    } catch (e) {
      ownError = e;
      ownFailed = true;
    }
    const deadline = performance.now() + timeout;
    for (let d = Atomics.load(ctl, done); d < count; d = Atomics.load(ctl, done)) {
      const left = deadline - performance.now();
      if (left <= 0) {
        const late: number[] = [];
        for (let i = 0; i < count; i++) if (Atomics.load(ctl, i * SLOT + 6) !== ctl[i * SLOT]) late.push(i);
        broken = `worker ${late.join(", ")} did not answer within ${timeout} ms (dead?)`;
        throw unusable();
      }
      Atomics.wait(ctl, done, d, left);
    }
    if (ownFailed) throw ownError;
    for (let i = 0; i < count; i++) {
      if (ctl[i * SLOT + 5] !== 0) {
        let message = "unknown error";
        for (let m = receiveMessageOnPort(ports[i]!); m; m = receiveMessageOnPort(ports[i]!))
          message = String(m.message);
        for (let j = i + 1; j < count; j++)
          if (ctl[j * SLOT + 5] !== 0) while (receiveMessageOnPort(ports[j]!));
        throw new Error(`nodeThreadPool: worker ${i} threw: ${message}`);
      }
    }
    return mine;
  }

  function idFor(memory: WebAssembly.Memory): number {
    let id = ids.get(memory);
    if (id === undefined) {
      id = nextId++;
      for (const port of ports) port.postMessage({ id, memory });
      signal(workers, ATTACH);
      ids.set(memory, id);
      for (const port of ports)
        if (receiveMessageOnPort(port)) throw new Error("nodeThreadPool: attach was not consumed");
    }
    return id;
  }

  const api: ThreadPool & { [WORKERS]: Worker[] } = {
    [WORKERS]: pool,
    size: threads,
    minPerThread,
    run(memory, name, calls) {
      if (closed) throw new Error("nodeThreadPool: the pool is closed");
      if (broken !== undefined) throw unusable();
      const local = kernelsFor(memory)[name] as (...a: number[]) => number | undefined;
      if (calls.length > threads)
        throw new RangeError(`nodeThreadPool: ${calls.length} calls for ${threads} threads`);
      if (calls.length === 1) return [local(...calls[0]!) ?? 0];
      const id = idFor(memory);
      const kernel = NAMES.indexOf(name);
      const others = calls.length - 1;
      for (let i = 0; i < others; i++) {
        const c = calls[i + 1]!;
        ctl[i * SLOT + 2] = id;
        ctl[i * SLOT + 3] = kernel;
        ctl[i * SLOT + 4] = c.length;
        for (let k = 0; k < c.length; k++) args[i * MAX_ARGS + k] = c[k]!;
      }
      const first = signal(others, RUN, () => local(...calls[0]!) ?? 0);
      const out = [first];
      for (let i = 0; i < others; i++) out.push(results[i]!);
      return out;
    },
    runAlongside(memory, name, calls, alongside) {
      if (closed) throw new Error("nodeThreadPool: the pool is closed");
      if (broken !== undefined) throw unusable();
      if (calls.length > workers)
        throw new RangeError(`nodeThreadPool: ${calls.length} calls for ${workers} workers`);
      const id = idFor(memory);
      const kernel = NAMES.indexOf(name);
      calls.forEach((c, i) => {
        ctl[i * SLOT + 2] = id;
        ctl[i * SLOT + 3] = kernel;
        ctl[i * SLOT + 4] = c.length;
        for (let k = 0; k < c.length; k++) args[i * MAX_ARGS + k] = c[k]!;
      });
      signal(calls.length, RUN, () => {
        alongside();
        return 0;
      });
    },
    release(memory) {
      const id = ids.get(memory);
      if (id === undefined) return;
      ids.delete(memory);
      if (closed || broken !== undefined) return;
      for (let i = 0; i < workers; i++) ctl[i * SLOT + 2] = id;
      signal(workers, RELEASE);
    },
    close() {
      if (closed) return;
      closed = true;
      for (let i = 0; i < workers; i++) {
        ctl[i * SLOT + 1] = STOP;
        Atomics.add(ctl, i * SLOT, 1);
        Atomics.notify(ctl, i * SLOT);
      }
      for (const w of pool) void w.terminate();
    },
  };
  return api;
}
