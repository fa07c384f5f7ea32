/**
 * Per-step learning-rate schedules, as Keras's `keras.optimizers.schedules`: the loop asks the
 * schedule for the rate before every batch, from the global step (persisted in the resume
 * state, so a resumed run continues the curve where it was). A schedule may leave its length
 * to the loop (`decaySteps: 'auto'`): the loop then passes the steps it plans to run, known
 * from the epochs or estimated from the measured speed when a time budget is given.
 */

/** A learning rate as a function of the global step (0-based) and the run's planned steps. */
export interface LearningRateSchedule {
  /** The rate for optimizer step `step`; `plannedSteps` is the loop's estimate of the run's length. */
  learningRate(step: number, plannedSteps: number): number;
  /** JSON description, recorded in the resume state and the model card. */
  getConfig(): Record<string, unknown>;
}

/** CosineDecay options, Keras 3's names in camelCase. */
export interface CosineDecayConfig {
  /** The rate at step 0 (the start of the warm-up when there is one). */
  initialLearningRate: number;
  /** Steps of the cosine after the warm-up; 'auto' (default): what the loop plans, less the warm-up. */
  decaySteps?: number | 'auto';
  /** The floor, as a fraction of the peak rate (Keras's alpha, default 0). */
  alpha?: number;
  /** The peak reached at the end of the warm-up; none: no warm-up, the cosine starts at initialLearningRate. */
  warmupTarget?: number;
  /** Linear warm-up steps from initialLearningRate to warmupTarget (default 0). */
  warmupSteps?: number;
}

/**
 * keras.optimizers.schedules.CosineDecay (Keras 3): an optional linear warm-up to
 * `warmupTarget`, then `peak * ((1 - alpha) * 0.5 * (1 + cos(pi * t / decaySteps)) + alpha)`,
 * held at `alpha * peak` once t passes decaySteps.
 */
export class CosineDecay implements LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number | 'auto';
  readonly alpha: number;
  readonly warmupTarget?: number;
  readonly warmupSteps: number;

  constructor(cfg: CosineDecayConfig) {
    const { initialLearningRate, alpha = 0, warmupTarget, warmupSteps = 0, decaySteps = 'auto' } = cfg;
    if (!(initialLearningRate >= 0)) throw new Error(`CosineDecay: initialLearningRate must be >= 0, got ${initialLearningRate}`);
    if (!(alpha >= 0 && alpha <= 1)) throw new Error(`CosineDecay: alpha must be in 0..1, got ${alpha}`);
    if (!(Number.isInteger(warmupSteps) && warmupSteps >= 0))
      throw new Error(`CosineDecay: warmupSteps must be a whole number >= 0, got ${warmupSteps}`);
    if (decaySteps !== 'auto' && !(Number.isInteger(decaySteps) && decaySteps > 0)) {
      throw new Error(`CosineDecay: decaySteps must be a positive whole number or 'auto', got ${decaySteps}`);
    }
    if (warmupTarget !== undefined && !(warmupTarget > 0)) throw new Error(`CosineDecay: warmupTarget must be > 0, got ${warmupTarget}`);
    this.initialLearningRate = initialLearningRate;
    this.alpha = alpha;
    this.warmupTarget = warmupTarget;
    this.warmupSteps = warmupTarget === undefined ? 0 : warmupSteps;
    this.decaySteps = decaySteps;
  }

  learningRate(step: number, plannedSteps: number): number {
    const peak = this.warmupTarget ?? this.initialLearningRate;
    if (step < this.warmupSteps) {
      return this.initialLearningRate + (peak - this.initialLearningRate) * (step / this.warmupSteps);
    }
    const decay = this.decaySteps === 'auto' ? Math.max(1, plannedSteps - this.warmupSteps) : this.decaySteps;
    const t = Math.min(step - this.warmupSteps, decay);
    return peak * ((1 - this.alpha) * 0.5 * (1 + Math.cos((Math.PI * t) / decay)) + this.alpha);
  }

  getConfig(): Record<string, unknown> {
    return {
      name: 'CosineDecay',
      initialLearningRate: this.initialLearningRate,
      decaySteps: this.decaySteps,
      alpha: this.alpha,
      warmupTarget: this.warmupTarget ?? null,
      warmupSteps: this.warmupSteps,
    };
  }
}
