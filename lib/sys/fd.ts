/**
 * File-descriptor system calls of `ioreactor/sys`.
 *
 * Every fd these functions create is close-on-exec; socket pairs are also non-blocking,
 * and so are pipes unless asked otherwise. `read` and `write` are hot-path calls: they return a byte count or a
 * negative errno (`-EAGAIN` when the fd would block) and never throw for an OS error.
 * Everything else throws a {@link SystemError}.
 */
import { constants } from 'node:os';
import { InvalidArgumentError, SystemError } from '../errors.js';
import { checkView } from '../internal/args.js';
import { native } from '../internal/init.js';
import { checkFd, describeValue } from '../internal/fd.js';

export { SystemError };

/** The errno names of this platform (`'EAGAIN'`, `'EBADF'`, …). */
export type ErrnoName = keyof typeof constants.errno;

/**
 * Negative errno values for comparing with `read`/`write` results, e.g. `EAGAIN: -11`.
 * Keyed by the literal errno names, so a misspelt name does not compile.
 */
export const errno: { readonly [Name in ErrnoName]: number } = Object.freeze(
  Object.fromEntries(Object.entries(constants.errno).map(([name, value]) => [name, -value])),
) as { readonly [Name in ErrnoName]: number };

/** `FD_SETSIZE` of this platform: the select backend's fd limit. */
export const FD_SETSIZE: number = native.FD_SETSIZE;


/**
 * Creates a connected pair of Unix-domain stream sockets.
 *
 * @returns `[fd, fd]`, both non-blocking and close-on-exec.
 * @throws {SystemError} e.g. `EMFILE` at the open-file limit.
 */
export function socketpair(): [number, number] {
  return native.socketpair();
}

/** Options of {@link pipe}. */
export interface PipeOptions {
  /** Whether the read end is non-blocking. @defaultValue true */
  readNonBlocking?: boolean;
  /** Whether the write end is non-blocking. @defaultValue true */
  writeNonBlocking?: boolean;
}

function pipeFlag(options: object, key: keyof PipeOptions): boolean {
  let value: unknown;
  try {
    value = (options as Record<string, unknown>)[key];
  } catch (cause) {
    throw new InvalidArgumentError(`pipe: reading options.${key} threw`, { cause });
  }
  if (value === undefined) return true;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`pipe: ${key} must be a boolean, got ${describeValue(value)}`);
  return value;
}

/**
 * Creates a pipe.
 *
 * Both ends are close-on-exec and, by default, non-blocking. An end meant for a child
 * process (e.g. its stdout, given to `child_process.spawn` in `stdio`) should usually be
 * blocking: most programs do not expect `EAGAIN` on their standard streams. `O_NONBLOCK`
 * belongs to the open file description, which the child shares, so ask for it here:
 * `pipe({ writeNonBlocking: false })` clears it on the write end right after creation.
 *
 * @example
 * ```ts
 * const [r, w] = pipe({ writeNonBlocking: false }); // r for the loop, w for the child
 * ```
 * @returns `[readFd, writeFd]`, close-on-exec, non-blocking unless asked otherwise.
 * @throws {InvalidArgumentError} for options that are not an object of booleans.
 * @throws {SystemError} e.g. `EMFILE`.
 */
export function pipe(options?: PipeOptions): [number, number] {
  let readNonBlocking = true;
  let writeNonBlocking = true;
  if (options !== undefined) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`pipe: options must be an object, got ${describeValue(options)}`);
    }
    readNonBlocking = pipeFlag(options, 'readNonBlocking');
    writeNonBlocking = pipeFlag(options, 'writeNonBlocking');
  }
  const fds = native.pipe();
  try {
    if (!readNonBlocking) native.setNonBlocking(fds[0], false);
    if (!writeNonBlocking) native.setNonBlocking(fds[1], false);
  } catch (error) {
    native.close(fds[0]);
    native.close(fds[1]);
    throw error;
  }
  return fds;
}

/**
 * Closes an fd. Unregister it from every selector first.
 *
 * @throws {SystemError} `EBADF` if it is not open.
 */
export function close(fd: number): void {
  native.close(checkFd(fd));
}

/**
 * Duplicates an fd onto the lowest free number.
 *
 * @returns the new fd (close-on-exec).
 * @throws {SystemError} `EBADF`, `EMFILE`.
 */
export function dup(fd: number): number {
  return native.dup(checkFd(fd));
}

/**
 * Makes `fd2` refer to the same file as `fd`, closing what `fd2` referred to.
 *
 * @returns `fd2` (close-on-exec).
 * @throws {SystemError} `EBADF`.
 */
export function dup2(fd: number, fd2: number): number {
  return native.dup2(checkFd(fd), checkFd(fd2, 'fd2'));
}

/**
 * Reads into `buffer[offset, offset + length)`.
 *
 * @returns bytes read (0 at end of file), or a negative errno: `errno.EAGAIN` when a
 *   non-blocking fd has nothing to read, `errno.EBADF`, …
 * @throws {InvalidArgumentError} for a bad fd, buffer or range.
 */
export function read(fd: number, buffer: ArrayBufferView, offset?: number, length?: number): number {
  return native.read(checkFd(fd), checkView(buffer), offset, length);
}

/**
 * Writes `buffer[offset, offset + length)`.
 *
 * @returns bytes written, or a negative errno (`errno.EAGAIN`, `errno.EPIPE`, …).
 *   On a pipe or socket whose reader is gone this returns `errno.EPIPE` only if SIGPIPE
 *   is ignored, which Node does by default.
 * @throws {InvalidArgumentError} for a bad fd, buffer or range.
 */
export function write(fd: number, buffer: ArrayBufferView, offset?: number, length?: number): number {
  return native.write(checkFd(fd), checkView(buffer), offset, length);
}

/**
 * Writes several buffers, in order, in one system call (writev). Unlike `sendv` (sendmsg,
 * sockets only) it works on any fd: pipes, FIFOs, ttys, files. At most `IOV_MAX` (1024 on
 * Linux) buffers go per call; the count written says where to resume.
 *
 * Every element is read (and validated) before any memory is touched, so an index getter
 * cannot make the call read a buffer it detached.
 *
 * @returns bytes written (possibly fewer than asked), or a negative errno (`errno.EAGAIN`,
 *   `errno.EPIPE`, …).
 * @throws {InvalidArgumentError} for a bad fd, a non-array, an element that is not a
 *   Buffer, TypedArray or DataView, or a detached one.
 */
export function writev(fd: number, buffers: readonly ArrayBufferView[]): number {
  if (!Array.isArray(buffers)) throw new InvalidArgumentError('buffers must be an array');
  return native.writev(checkFd(fd), buffers);
}

/**
 * Sets or clears `O_NONBLOCK`.
 *
 * @throws {SystemError} `EBADF`.
 */
export function setNonBlocking(fd: number, on: boolean): void {
  if (typeof on !== 'boolean') throw new InvalidArgumentError('on must be a boolean');
  native.setNonBlocking(checkFd(fd), on);
}

/** The open-file limit (`RLIMIT_NOFILE`); `Infinity` stands for `RLIM_INFINITY`. */
export function getrlimitNofile(): { soft: number; hard: number } {
  return native.getrlimitNofile();
}

/**
 * Sets the soft open-file limit, keeping the hard one.
 *
 * @throws {SystemError} `EINVAL` above the hard limit, `EPERM`.
 */
export function setrlimitNofile(soft: number): void {
  if (soft !== Infinity && !(Number.isInteger(soft) && soft >= 0)) {
    throw new InvalidArgumentError(`Invalid soft limit: ${describeValue(soft)}`);
  }
  native.setrlimitNofile(soft);
}
