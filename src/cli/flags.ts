/**
 * Parsers for the flags several subcommands share: each rejects a bad value with a message
 * that names the flag and the value (commander prints it and exits 1).
 */
import { InvalidArgumentError } from 'commander';
import { isModelKind, MODEL_KINDS, ModelKind } from '../models/registry';
import { isQuantizeDtype, QuantizeDtype } from '../io/quantize';

/** A whole number >= min (1 by default). */
export function intFlag(flag: string, min = 1) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(
        min === 1 ? `${flag} must be a positive integer, got '${v}'` : `${flag} must be an integer >= ${min}, got '${v}'`,
      );
    }
    return n;
  };
}

/** A whole number >= 1. */
export const positiveInt = (flag: string) => intFlag(flag, 1);

/** A finite number > 0. */
export function positiveNumber(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} must be a positive number, got '${v}'`);
    return n;
  };
}

/** A finite number in [min, max]. */
export function numberInRange(flag: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} must be a number from ${min} to ${max}, got '${v}'`);
    }
    return n;
  };
}

/** One of `choices`. */
export function choiceFlag<T extends string>(flag: string, choices: readonly T[]) {
  return (v: string): T => {
    if (!(choices as readonly string[]).includes(v))
      throw new InvalidArgumentError(`${flag} must be ${choices.join(', ').replace(/, ([^,]*)$/, ' or $1')}, got '${v}'`);
    return v as T;
  };
}

/** A model kind of the registry. */
export function modelKindFlag(flag: string) {
  return (v: string): ModelKind => {
    if (!isModelKind(v)) throw new InvalidArgumentError(`${flag} must be ${MODEL_KINDS.join(' or ')}, got '${v}'`);
    return v;
  };
}

/** float16 or uint8. */
export function quantizeFlag(flag: string) {
  return (v: string): QuantizeDtype => {
    if (!isQuantizeDtype(v)) throw new InvalidArgumentError(`${flag} must be float16 or uint8, got '${v}'`);
    return v;
  };
}
