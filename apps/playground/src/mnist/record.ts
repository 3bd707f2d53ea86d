/**
 * Recording a step of the page's run for the test's replay: the variables' values and the
 * optimizer's saved state (read from the device asynchronously: webgpu's synchronous reads go
 * through a canvas), encoded compactly so they cross to Node in a few strings.
 */
import type * as tf from "@tensorflow/tfjs-core";
import { floatsToBase64 } from "momenta-optim";
import { type MomentaOptimizer, stateFromWords } from "momenta-optim/tfjs";
import type { Floats, Values } from "./protocol.ts";

/** Each tensor's values, base64, by name. */
export async function encodeTensors(named: Record<string, tf.Tensor>): Promise<Floats> {
  const entries = await Promise.all(
    Object.entries(named).map(async ([n, t]) => [n, floatsToBase64((await t.data()) as Float32Array)]),
  );
  return Object.fromEntries(entries);
}

/** The variables' values and the optimizer's state as `getWeights` saves it. */
export async function values(variables: readonly tf.Variable[], opt: MomentaOptimizer): Promise<Values> {
  const params = await encodeTensors(Object.fromEntries(variables.map((v) => [v.name, v])));
  if (opt.iterations === 0) return { params, state: undefined };
  const weights = await opt.getWeights(); // owned by the optimizer: freed by its next call or dispose
  return { params, state: stateFromWords(await weights[1]!.tensor.data()) };
}
