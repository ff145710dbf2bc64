/**
 * Argument checks shared by every awaitable operation. They run before an operation
 * changes any state, so a rejected call leaves nothing behind.
 */
import { InvalidArgumentError } from '../errors.js';
import { describeValue } from './fd.js';

/** Options carrying a cancellation signal; every awaitable operation takes them. */
export interface SignalOptions {
  /** Aborting it cancels the operation, which rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Validates an `options` bag carrying an optional `signal`, and returns the signal.
 *
 * @throws {InvalidArgumentError} if `options` is neither `undefined` nor an object, or
 *   its `signal` is neither `undefined` nor an `AbortSignal`.
 */
export function signalOf(options: unknown, where: string): AbortSignal | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${where}: options must be an object, got ${describeValue(options)}`);
  }
  let signal: unknown;
  try {
    signal = (options as { signal?: unknown }).signal;
  } catch (cause) {
    throw new InvalidArgumentError(`${where}: reading options.signal threw`, { cause });
  }
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(`${where}: options.signal must be an AbortSignal, got ${describeValue(signal)}`);
  }
  return signal;
}

/**
 * Reads one optional property of an options bag, safely.
 *
 * @throws {InvalidArgumentError} if `options` is not an object or the getter throws.
 */
export function optionOf(options: unknown, key: string, where: string): unknown {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${where}: options must be an object, got ${describeValue(options)}`);
  }
  try {
    return (options as Record<string, unknown>)[key];
  } catch (cause) {
    throw new InvalidArgumentError(`${where}: reading options.${key} threw`, { cause });
  }
}

/** @throws {InvalidArgumentError} unless `value` is a function. */
export function checkFunction<T>(value: T, name: string): T {
  if (typeof value !== 'function') {
    throw new InvalidArgumentError(`${name} must be a function, got ${describeValue(value)}`);
  }
  return value;
}

/** @throws {InvalidArgumentError} unless `value` is a number other than NaN. */
export function checkNumber(value: unknown, name: string): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new InvalidArgumentError(`${name} must be a number, got ${describeValue(value)}`);
  }
  return value;
}

/** @throws {InvalidArgumentError} unless `value` is a Buffer, TypedArray or DataView. */
export function checkView(value: unknown, name = 'buffer'): ArrayBufferView {
  if (!ArrayBuffer.isView(value)) {
    throw new InvalidArgumentError(`${name} must be a Buffer, TypedArray or DataView, got ${describeValue(value)}`);
  }
  return value;
}
