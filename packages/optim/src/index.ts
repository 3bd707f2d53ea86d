/**
 * momenta-optim: composable, PyTorch-exact optimizers for TypeScript — gradient transformations you
 * chain (Optax's design), the optimizers PyTorch users know built from them, schedules, clipping,
 * wrappers, diagnostics and fused kernels. This entry point names every public export, in groups
 * (as Optax's `__init__.py` does); anything it does not export is internal and may change.
 *
 * @module momenta-optim
 */

// Trees: the param containers every transform walks, and how to visit and compare them.

export {
  assertSameStructure,
  cloneTree,
  type Dtype,
  type Flat,
  type FloatArray,
  flatten,
  forEachLeaf,
  type Leaf,
  leavesOf,
  type Mask,
  type MaskTree,
  mapTree,
  type ShapedLeaf,
  structureMismatch,
  type Tree,
  zerosLike,
  zipLeaves,
} from "./tree.js";

// The transform contract: what a transform is, how transforms compose, and binding one to params.

export {
  type CreateOptimizerOptions,
  createOptimizer,
  type OptimizerHandle,
} from "./create-optimizer.js";
export type {
  HookHandle,
  LoadStateDictPreHook,
  StateDictPostHook,
  StepPostHook,
  StepPreHook,
} from "./optimizer-hooks.js";
export {
  type AnyTransformation,
  applyUpdates,
  type Closure,
  type ClosureUpdate,
  type Config,
  chain,
  type Evaluation,
  type GradientTransformation,
  type Hyperparams,
  identity,
  type StateBuffers,
  type StateOf,
  stateBuffers,
} from "./transform.js";

// Optimizers: the torch.optim (and Optax) aliases, each a chain of building blocks, and their options.

export { type AdabeliefOptions, adabelief } from "./optimizers/adabelief.js";
export { type AdadeltaOptions, adadelta } from "./optimizers/adadelta.js";
export { type AdafactorOptions, adafactor } from "./optimizers/adafactor.js";
export { type AdagradOptions, adagrad } from "./optimizers/adagrad.js";
export { type AdamOptions, adam } from "./optimizers/adam.js";
export { type AdamaxOptions, adamax } from "./optimizers/adamax.js";
export { type AdamwOptions, adamw } from "./optimizers/adamw.js";
export { type AdanOptions, adan } from "./optimizers/adan.js";
export { type AdemamixOptions, ademamix } from "./optimizers/ademamix.js";
export { type AdoptOptions, adopt } from "./optimizers/adopt.js";
export { type AsgdOptions, asgd } from "./optimizers/asgd.js";
export type {
  CommonOptions,
  DecayWith,
  EitherDecayOptions,
  Optimizer,
  OptimizerState,
} from "./optimizers/common.js";
export { type DadaptAdamwOptions, dadaptAdamw } from "./optimizers/dadapt-adamw.js";
export {
  type BooleanOption,
  type ChoiceOption,
  type DecayKind,
  type DeclaredOptimizer,
  declarationOf,
  declareOptimizer,
  type MaskOption,
  type NestedOption,
  type NumberOption,
  type OptimizerDeclaration,
  type Option,
  type OptionSpec,
  type OptionsOf,
  option,
  type Resolved,
  type TupleItem,
  type TupleOption,
} from "./optimizers/declaration.js";
export { type FtrlOptions, ftrl } from "./optimizers/ftrl.js";
export { type LambOptions, lamb } from "./optimizers/lamb.js";
export { type LarsOptions, lars } from "./optimizers/lars.js";
export { type LbfgsOptions, lbfgs } from "./optimizers/lbfgs.js";
export { type LionOptions, lion } from "./optimizers/lion.js";
export { type MuonOptions, muon } from "./optimizers/muon.js";
export { type NadamOptions, nadam } from "./optimizers/nadam.js";
export { type ProdigyOptions, prodigy } from "./optimizers/prodigy.js";
export { type RadamOptions, radam } from "./optimizers/radam.js";
export { type RmspropOptions, rmsprop } from "./optimizers/rmsprop.js";
export { type RpropOptions, rprop } from "./optimizers/rprop.js";
export { type ScheduleFreeAdamwOptions, scheduleFreeAdamw } from "./optimizers/schedule-free-adamw.js";
export { type SgdOptions, sgd } from "./optimizers/sgd.js";
export { type SgdwOptions, sgdw } from "./optimizers/sgdw.js";
export { type SoapOptions, soap } from "./optimizers/soap.js";
export { type YogiOptions, yogi } from "./optimizers/yogi.js";

// Building blocks: the preconditioners, momenta and scalings the optimizers are chained from.

export type {
  CompactStateOptions,
  MomentBuffer,
  QuantizedBuffer,
  StateDtype,
} from "./transforms/compact-state.js";
export type { DistanceEstimateOptions, DistanceEstimateState } from "./transforms/distance-estimate.js";
export {
  type NewtonSchulzOptions,
  NS_COEFFICIENTS,
  newtonSchulz,
} from "./transforms/orthogonalize.js";
export { scale } from "./transforms/scale.js";
export {
  type ScaleByAdadeltaOptions,
  type ScaleByAdadeltaState,
  scaleByAdadelta,
} from "./transforms/scale-by-adadelta.js";
export { type ScaleByAdamOptions, type ScaleByAdamState, scaleByAdam } from "./transforms/scale-by-adam.js";
export {
  type ScaleByAdamaxOptions,
  type ScaleByAdamaxState,
  scaleByAdamax,
} from "./transforms/scale-by-adamax.js";
export { type ScaleByAdanOptions, type ScaleByAdanState, scaleByAdan } from "./transforms/scale-by-adan.js";
export {
  type ScaleByAdemamixOptions,
  type ScaleByAdemamixState,
  scaleByAdemamix,
} from "./transforms/scale-by-ademamix.js";
export {
  type ScaleByAdoptOptions,
  type ScaleByAdoptState,
  scaleByAdopt,
} from "./transforms/scale-by-adopt.js";
export { type ScaleByAsgdOptions, type ScaleByAsgdState, scaleByAsgd } from "./transforms/scale-by-asgd.js";
export {
  type ScaleByBeliefOptions,
  type ScaleByBeliefState,
  scaleByBelief,
} from "./transforms/scale-by-belief.js";
export {
  type ScaleByDadaptAdamwOptions,
  type ScaleByDadaptAdamwState,
  scaleByDadaptAdamw,
} from "./transforms/scale-by-dadapt-adamw.js";
export {
  type ScaleByFactoredRmsOptions,
  type ScaleByFactoredRmsState,
  scaleByFactoredRms,
} from "./transforms/scale-by-factored-rms.js";
export { type ScaleByFtrlOptions, type ScaleByFtrlState, scaleByFtrl } from "./transforms/scale-by-ftrl.js";
export {
  type LbfgsPair,
  type ScaleByLbfgsOptions,
  type ScaleByLbfgsState,
  scaleByLbfgs,
} from "./transforms/scale-by-lbfgs.js";
export { type CountState, scaleByLearningRate } from "./transforms/scale-by-learning-rate.js";
export { type ScaleByLionOptions, type ScaleByLionState, scaleByLion } from "./transforms/scale-by-lion.js";
export {
  type MuonAdjustLr,
  type MuonOutputAxis,
  type ScaleByMuonOptions,
  type ScaleByMuonState,
  scaleByMuon,
} from "./transforms/scale-by-muon.js";
export {
  type ScaleByNadamOptions,
  type ScaleByNadamState,
  scaleByNadam,
} from "./transforms/scale-by-nadam.js";
export { scaleByParamBlockRms } from "./transforms/scale-by-param-block-rms.js";
export {
  type ScaleByProdigyOptions,
  type ScaleByProdigyState,
  scaleByProdigy,
} from "./transforms/scale-by-prodigy.js";
export {
  type ScaleByRadamOptions,
  type ScaleByRadamState,
  scaleByRadam,
} from "./transforms/scale-by-radam.js";
export { type ScaleByRmsOptions, type ScaleByRmsState, scaleByRms } from "./transforms/scale-by-rms.js";
export {
  type ScaleByRpropOptions,
  type ScaleByRpropState,
  scaleByRprop,
} from "./transforms/scale-by-rprop.js";
export { type ScaleByRssOptions, type ScaleByRssState, scaleByRss } from "./transforms/scale-by-rss.js";
export { scaleBySchedule } from "./transforms/scale-by-schedule.js";
export {
  type ScaleBySoapOptions,
  type ScaleBySoapState,
  type SoapLeafState,
  scaleBySoap,
} from "./transforms/scale-by-soap.js";
export { scaleByTrustRatio } from "./transforms/scale-by-trust-ratio.js";
export { type ScaleByYogiOptions, type ScaleByYogiState, scaleByYogi } from "./transforms/scale-by-yogi.js";
export { type TraceOptions, type TraceState, trace } from "./transforms/trace.js";

// Schedules: hyperparameters as functions of the update count, after torch.optim.lr_scheduler and Optax.

export type { Hyper, Schedule } from "./hyper.js";
export type { BaseSchedule } from "./schedules/base.js";
export { chainedScheduler } from "./schedules/chained-scheduler.js";
export { type ConstantLrOptions, constantLr } from "./schedules/constant-lr.js";
export { type CosineAnnealingLrOptions, cosineAnnealingLr } from "./schedules/cosine-annealing-lr.js";
export {
  type CosineAnnealingWarmRestartsOptions,
  cosineAnnealingWarmRestarts,
} from "./schedules/cosine-annealing-warm-restarts.js";
export {
  type CyclicLrOptions,
  type CyclicMode,
  type CyclicSchedules,
  cyclicLr,
} from "./schedules/cyclic-lr.js";
export { type ExponentialLrOptions, exponentialLr } from "./schedules/exponential-lr.js";
export { join } from "./schedules/join.js";
export { type LambdaLrOptions, lambdaLr } from "./schedules/lambda-lr.js";
export { type LinearLrOptions, linearLr } from "./schedules/linear-lr.js";
export { type MultiStepLrOptions, multiStepLr } from "./schedules/multi-step-lr.js";
export { type MultiplicativeLrOptions, multiplicativeLr } from "./schedules/multiplicative-lr.js";
export { type OneCycleLrOptions, type OneCycleSchedules, oneCycleLr } from "./schedules/one-cycle-lr.js";
export { type PolynomialLrOptions, polynomialLr } from "./schedules/polynomial-lr.js";
export {
  type PlateauScheduler,
  type PlateauState,
  type ReduceLrOnPlateauOptions,
  reduceLrOnPlateau,
} from "./schedules/reduce-lr-on-plateau.js";
export { sequentialLr } from "./schedules/sequential-lr.js";
export { type StepLrOptions, stepLr } from "./schedules/step-lr.js";
export { type SwaLrOptions, swaLr } from "./schedules/swa-lr.js";
export { type WarmupCosineDecayOptions, warmupCosineDecay } from "./schedules/warmup-cosine-decay.js";
export { type WarmupStableDecayOptions, warmupStableDecay } from "./schedules/warmup-stable-decay.js";

// Clipping: bounding gradients (or updates) by value, by norm, per leaf or per unit.

export { adaptiveGradClip } from "./clipping/adaptive-grad-clip.js";
export { clipByBlockNorm } from "./clipping/clip-by-block-norm.js";
export { clipByBlockRms } from "./clipping/clip-by-block-rms.js";
export {
  type ClipByGlobalNormOptions,
  type ClipState,
  clipByGlobalNorm,
} from "./clipping/clip-by-global-norm.js";
export { clipByValue } from "./clipping/clip-by-value.js";
export { type GlobalNormOptions, globalNorm } from "./clipping/global-norm.js";

// Weight decay: the decay link itself, the usual mask, and keeping the decay when the lr changes.

export { excludeBiasAndNorm } from "./decay/exclude-bias-and-norm.js";
export { rescaleWeightDecay } from "./decay/rescale-weight-decay.js";
export { addDecayedWeights, type DecayOptions } from "./transforms/add-decayed-weights.js";

// Wrappers: transforms that take a transform — accumulation, averaging, freezing, param groups, live
// hyperparameters, Lookahead, Schedule-Free, skipping non-finite steps.

export { type AccumulateState, accumulateGradients } from "./wrappers/accumulate-gradients.js";
export {
  type AverageState,
  type Averaging,
  averagedParams,
  ema,
  type PolyakOptions,
  polyak,
} from "./wrappers/average-params.js";
export { freeze } from "./wrappers/freeze.js";
export { type InjectState, injectHyperparams } from "./wrappers/inject-hyperparams.js";
export type { Wrapped } from "./wrappers/inner.js";
export { type LookaheadState, lookahead } from "./wrappers/lookahead.js";
export {
  type Labels,
  type LabelTree,
  type PartitionState,
  partition,
} from "./wrappers/partition.js";
export { type SamOptions, type SamState, sam } from "./wrappers/sam.js";
export {
  type ScheduleFreeOptions,
  type ScheduleFreeState,
  scheduleFree,
  scheduleFreeEval,
  scheduleFreeEvalParams,
  scheduleFreeTrain,
} from "./wrappers/schedule-free.js";
export { type SkipState, skipNonFinite } from "./wrappers/skip-non-finite.js";

// Recipes: a whole training set-up as one transform (runs on the fused kernels).

export { type AdamwRecipeOptions, adamwRecipe } from "./recipes/adamw-recipe.js";

// State dict: the saved form of an optimizer (`stateDict()`) and of the state inside it, whose float
// arrays are the base64 of their little-endian bytes.

export { base64ToFloats, floatsToBase64 } from "./base64.js";
export {
  type HyperparamDifference,
  type LoadReport,
  type LoadStateDictOptions,
  type StateDict,
  showDifference,
} from "./create-optimizer.js";
export {
  COUNT_KEYS,
  type Conversion,
  type Encoded,
  NON_NEGATIVE_KEYS,
  STATE_DICT_VERSION,
  type StateStorage,
} from "./state-dict.js";

// Diagnostics: what an optimizer is doing (observe and its statistics) and the loss surface's curvature.

export {
  type FiniteDifferenceHvpOptions,
  finiteDifferenceHvp,
} from "./diagnostics/finite-difference-hvp.js";
export {
  type HessianTraceOptions,
  type HessianTraceResult,
  hessianTrace,
} from "./diagnostics/hessian-trace.js";
export { type ObserveOptions, type ObserveState, observe } from "./diagnostics/observe.js";
export type { Hvp } from "./diagnostics/probes.js";
export type {
  ClipStats,
  DecayStats,
  EffectiveLrStats,
  LeafStats,
  OptimizerStats,
  VScar,
  VScarReport,
} from "./diagnostics/stats.js";
export { formatNumber, formatStats, toJsonl } from "./diagnostics/stats-format.js";
export {
  type TopEigenvalueOptions,
  type TopEigenvalueResult,
  topEigenvalue,
} from "./diagnostics/top-eigenvalue.js";
export {
  findVScars,
  type ResolvedVScarOptions,
  typicalGradSq,
  updateTypicalGradSq,
  type VScarInput,
  type VScarOptions,
  vScarRecoverySteps,
} from "./diagnostics/v-scar.js";

// Fast kernels: arenas that pack params for the fused JS/WASM kernels, and what a thread pool needs.

export {
  type Arena,
  type ArenaOptions,
  allocate,
  arenaOf,
  canShareMemory,
  createArena,
  packTree,
  paddedLength,
} from "./kernels/arena.js";
export type { KernelName } from "./kernels/fused.js";
export {
  type Bfloat16KernelName,
  type Float64KernelName,
  type Int8KernelName,
  kernelModule,
  kernelsFor,
  type ThreadPool,
  type WasmKernels,
  type WasmKernels32,
  wasmAvailable,
} from "./kernels/wasm-kernels.js";

// Seeded randomness: reproducible streams (the Lab, `momenta train` and the tests draw from them).

export { Mulberry32, normal, rng } from "./rng.js";

// For people writing their own transforms: the range checks every constructor uses, and the leaf
// helpers the built-in transforms are written with.

export {
  checkBoolean,
  checkHyper,
  checkInteger,
  checkKeys,
  checkNumber,
  checkOptions,
  hyperAt,
  type Interval,
  inInterval,
  valueAt,
} from "./hyper.js";
export { buffersLike, paramLeaves, updateLeaves } from "./transform.js";
export { checkBetas } from "./transforms/scale-by-adam.js";
export {
  dtypeOf,
  isFloatArray,
  isLeaf,
  isShapedLeaf,
  leafData,
  leafShape,
  resolveMask,
  showPath,
} from "./tree.js";
