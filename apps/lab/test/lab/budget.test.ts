/**
 * The Lab's time budget, from what each experiment declares a run costs (the runner prints measured
 * beside it; the declared costs are a run's measured ones, per run): quick mode 10 minutes, `--full`
 * 90, on the 2-core reference machine.
 */
import { describe, expect, it } from "vitest";
import { EXPERIMENT_IDS, loadExperiment } from "../../src/lab/registry.ts";
import { RUNS } from "../../src/lab/verdicts.ts";

describe("the Lab's budget", () => {
  it("quick mode fits 10 minutes on the 2-core reference machine, counting every seed's run", async () => {
    let coreSeconds = 0;
    for (const id of EXPERIMENT_IDS) {
      const e = await loadExperiment(id);
      expect(e.cost, id).toBeGreaterThan(0);
      expect(e.fullCost, id).toBeGreaterThan(0);
      coreSeconds += e.cost * (e.deterministic ? 1 : RUNS.quick);
    }
    // both cores busy: wall time is half the core-seconds
    expect(coreSeconds / 2).toBeLessThanOrEqual(600);
  });

  it("--full fits 90 minutes on the same machine", async () => {
    let coreSeconds = 0;
    for (const id of EXPERIMENT_IDS) {
      const e = await loadExperiment(id);
      coreSeconds += e.fullCost * (e.deterministic ? 1 : RUNS.full);
    }
    expect(coreSeconds / 2).toBeLessThanOrEqual(90 * 60);
  });
});
