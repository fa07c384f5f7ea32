/**
 * The one interface between the core and the compute engines. An engine (engine/wasm/, later
 * engine/webgpu/) registers the fast paths it has for the backends it serves; the layers and
 * regularisers ask for a capability by name and fall back to plain tfjs ops when the active
 * backend has none. So the core never imports an engine, and works with none registered.
 */
import * as tf from '@tensorflow/tfjs';

/** The fast paths an engine may offer. Each is optional and must equal the plain-tfjs result. */
export interface EngineCapabilities {
  /**
   * Training-mode batch normalisation over the last axis of a float32 tensor: y, the batch
   * mean and the biased batch variance, differentiable with respect to x, scale and offset.
   */
  batchNormTraining?(x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor, epsilon: number): [tf.Tensor, tf.Tensor, tf.Tensor];
  /** sum(w^2) of a float32 tensor, as a scalar, in one pass. */
  sumOfSquares?(w: tf.Tensor): tf.Tensor;
}

/** What an engine registers. */
export interface EnginePlugin {
  /** e.g. 'wasm'. A second registration under the same name replaces the first. */
  name: string;
  /** Whether its capabilities apply while `backendName` is the active tfjs backend. */
  servesBackend(backendName: string): boolean;
  capabilities: EngineCapabilities;
}

const engines = new Map<string, EnginePlugin>();

/** Makes an engine's capabilities available to the core. */
export function registerEngine(engine: EnginePlugin): void {
  engines.set(engine.name, engine);
}

/** Removes an engine (tests show the core working without one). */
export function unregisterEngine(name: string): void {
  engines.delete(name);
}

/** The capability `name` of an engine serving the active backend, or undefined: then use plain tfjs ops. */
export function capability<K extends keyof EngineCapabilities>(name: K): EngineCapabilities[K] | undefined {
  const backend = tf.getBackend();
  for (const engine of engines.values()) {
    if (engine.capabilities[name] && engine.servesBackend(backend)) return engine.capabilities[name];
  }
  return undefined;
}
