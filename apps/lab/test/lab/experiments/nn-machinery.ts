/** Shared smoke checks for the Lab's TF.js experiments: the common smoke check plus no tensor leaks. */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import { expect } from "vitest";
import type { Experiment, ExperimentResult } from "../../../src/lab/experiment.ts";
import { labBackend } from "../../../src/lab/problems/mnist.ts";
import { smokeCheck } from "./smoke.ts";

/** Runs `e` twice in smoke mode and checks the machinery; returns the first result. */
export async function checkSmoke(
  e: Experiment,
  id: string,
  setupMentions: string[],
): Promise<ExperimentResult> {
  await labBackend();
  const before = tf.memory().numTensors;
  return smokeCheck(e, id, {
    mentions: setupMentions,
    afterFirstRun: () => expect(tf.memory().numTensors).toBe(before),
  });
}
