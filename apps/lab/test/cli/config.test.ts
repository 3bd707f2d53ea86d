/** `momenta train`'s config: flags and JSON files validated by one schema, with messages that say what is allowed. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as m from "momenta-optim";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_LR,
  NOT_IN_CLI,
  OPTIMIZERS,
  optimizerKeys,
  parseConfig,
  resolveSchedule,
  SCHEDULES,
} from "../../src/cli/config.ts";
import { configInput } from "../../src/cli/flags.ts";
import { main } from "../../src/cli/main.ts";
import { buildTransform, TFJS_DEFAULTS } from "../../src/cli/optimizer.ts";
import { capture, tempDir } from "./io.ts";

async function run(...argv: string[]) {
  const c = capture();
  const code = await main(["train", ...argv], c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

async function resolved(...argv: string[]) {
  const r = await run(...argv, "--print-config");
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe("momenta train: flags and config validation", () => {
  it("a bad optimizer name lists every allowed one (and suggests the closest)", async () => {
    const r = await run("--optimizer", "adamx");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: --optimizer: expected one of ${OPTIMIZERS.join(", ")}, got 'adamx' (did you mean 'adam'?)\n`,
    );
  });

  it("a bad number says what is expected and what was given", async () => {
    expect((await run("--lr", "abc")).stderr).toBe("error: --lr: expected a number > 0, got 'abc'\n");
    expect((await run("--lr", "-0.1")).stderr).toBe("error: --lr: expected a number > 0, got '-0.1'\n");
    expect((await run("--epochs", "1.5")).stderr).toBe(
      "error: --epochs: expected an integer >= 1, got '1.5'\n",
    );
    expect((await run("--betas", "0.9,1")).stderr).toBe(
      "error: --betas[1]: expected a number in [0, 1), got '1'\n",
    );
    expect((await run("--betas", "0.9")).stderr).toMatch(
      /^error: --betas: expected a pair \[beta1, beta2\], e.g. 0.9,0.999, got .0.9.$/m,
    );
  });

  it("every problem is reported at once, each where it was typed", async () => {
    const r = await run(
      "--optimizer",
      "adam",
      "--opt",
      "weight_decay=0.1",
      "--backend",
      "gpu",
      "--schedule",
      "cosine",
    );
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([
      "error: --opt weight_decay: unknown option 'weight_decay' for adam (did you mean 'weightDecay'?) (allowed: name, lr, weightDecay, mask, betas, eps, amsgrad, stateDtype, stateSeed)",
      "error: --schedule: expected one of none, constantLr, linearLr, stepLr, multiStepLr, exponentialLr, polynomialLr, cosineAnnealingLr, oneCycleLr, warmupCosineDecay, warmupStableDecay, got 'cosine' (did you mean 'cosineAnnealingLr'?)",
      "error: --backend: expected one of wasm, cpu, got 'gpu' (did you mean 'cpu'?)",
    ]);
  });

  it("an unknown key in a JSON config is named with the file and the keys allowed there", async () => {
    const dir = tempDir("config");
    const file = join(dir, "train.json");
    writeFileSync(file, JSON.stringify({ optimizer: { name: "adamw", learningRate: 0.1 }, epoch: 3 }));
    const r = await run("--config", file);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([
      `error: ${file}: optimizer: unknown key 'learningRate' for adamw (allowed: name, lr, weightDecay, mask, betas, eps, amsgrad, stateDtype, stateSeed, decayWith)`,
      `error: ${file}: unknown key 'epoch' for the config (did you mean 'epochs'?) (allowed: model, optimizer, schedule, clip, epochs, batchSize, seed, backend, data, out, diagnostics)`,
    ]);
    writeFileSync(file, JSON.stringify({ optimizer: { name: "sgd", momentum: 2 }, data: { train: 9000 } }));
    expect((await run("--config", file)).stderr.trim().split("\n")).toEqual([
      `error: ${file}: optimizer.momentum: expected a number in [0, 1], got 2`,
      `error: ${file}: data: train + test must be at most 10000 (the digits the mnist package has), got 9000 + 2000`,
    ]);
    writeFileSync(file, "{ optimizer: adam }");
    expect((await run("--config", file)).stderr).toMatch(
      /^error: --config: '.*train\.json' is not valid JSON/,
    );
    expect((await run("--config", join(dir, "missing.json"))).stderr).toMatch(
      /cannot read '.*missing\.json' \(ENOENT\)/,
    );
  });

  it("flags and the file fill one schema: flags win, and another --optimizer replaces the file's section", async () => {
    const dir = tempDir("merge");
    const file = join(dir, "train.json");
    writeFileSync(
      file,
      JSON.stringify({
        optimizer: { name: "adamw", lr: 0.01, betas: [0.9, 0.95] },
        epochs: 5,
        model: { hidden: [64] },
      }),
    );
    const a = await resolved("--config", file, "--lr", "0.002", "--weight-decay", "0.05");
    expect(a.optimizer).toEqual({ name: "adamw", lr: 0.002, betas: [0.9, 0.95], weightDecay: 0.05 });
    expect(a.epochs).toBe(5);
    expect(a.model).toEqual({ type: "mlp", hidden: [64], filters: [8, 16] });
    const b = await resolved("--config", file, "--optimizer", "sgd", "--momentum", "0.9");
    expect(b.optimizer).toEqual({ name: "sgd", lr: DEFAULT_LR.sgd, momentum: 0.9 });
    const c = await resolved(
      "--hidden",
      "none",
      "--opt",
      "amsgrad=true",
      "--opt",
      "betas=0.8,0.99",
      "--clip",
      "none",
    );
    expect(c.model.hidden).toEqual([]);
    expect(c.optimizer).toEqual({ name: "adamw", lr: 1e-3, amsgrad: true, betas: [0.8, 0.99] });
    expect(c.clip).toBeNull();
  });

  it("schedules get their step counts from the run's length, and a printed config is a valid config", async () => {
    const r = await resolved("--schedule", "cosineAnnealingLr", "--epochs", "4", "--batch-size", "100");
    expect(r.schedule).toEqual({ name: "cosineAnnealingLr" });
    expect(resolveSchedule(r)).toEqual({ name: "cosineAnnealingLr", tMax: 4 * 80 });
    expect(resolveSchedule({ ...r, epochs: 6 })).toEqual({ name: "cosineAnnealingLr", tMax: 6 * 80 });
    const w = await resolved("--schedule", "warmupStableDecay", "--epochs", "1", "--batch-size", "80");
    expect(resolveSchedule(w)).toEqual({
      name: "warmupStableDecay",
      warmupSteps: 0,
      decaySteps: 20,
      stableSteps: 80,
    });
    const given = await resolved("--schedule", "stepLr", "--schedule-opt", "stepSize=7");
    expect(resolveSchedule(given)).toEqual({ name: "stepLr", stepSize: 7 });
    expect(parseConfig(r, { flags: new Map() })).toEqual(r);
    expect((await run("--schedule", "exponentialLr")).stderr).toBe(
      "error: schedule exponentialLr needs 'gamma': expected a number >= 0 (--schedule-opt gamma=…)\n",
    );
    expect((await run("--schedule", "stepLr", "--schedule-opt", "lr=0.1")).stderr).toBe(
      "error: --schedule-opt lr: unknown option 'lr' for schedule stepLr (allowed: name, stepSize, gamma); the schedule's base value is the optimizer's lr (--lr)\n",
    );
  });

  it("momenta's own checks run before training and name the flag", async () => {
    const r = await run(
      "--schedule",
      "warmupCosineDecay",
      "--schedule-opt",
      "warmupSteps=500",
      "--schedule-opt",
      "decaySteps=100",
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: --schedule-opt warmupSteps: warmupCosineDecay: decaySteps (100) must exceed warmupSteps (500)\n",
    );
  });

  it("nothing typed is evaluated: masks are named choices, values are data", async () => {
    const r = await run("--decay-mask", "(p) => true");
    expect(r.stderr).toBe(
      "error: --decay-mask: expected one of all, excludeBiasAndNorm, got '(p) => true'\n",
    );
    const { input } = configInput({ opt: ["lr=1e-3*10"] }, undefined);
    expect((input.optimizer as { lr: unknown }).lr).toBe("1e-3*10");
    expect((await run("--opt", "lr=1e-3*10")).stderr).toBe(
      "error: --opt lr: expected a number > 0, got '1e-3*10'\n",
    );
  });

  it("--resume takes only --epochs, --out, --backend, --stop-after and --diagnostics-jsonl; --compare only known recipes and no --optimizer", async () => {
    const r = await run("--resume", "somewhere", "--lr", "0.1");
    expect(r.stderr).toBe(
      "error: --lr: not with --resume (the checkpoint's config is used; with --resume you may give --epochs, --out, --backend, --stop-after, --diagnostics-jsonl)\n",
    );
    expect((await run("--resume", tempDir("empty"))).stderr).toMatch(/^error: --resume: no checkpoint in/);
    expect((await run("--compare", "adam-l2,adamx")).stderr).toMatch(
      /^error: --compare: unknown recipe 'adamx' \(allowed: adam, adam-l2, adamw, /,
    );
    expect((await run("--compare", "adamw", "--optimizer", "sgd")).stderr).toMatch(
      /^error: --optimizer: not with --compare/,
    );
  });

  it("commander's own errors (unknown flag) exit with 2 and a suggestion", async () => {
    const r = await run("--lrr", "1");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--lrr'");
    expect(r.stderr).toContain("--lr");
  });

  it("the optimizers and their options come from momenta's declarations: every declared optimizer and option is offered but the stated exceptions", () => {
    const declared = Object.entries(m).flatMap(([name, f]) => {
      const d = m.declarationOf(f);
      return d ? [{ name, d }] : [];
    });
    expect(declared.length).toBeGreaterThanOrEqual(15);
    for (const { name, d } of declared) {
      if (Object.hasOwn(NOT_IN_CLI, name)) {
        expect(OPTIMIZERS as string[]).not.toContain(name);
        continue;
      }
      expect(OPTIMIZERS as string[]).toContain(name);
      const n = name as (typeof OPTIMIZERS)[number];
      expect(DEFAULT_LR[n]).toBe(
        (m as unknown as Record<string, { defaults: { lr: number } }>)[name]!.defaults.lr,
      );
      // every declared option but the CLI's stated differences (maximize: training minimizes; muonMask)
      const offered = Object.keys(d.options).filter((k) => k !== "maximize" && k !== "muonMask");
      expect(optimizerKeys(n)).toEqual(["name", ...offered]);
      // the defaults, written out in a config, are accepted and build the same optimizer
      const defaults = Object.fromEntries(
        Object.entries((m as unknown as Record<string, { defaults: object }>)[name]!.defaults).filter(
          ([k, v]) => v !== undefined && offered.includes(k),
        ),
      );
      expect(
        () => parseConfig({ optimizer: { name, ...defaults } }, { flags: new Map() }),
        name,
      ).not.toThrow();
    }
  });

  it("every optimizer and schedule builds; DEFAULT_LR is momenta's default lr for each optimizer", () => {
    for (const name of OPTIMIZERS) {
      const config = parseConfig({ optimizer: { name } }, { flags: new Map() });
      const step = (tx: m.AnyTransformation) => {
        const params = { w: { data: new Float64Array([0.5, -1, 2, 0.1, 0.3, -0.7]), shape: [2, 3] } };
        const opt = m.createOptimizer(tx as m.GradientTransformation<unknown>, params, {
          kernel: "reference",
        });
        for (let t = 0; t < 3; t++)
          opt.step({ w: { data: new Float64Array([1, -2, 0.5, 3, -1, 0.25]), shape: [2, 3] } });
        return Array.from(params.w.data);
      };
      const factory = (m as unknown as Record<string, (o?: object) => m.AnyTransformation>)[name]!;
      // the library's defaults, but those the CLI's TF.js models need (muon's outputAxis "last")
      const declared = m.declarationOf(factory)!.options;
      const tfjs = Object.fromEntries(Object.entries(TFJS_DEFAULTS).filter(([k]) => k in declared));
      expect(step(buildTransform(config).tx), name).toEqual(step(factory(tfjs)));
    }
    for (const name of SCHEDULES) {
      const options =
        name === "exponentialLr" ? { gamma: 0.99 } : name === "multiStepLr" ? { milestones: [10] } : {};
      const config = parseConfig({ schedule: { name, ...options } }, { flags: new Map() });
      expect(buildTransform(config).lrAt(0), name).toBeGreaterThan(name === "warmupCosineDecay" ? -1 : 0);
    }
  });

  describe("issue #14: options for the default optimizer or schedule, and commander's errors, get one line", () => {
    // Each of these crashed with "Cannot convert undefined or null to object" (exit 1).
    const ADAMW_KEYS =
      "(allowed: name, lr, weightDecay, mask, betas, eps, amsgrad, stateDtype, stateSeed, decayWith)";
    const NO_OPTIMIZER = `no optimizer was named, so it is adamw (the default)`;
    const HOW = (kind: string) => `(name one with --${kind}, or "name" in the config's ${kind} section)`;

    it("--opt k=v without --optimizer", async () => {
      const r = await run("--opt", "momentum=0.9");
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `error: --opt momentum: unknown option 'momentum' for adamw ${ADAMW_KEYS}; ${NO_OPTIMIZER}: momentum is an option of lars, muon, rmsprop, sgd, sgdw ${HOW("optimizer")}\n`,
      );
      expect((await run("--opt", "foo=1")).stderr).toBe(
        `error: --opt foo: unknown option 'foo' for adamw ${ADAMW_KEYS}; ${NO_OPTIMIZER} ${HOW("optimizer")}\n`,
      );
    });

    it("--momentum 0.9 with the default optimizer", async () => {
      const r = await run("--momentum", "0.9");
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `error: --momentum: unknown option 'momentum' for adamw ${ADAMW_KEYS}; ${NO_OPTIMIZER}: momentum is an option of lars, muon, rmsprop, sgd, sgdw ${HOW("optimizer")}\n`,
      );
      // with an optimizer named, the hint only says who has the option
      expect((await run("--optimizer", "adam", "--momentum", "0.9")).stderr).toBe(
        "error: --momentum: unknown option 'momentum' for adam (allowed: name, lr, weightDecay, mask, betas, eps, amsgrad, stateDtype, stateSeed); momentum is an option of lars, muon, rmsprop, sgd, sgdw\n",
      );
    });

    it("--schedule-opt without --schedule", async () => {
      const r = await run("--schedule-opt", "warmupSteps=3");
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `error: --schedule-opt warmupSteps: unknown option 'warmupSteps' for schedule none (allowed: name); no schedule was named, so there is none: warmupSteps is an option of warmupCosineDecay, warmupStableDecay ${HOW("schedule")}\n`,
      );
    });

    it("a config whose optimizer (or schedule) section has no name", async () => {
      const file = join(tempDir("noname"), "train.json");
      writeFileSync(file, JSON.stringify({ optimizer: { lr: 0.1, momentum: 0.9 } }));
      const r = await run("--config", file);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `error: ${file}: optimizer: unknown key 'momentum' for adamw ${ADAMW_KEYS}; ${NO_OPTIMIZER}: momentum is an option of lars, muon, rmsprop, sgd, sgdw ${HOW("optimizer")}\n`,
      );
      writeFileSync(file, JSON.stringify({ schedule: { gamma: 0.1 } }));
      expect((await run("--config", file)).stderr).toBe(
        `error: ${file}: schedule: unknown key 'gamma' for schedule none (allowed: name); no schedule was named, so there is none: gamma is an option of stepLr, multiStepLr, exponentialLr ${HOW("schedule")}\n`,
      );
    });

    it("found by the fuzz test: control characters are shown escaped; --compare's note waits for a valid config", async () => {
      expect((await run("--lr", "a\nb")).stderr).toBe("error: --lr: expected a number > 0, got 'a\\nb'\n");
      const file = join(tempDir("compare-note"), "train.json");
      writeFileSync(file, JSON.stringify({ optimizer: { name: "sgd" } }));
      expect((await run("--compare", "adam", "--model", "", "--config", file)).stderr).toBe(
        "error: --model: expected one of mlp, cnn, got ''\n",
      );
    });

    it("commander's errors are one line too (its suggestion used to take a second one)", async () => {
      expect((await run("--lrr", "1")).stderr).toBe("error: unknown option '--lrr' (Did you mean --lr?)\n");
    });
  });
});
