/**
 * The filter gradient of a 2-D convolution (`Conv2DBackpropFilter`), NHWC, for TF.js's cpu and wasm
 * backends — what the CLI's CNN needs. tfjs-backend-wasm has no such kernel (a CNN cannot train
 * there), and tfjs-backend-cpu's reads every element through `TensorBuffer.get` (≈ 2 s per batch of
 * 64 for the first layer of the small CNN). This one indexes the arrays directly and sums each
 * filter entry in the same order as tfjs-backend-cpu (batch, output row, output column; in float64,
 * rounded to float32 once), so on cpu its result is bit-identical to the kernel it replaces.
 */
import * as tf from "@tensorflow/tfjs-core";

interface Inputs {
  x: tf.TensorInfo;
  dy: tf.TensorInfo;
}
interface Attrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
}
interface AnyBackend {
  readSync(dataId: object): unknown;
  makeTensorInfo?(shape: number[], dtype: "float32", values: Float32Array): tf.TensorInfo;
  makeOutput?(shape: number[], dtype: "float32", offset: undefined, values: Float32Array): tf.TensorInfo;
}

/** dW[r, c, i, o] = Σ_b Σ_y Σ_x x[b, y·s + r − top, x·s + c − left, i] · dy[b, y, x, o]. */
export function conv2dFilterGradient(
  x: Float32Array,
  xShape: readonly [number, number, number, number],
  dy: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): Float32Array {
  const [batch, inH, inW, inC] = xShape;
  const { outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const acc = new Float64Array(filterHeight * filterWidth * inC * outChannels);
  // A zero input adds ±0, which changes no sum, unless dy holds an Inf or NaN (0·Inf is NaN).
  const skipZeros = dy.every(Number.isFinite);
  for (let b = 0; b < batch; b++) {
    for (let yr = 0; yr < outHeight; yr++) {
      for (let yc = 0; yc < outWidth; yc++) {
        const dyAt = ((b * outHeight + yr) * outWidth + yc) * outChannels;
        for (let r = 0; r < filterHeight; r++) {
          const xr = yr * strideHeight + r - top;
          if (xr < 0 || xr >= inH) continue;
          for (let c = 0; c < filterWidth; c++) {
            const xc = yc * strideWidth + c - left;
            if (xc < 0 || xc >= inW) continue;
            const xAt = ((b * inH + xr) * inW + xc) * inC;
            const wAt = (r * filterWidth + c) * inC * outChannels;
            for (let i = 0; i < inC; i++) {
              const xv = x[xAt + i]!;
              if (xv === 0 && skipZeros) continue;
              const row = wAt + i * outChannels;
              for (let o = 0; o < outChannels; o++) acc[row + o]! += xv * dy[dyAt + o]!;
            }
          }
        }
      }
    }
  }
  return Float32Array.from(acc);
}

let registered = false;

/** Registers the kernel for "cpu" (replacing tfjs's) and "wasm" (which has none). Idempotent. */
export function registerConvFilterGradient(): void {
  if (registered) return;
  registered = true;
  const kernelFunc = ({ inputs, backend, attrs }: { inputs: unknown; backend: unknown; attrs?: unknown }) => {
    const { x, dy } = inputs as Inputs;
    const a = attrs as unknown as Attrs;
    const be = backend as AnyBackend;
    if (a.dataFormat !== "NHWC") throw new Error("Conv2DBackpropFilter: only NHWC is supported here");
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      a.filterShape,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      false,
      "channelsLast",
    );
    const values = conv2dFilterGradient(
      be.readSync(x.dataId) as Float32Array,
      x.shape as [number, number, number, number],
      be.readSync(dy.dataId) as Float32Array,
      info,
    );
    if (be.makeTensorInfo) return be.makeTensorInfo([...a.filterShape], "float32", values);
    return be.makeOutput!([...a.filterShape], "float32", undefined, values);
  };
  for (const backendName of ["cpu", "wasm"]) {
    if (tf.getKernel("Conv2DBackpropFilter", backendName))
      tf.unregisterKernel("Conv2DBackpropFilter", backendName);
    tf.registerKernel({
      kernelName: "Conv2DBackpropFilter",
      backendName,
      kernelFunc: kernelFunc as tf.KernelFunc,
    });
  }
}
