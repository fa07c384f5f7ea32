/**
 * Adam and momentum optimizers that update each variable (and its slots) in one loop over the
 * wasm heap: slots in place, weights into a fresh buffer (see freshLike).
 *
 * tfjs's Adam makes about ten full-size elementwise kernels per variable (mul, add, square,
 * div, sqrt, assign ...): for ResNet-50's 23.5M weights that is ~1,800 kernel calls and a few
 * hundred MB of memory traffic per step. One JS loop reading g and writing w, m, v does the same
 * arithmetic in one pass. The classes extend tfjs's own optimizers, so slots, getWeights /
 * setWeights (resume), the learning-rate setter and the update formulas are tfjs's; on a backend
 * whose tensors are not on a wasm heap they simply call tfjs's code.
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedTensorMap, TensorInfo } from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
interface WasmHeapBackend {
  typedArrayFromHeap(info: TensorInfo): Float32Array;
  refCount(dataId: object): number;
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
}

function heapBackend(): WasmHeapBackend | null {
  const b = tf.backend() as unknown as Partial<WasmHeapBackend>;
  return typeof b.typedArrayFromHeap === 'function' && typeof b.refCount === 'function' ? b as WasmHeapBackend : null;
}

/**
 * A new, uninitialised tensor of `v`'s shape, for its updated values. Weights are
 * never updated in place: tfjs-backend-wasm caches XNNPACK convolution operators by the filter's
 * buffer, with the weights packed inside, so a buffer written in place would keep being used
 * with its old values. Assigning a new buffer frees the old one and its cached operator.
 */
function freshLike(b: WasmHeapBackend, v: tf.Variable): tf.Tensor {
  const info = b.makeOutput(v.shape, 'float32');
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** A float32 view of a slot's heap memory that may be written: copies first if the buffer is shared. */
function writableView(b: WasmHeapBackend, t: tf.Variable): Float32Array {
  if (b.refCount(t.dataId) > 1) {
    // e.g. just after setWeights: the variable still shares its buffer with the caller's tensor.
    t.assign(tf.tidy(() => tf.add(t, 0)));
  }
  return b.typedArrayFromHeap(t);
}

type Gradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

function namesOf(g: Gradients): string[] {
  return Array.isArray(g) ? g.map((v) => v.name) : Object.keys(g);
}

function gradientOf(g: Gradients, name: string, i: number): tf.Tensor | undefined {
  return Array.isArray(g) ? g[i].tensor : (g as NamedTensorMap)[name];
}

/** A zero slot variable as tfjs's optimizers create it. */
function zeroSlot(value: tf.Variable): tf.Variable {
  return tf.tidy(() => tf.zerosLike(value).variable(false));
}

/** One Adam update of a whole variable; a standalone monomorphic function so V8 optimises it well. */
function adamLoop(w: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, out: Float32Array,
  beta1: number, c1: number, beta2: number, c2: number, k1: number, k2: number, lr: number, eps: number): void {
  const n = w.length;
  for (let j = 0; j < n; j++) {
    const gj = g[j];
    const mj = Math.fround(m[j] * beta1 + gj * c1);
    const vj = Math.fround(v[j] * beta2 + gj * gj * c2);
    m[j] = mj;
    v[j] = vj;
    out[j] = w[j] - lr * (mj * k1) / (Math.sqrt(vj * k2) + eps);
  }
}

/** Adam as tf.train.adam (same slots, bias correction and epsilon placement), one pass per variable on wasm. */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  applyGradients(variableGradients: Gradients): void {
    const b = heapBackend();
    if (b === null) {
      super.applyGradients(variableGradients);
      return;
    }
    const self = this as unknown as {
      accBeta1: tf.Variable; accBeta2: tf.Variable; epsilon: number;
      accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable }>;
      accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable }>;
    };
    const f = Math.fround;
    const beta1 = f(this.beta1);
    const beta2 = f(this.beta2);
    const c1 = f(1 - this.beta1);
    const c2 = f(1 - this.beta2);
    const k1 = 1 / f(1 - self.accBeta1.dataSync()[0]);
    const k2 = 1 / f(1 - self.accBeta2.dataSync()[0]);
    const lr = f(this.learningRate);
    const eps = f(self.epsilon);
    namesOf(variableGradients).forEach((name, i) => {
      const value = tf.engine().registeredVariables[name];
      self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: zeroSlot(value) };
      self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: zeroSlot(value) };
      const gradient = gradientOf(variableGradients, name, i);
      if (gradient == null) return;
      const m = self.accumulatedFirstMoment[i].variable;
      const v = self.accumulatedSecondMoment[i].variable;
      // Views last: allocating may grow the heap and detach earlier views.
      writableView(b, m);
      writableView(b, v);
      const next = freshLike(b, value);
      const [w, mm, vv, g, out] = [value, m, v, gradient, next].map((t) => b.typedArrayFromHeap(t));
      adamLoop(w, mm, vv, g, out, beta1, c1, beta2, c2, k1, k2, lr, eps);
      value.assign(next);
      next.dispose();
    });
    tf.tidy(() => {
      self.accBeta1.assign(tf.mul(self.accBeta1, this.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}

/** Momentum as tf.train.momentum (Nesterov falls back to tfjs's code), one pass per variable on wasm. */
export class FusedMomentumOptimizer extends tf.MomentumOptimizer {
  applyGradients(variableGradients: Gradients): void {
    const b = heapBackend();
    const self = this as unknown as {
      momentum: number; useNesterov: boolean;
      accumulations: Array<{ originalName: string; variable: tf.Variable }>;
    };
    if (b === null || self.useNesterov) {
      super.applyGradients(variableGradients);
      return;
    }
    const mu = Math.fround(self.momentum);
    const lr = Math.fround(this.learningRate);
    namesOf(variableGradients).forEach((name, i) => {
      const value = tf.engine().registeredVariables[name];
      self.accumulations[i] ??= { originalName: `${name}/momentum`, variable: zeroSlot(value) };
      const gradient = gradientOf(variableGradients, name, i);
      if (gradient == null) return;
      const acc = self.accumulations[i].variable;
      writableView(b, acc);
      const next = freshLike(b, value);
      const [w, a, g, out] = [value, acc, gradient, next].map((t) => b.typedArrayFromHeap(t));
      for (let j = 0; j < w.length; j++) {
        const aj = Math.fround(a[j] * mu + g[j]);
        a[j] = aj;
        out[j] = w[j] - lr * aj;
      }
      value.assign(next);
      next.dispose();
    });
    this.incrementIterations();
  }

  /** tfjs's MomentumOptimizer.dispose forgets SGD's -lr scalar; free it too. */
  dispose(): void {
    super.dispose();
    (this as unknown as { c: tf.Tensor }).c.dispose();
  }
}

/**
 * The fused counterpart of src/train.ts's makeOptimizer: same names, same Keras 2.1 defaults
 * ('sgd' stays tfjs's SGD, already a single multiply-add per variable).
 */
export function makeFusedOptimizer(name: 'sgd' | 'adam' | 'momentum', lr?: number): tf.Optimizer {
  switch (name) {
    case 'sgd': return tf.train.sgd(lr ?? 0.01);
    case 'adam': return new FusedAdamOptimizer(lr ?? 1e-3, 0.9, 0.999, 1e-7);
    case 'momentum': return new FusedMomentumOptimizer(lr ?? 0.01, 0.9);
    default: throw new Error(`unknown optimizer '${name as string}' (use sgd, adam or momentum)`);
  }
}
