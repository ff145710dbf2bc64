/** Resolving a selectors "file object" (fd, `{ fd }` or `{ fileno() }`) to an fd. */
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
  if (!isValidFd(fd)) throw new InvalidArgumentError(`Invalid ${name}: ${String(fd)}`);
  return fd;
}

/** A short description of a file object for error messages. */
export function describeFileObject(fileobj: unknown): string {
  if (typeof fileobj === 'number') return String(fileobj);
  if (typeof fileobj === 'object' && fileobj !== null) {
    const name = (fileobj as { constructor?: { name?: string } }).constructor?.name;
    return `<${name || 'object'}>`;
  }
  return typeof fileobj === 'string' ? JSON.stringify(fileobj) : String(fileobj);
}

/**
 * Returns the fd a file object stands for.
 *
 * @throws {InvalidArgumentError} for a negative, non-integer or NaN number, or an object
 *   whose `fileno()` throws or returns something that is not a valid fd, or that has
 *   neither `fileno()` nor a numeric `fd`.
 */
export function fileObjectToFd(fileobj: unknown): number {
  if (typeof fileobj === 'number') {
    if (!isValidFd(fileobj)) {
      throw new InvalidArgumentError(`Invalid file descriptor: ${fileobj}`);
    }
    return fileobj;
  }
  if ((typeof fileobj === 'object' && fileobj !== null) || typeof fileobj === 'function') {
    const candidate = fileobj as { fileno?: unknown; fd?: unknown };
    let fd: unknown;
    if (typeof candidate.fileno === 'function') {
      try {
        fd = (candidate.fileno as () => unknown).call(fileobj);
      } catch (cause) {
        const error = new InvalidArgumentError(
          `Invalid file object: ${describeFileObject(fileobj)} (fileno() threw)`,
        );
        (error as { cause?: unknown }).cause = cause;
        throw error;
      }
    } else if (typeof candidate.fd === 'number') {
      fd = candidate.fd;
    } else {
      throw new InvalidArgumentError(
        `Invalid file object: ${describeFileObject(fileobj)} has neither fileno() nor a numeric fd`,
      );
    }
    if (!isValidFd(fd)) {
      throw new InvalidArgumentError(
        `Invalid file object: ${describeFileObject(fileobj)} gave fd ${String(fd)}`,
      );
    }
    return fd;
  }
  throw new InvalidArgumentError(`Invalid file object: ${describeFileObject(fileobj)}`);
}
