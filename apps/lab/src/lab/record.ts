/** What the Lab keeps of one experiment's run: its identity, its result or the error that stopped it. */
import type { Experiment, ExperimentResult } from "./experiment.ts";
import type { RunSummary } from "./verdicts.ts";

export interface LabRecord {
  id: string;
  title: string;
  claim: string;
  problemIds: string[];
  result?: ExperimentResult;
  /** Set when the experiment threw: the message (the report shows it in place of a verdict). */
  error?: string;
  /** Wall-clock seconds, summed over the runs (console only: kept out of the report so reruns are identical). */
  seconds: number;
  /** Over seeds (see verdicts.ts): k runs of n reached the verdict's class; whether any run disagreed; each run. */
  agreement?: { k: number; n: number };
  seedSensitive?: boolean;
  runs?: RunSummary[];
}

export function describe(e: Experiment): Pick<LabRecord, "id" | "title" | "claim" | "problemIds"> {
  return { id: e.id, title: e.title, claim: e.claim, problemIds: [...e.problemIds] };
}
