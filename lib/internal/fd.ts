/**
 * File descriptors and "file objects": the one place fd numbers are validated and
 * resolved, below both the selectors and the sockets.
 */
import { InvalidArgumentError } from '../errors.js';

/**
 * Anything a selector accepts as a file: a non-negative integer fd, an object with a
 * numeric `fd` property, or an object with a `fileno()` method (checked first).
 */
export type FileObject = number | { readonly fd: number } | { fileno(): number };

const kMaxFd = 0x7fffffff;

/** True for an integer in the range a file descriptor can take. */
export function isValidFd(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= kMaxFd;
}

/**
 * Returns `fd` if it is a valid fd number.
 *
 * @throws {InvalidArgumentError} otherwise, naming the argument.
 */
export function checkFd(fd: unknown, name = 'file descriptor'): number {
  if (!isValidFd(fd)) throw new InvalidArgumentError(`Invalid ${name}: ${describeValue(fd)}`);
  return fd;
}

/**
 * A short, safe description of any value for an error message: never calls `toString`,
 * `valueOf` or a getter of the value, so a hostile object cannot throw from inside it.
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'bigint':
      return String(value);
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'symbol':
      return value.description === undefined ? 'Symbol()' : `Symbol(${value.description})`;
    case 'function':
      return `function ${value.name || '<anonymous>'}`;
    default:
      return value === null ? 'null' : describeFileObject(value);
  }
}

/** A short description of a file object for error messages. */
export function describeFileObject(fileobj: unknown): string {
  if (typeof fileobj === 'number') return String(fileobj);
  if (typeof fileobj === 'object' && fileobj !== null) {
    let name: unknown;
    try {
      // A Proxy or an object with a throwing `constructor` getter must not turn an
      // error message into a second error.
      name = (fileobj as { constructor?: { name?: unknown } }).constructor?.name;
    } catch {
      name = undefined;
    }
    return `<${typeof name === 'string' && name !== '' ? name : 'object'}>`;
  }
  return describeValue(fileobj);
}

/**
 * Returns the fd a file object stands for.
 *
 * @throws {InvalidArgumentError} for a negative, non-integer or NaN number, or an object
 *   whose `fileno()` (or `fd` getter) throws or gives something that is not a valid fd,
 *   or that has neither `fileno()` nor a numeric `fd`.
 */
export function fileObjectToFd(fileobj: unknown, name = 'file object'): number {
  if (typeof fileobj === 'number') {
    if (!isValidFd(fileobj)) throw new InvalidArgumentError(`Invalid ${name}: ${describeValue(fileobj)}`);
    return fileobj;
  }
  if ((typeof fileobj === 'object' && fileobj !== null) || typeof fileobj === 'function') {
    let fd: unknown;
    try {
      const candidate = fileobj as { fileno?: unknown; fd?: unknown };
      const fileno = candidate.fileno;
      if (typeof fileno === 'function') {
        fd = (fileno as () => unknown).call(fileobj);
      } else {
        fd = candidate.fd;
        if (typeof fd !== 'number') {
          throw new InvalidArgumentError(
            `Invalid ${name}: ${describeFileObject(fileobj)} has neither fileno() nor a numeric fd`,
          );
        }
      }
    } catch (cause) {
      if (cause instanceof InvalidArgumentError) throw cause;
      throw new InvalidArgumentError(`Invalid ${name}: ${describeFileObject(fileobj)} (reading its fd threw)`, {
        cause,
      });
    }
    if (!isValidFd(fd)) {
      throw new InvalidArgumentError(`Invalid ${name}: ${describeFileObject(fileobj)} gave fd ${describeValue(fd)}`);
    }
    return fd;
  }
  throw new InvalidArgumentError(`Invalid ${name}: ${describeValue(fileobj)}`);
}
