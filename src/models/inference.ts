/**
 * An inference-only execution of a tfjs-layers model with BatchNormalization folded into the
 * convolution before it.
 *
 * In inference BN is an affine map per channel, so conv -> BN (-> ReLU) is one convolution with
 * rescaled kernels and a bias, which tf.fused.conv2d runs as a single FusedConv2D (XNNPACK on
 * wasm) with the ReLU fused in. That removes a full-size BN pass and a ReLU pass per fold. Every
 * other layer runs its own `call` in inference mode, so the result is model.predict's up to
 * float32 rounding. A BN whose input is not a convolution used nowhere else (the BN after an add
 * in a pre-activation ResNet) stays a layer of its own.
 */
import * as tf from '@tensorflow/tfjs';
import { capability } from '../engine/capabilities';

/** A model compiled for inference; `predict` owns nothing the caller passes in. */
export interface InferenceModel {
  /** Forward pass in inference mode: [N, H, W, C] -> the model's (single) output. */
  predict(x: tf.Tensor): tf.Tensor;
  /** Frees the folded kernels and biases (the source model is left untouched). */
  dispose(): void;
  /** How many BatchNormalization layers were folded into convolutions (for reports and tests). */
  readonly foldedBatchNorms: number;
}

/** Layer classes this compiler knows; all but Conv2D (and a BN folded into one) run their own `call`. */
const KNOWN_LAYERS = new Set([
  'Activation',
  'ReLU',
  'LeakyReLU',
  'Softmax',
  'Add',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'Flatten',
  'Dense',
  'Dropout',
  'ZeroPadding2D',
  'BatchNormalization',
  'Conv2D',
]);

type Activation = 'linear' | 'relu';

interface ConvConfig {
  strides: number | number[];
  padding: 'valid' | 'same' | 'causal';
  dataFormat?: string;
  dilationRate?: number | number[];
  activation?: string;
  useBias?: boolean;
}

interface BnConfig {
  axis: number | number[];
  epsilon: number;
  center: boolean;
  scale: boolean;
}

/** One step of the compiled program: reads tensors by symbolic id, writes its output. */
interface Step {
  inputs: number[];
  output: number;
  run(inputs: tf.Tensor[]): tf.Tensor;
}

type AnyLayer = tf.layers.Layer & {
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  inboundNodes: Array<{ inputTensors: tf.SymbolicTensor[]; outputTensors: tf.SymbolicTensor[] }>;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
};

function pair(v: number | number[] | undefined, fallback: number): [number, number] {
  if (v === undefined) return [fallback, fallback];
  return typeof v === 'number' ? [v, v] : [v[0], v[1] ?? v[0]];
}

/** Kernel * s (per output channel) and bias' = (bias - mean) * s + beta, s = gamma / sqrt(var + eps). */
function foldBatchNorm(kernel: tf.Tensor4D, bias: tf.Tensor1D | null, bn: AnyLayer): [tf.Tensor4D, tf.Tensor1D] {
  const cfg = bn.getConfig() as unknown as BnConfig;
  const w = bn.getWeights();
  let i = 0;
  const gamma = cfg.scale ? w[i++] : null;
  const beta = cfg.center ? w[i++] : null;
  const [mean, variance] = [w[i], w[i + 1]];
  return tf.tidy(() => {
    let s = tf.rsqrt(tf.add(variance, cfg.epsilon));
    if (gamma) s = tf.mul(s, gamma);
    let b = tf.mul(tf.sub(bias ?? tf.zerosLike(mean), mean), s);
    if (beta) b = tf.add(b, beta);
    return [tf.mul(kernel, s) as tf.Tensor4D, b as tf.Tensor1D];
  });
}

function isChannelsLastBn(bn: AnyLayer, rank: number): boolean {
  const axis = (bn.getConfig() as unknown as BnConfig).axis;
  const a = Array.isArray(axis) ? axis : [axis];
  return a.length === 1 && (a[0] === -1 || a[0] === rank - 1);
}

/**
 * Compiles `model` (a functional tfjs-layers model with one input and one output, each layer
 * used once) for inference. Throws naming the first layer of a kind it does not know.
 */
export function compileForInference(model: tf.LayersModel): InferenceModel {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error(`compileForInference: model '${model.name}' must have one input and one output`);
  }
  const layers = model.layers as AnyLayer[];
  // How many layers read each symbolic tensor (a conv output can only be folded if BN is its sole reader).
  const readers = new Map<number, AnyLayer[]>();
  for (const layer of layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    if (layer.inboundNodes.length !== 1) {
      throw new Error(
        `compileForInference: layer '${layer.name}' is used ${layer.inboundNodes.length} times; shared layers are not supported`,
      );
    }
    for (const t of layer.inboundNodes[0].inputTensors) readers.set(t.id, [...(readers.get(t.id) ?? []), layer]);
  }
  const soleReader = (t: tf.SymbolicTensor): AnyLayer | null => {
    const r = readers.get(t.id) ?? [];
    return r.length === 1 && t.id !== model.outputs[0].id ? r[0] : null;
  };

  const owned: tf.Tensor[] = [];
  const steps: Step[] = [];
  const absorbed = new Set<AnyLayer>();
  let folded = 0;
  for (const layer of layers) {
    const kind = layer.getClassName();
    if (kind === 'InputLayer' || absorbed.has(layer)) continue;
    if (!KNOWN_LAYERS.has(kind)) {
      throw new Error(`compileForInference: layer '${layer.name}' of class ${kind} is not supported`);
    }
    const node = layer.inboundNodes[0];
    const inputs = node.inputTensors.map((t) => t.id);
    let output = node.outputTensors[0];
    if (kind !== 'Conv2D') {
      steps.push({ inputs, output: output.id, run: (xs) => layer.call(xs.length === 1 ? xs[0] : xs, { training: false }) as tf.Tensor });
      continue;
    }
    const cfg = layer.getConfig() as unknown as ConvConfig;
    if (cfg.dataFormat === 'channelsFirst' || cfg.padding === 'causal') {
      throw new Error(`compileForInference: layer '${layer.name}' (Conv2D) must be channelsLast with 'same' or 'valid' padding`);
    }
    const [kernel, bias = null] = layer.getWeights() as [tf.Tensor4D, tf.Tensor1D?];
    let filter = kernel;
    let b: tf.Tensor1D | null = cfg.useBias === false ? null : bias;
    let activation: Activation | null =
      cfg.activation === 'relu' ? 'relu' : cfg.activation === 'linear' || cfg.activation == null ? 'linear' : null;
    if (activation === null) {
      steps.push({ inputs, output: output.id, run: (xs) => layer.call(xs[0], { training: false }) as tf.Tensor });
      continue;
    }
    const next = activation === 'linear' ? soleReader(output) : null;
    if (next && next.getClassName() === 'BatchNormalization' && isChannelsLastBn(next, output.rank)) {
      [filter, b] = foldBatchNorm(kernel, b, next);
      owned.push(filter, b);
      absorbed.add(next);
      folded++;
      output = next.inboundNodes[0].outputTensors[0];
    }
    const after = activation === 'linear' ? soleReader(output) : null;
    if (after && isRelu(after)) {
      activation = 'relu';
      absorbed.add(after);
      output = after.inboundNodes[0].outputTensors[0];
    }
    const strides = pair(cfg.strides, 1);
    const dilations = pair(cfg.dilationRate, 1);
    const pad = cfg.padding as 'same' | 'valid';
    const act = activation;
    steps.push({
      inputs,
      output: output.id,
      run: ([x]) =>
        tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter,
          strides,
          pad,
          dataFormat: 'NHWC',
          dilations,
          bias: b ?? undefined,
          activation: act,
        }),
    });
  }
  return makeProgram(model, steps, owned, folded);
}

function isRelu(layer: AnyLayer): boolean {
  const kind = layer.getClassName();
  const cfg = layer.getConfig();
  if (kind === 'Activation') return cfg.activation === 'relu';
  if (kind === 'ReLU') return cfg.maxValue == null && !cfg.negativeSlope && !cfg.threshold;
  return false;
}

function makeProgram(model: tf.LayersModel, steps: Step[], owned: tf.Tensor[], foldedBatchNorms: number): InferenceModel {
  const inputId = model.inputs[0].id;
  const outputId = model.outputs[0].id;
  // Reads left per tensor, so each intermediate is freed as soon as its last reader has run.
  const uses = new Map<number, number>();
  for (const s of steps) for (const id of s.inputs) uses.set(id, (uses.get(id) ?? 0) + 1);
  let disposed = false;
  return {
    foldedBatchNorms,
    predict(x: tf.Tensor): tf.Tensor {
      if (disposed) throw new Error('compileForInference: predict() after dispose()');
      const live = new Map<number, tf.Tensor>([[inputId, x]]);
      const left = new Map(uses);
      try {
        for (const step of steps) {
          const ins = step.inputs.map((id) => live.get(id)!);
          // A layer that returns its input (Dropout in inference) must not share the tensor we free.
          const out = tf.tidy(() => {
            const y = step.run(ins);
            return ins.includes(y) ? tf.clone(y) : y;
          });
          live.set(step.output, out);
          for (const id of step.inputs) {
            const n = left.get(id)! - 1;
            left.set(id, n);
            if (n === 0 && id !== inputId && id !== outputId) {
              live.get(id)!.dispose();
              live.delete(id);
            }
          }
        }
        const result = live.get(outputId)!;
        live.delete(outputId);
        return result;
      } finally {
        for (const [id, t] of live) if (id !== inputId) t.dispose();
      }
    },
    dispose(): void {
      if (!disposed) tf.dispose(owned);
      disposed = true;
    },
  };
}

/**
 * `requested`, or less where the active device cannot hold a batch that large (WebGPU's buffer
 * limits): inference results do not depend on how the images are batched.
 */
export function inferenceBatchSize(model: tf.LayersModel, requested: number): number {
  const limit = capability('batchLimit')?.(model);
  return limit ? Math.max(1, Math.min(requested, limit.maxBatch)) : requested;
}

/**
 * A predictor for `model`: the BN-folded program where the engine says the fused convolution
 * pays (capability foldsBatchNorm), `model.predict` elsewhere. Same signature either way;
 * dispose() when done.
 */
export function fastPredictor(model: tf.LayersModel): { predict(x: tf.Tensor): tf.Tensor; dispose(): void } {
  if (!capability('foldsBatchNorm')) {
    return { predict: (x) => model.predict(x) as tf.Tensor, dispose: () => undefined };
  }
  return compileForInference(model);
}
