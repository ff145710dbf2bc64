/**
 * Error classes thrown by ioreactor. Every class has a stable `code`; OS failures are
 * {@link SystemError}s shaped like Node's own (`code`, negative `errno`, `syscall`).
 *
 * `instanceof` works across duplicate installs of the package: each class checks a
 * `Symbol.for` brand rather than its prototype chain.
 */
import { getSystemErrorMap } from 'node:util';

const kBrand = Symbol.for('ioreactor.error');

function brandOf(code: string): symbol {
  return Symbol.for(`ioreactor.error.${code}`);
}

function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** Base class of every error ioreactor throws. */
export class IoreactorError extends Error {
  /** Stable machine-readable identifier, e.g. `'IOR_ERR_CLOSED'` or `'EBADF'`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, kBrand, { value: true });
    Object.defineProperty(this, brandOf(code), { value: true });
  }

  /**
   * @internal The brand `instanceof` checks for a subclass (its code); none on the base
   * class, which matches every ioreactor error.
   */
  static readonly brand: string | undefined = undefined;

  static override [Symbol.hasInstance](value: unknown): boolean {
    const brand = (this as typeof IoreactorError).brand;
    return hasBrand(value, brand === undefined ? kBrand : brandOf(brand));
  }
}
Object.defineProperty(IoreactorError.prototype, 'name', { value: 'IoreactorError' });

/**
 * An argument was invalid: an events mask of 0 or with unknown bits, a negative, NaN or
 * non-integer fd, an object with no usable fd, a NaN timeout, a fd the backend cannot watch.
 */
export class InvalidArgumentError extends IoreactorError {
  declare readonly code: 'IOR_ERR_INVALID_ARG';
  constructor(message: string, options?: ErrorOptions) {
    super('IOR_ERR_INVALID_ARG', message, options);
  }
  /** @internal */
  static override readonly brand: string = 'IOR_ERR_INVALID_ARG';
}
Object.defineProperty(InvalidArgumentError.prototype, 'name', { value: 'InvalidArgumentError' });

/** The fd is registered already (whatever object carries it). */
export class AlreadyRegisteredError extends IoreactorError {
  declare readonly code: 'IOR_ERR_ALREADY_REGISTERED';
  constructor(message: string) {
    super('IOR_ERR_ALREADY_REGISTERED', message);
  }
  /** @internal */
  static override readonly brand: string = 'IOR_ERR_ALREADY_REGISTERED';
}
Object.defineProperty(AlreadyRegisteredError.prototype, 'name', { value: 'AlreadyRegisteredError' });

/** The fd (or file object) is not registered. */
export class NotRegisteredError extends IoreactorError {
  declare readonly code: 'IOR_ERR_NOT_REGISTERED';
  constructor(message: string) {
    super('IOR_ERR_NOT_REGISTERED', message);
  }
  /** @internal */
  static override readonly brand: string = 'IOR_ERR_NOT_REGISTERED';
}
Object.defineProperty(NotRegisteredError.prototype, 'name', { value: 'NotRegisteredError' });

/**
 * The object (a selector, loop or socket) was used after `close()`, or was closed while an
 * operation waited on it.
 */
export class ClosedError extends IoreactorError {
  declare readonly code: 'IOR_ERR_CLOSED';
  constructor(message: string, options?: ErrorOptions) {
    super('IOR_ERR_CLOSED', message, options);
  }
  /** @internal */
  static override readonly brand: string = 'IOR_ERR_CLOSED';
}
Object.defineProperty(ClosedError.prototype, 'name', { value: 'ClosedError' });

/** The requested backend does not exist on this platform (e.g. kqueue on Linux). */
export class BackendUnavailableError extends IoreactorError {
  declare readonly code: 'IOR_ERR_BACKEND_UNAVAILABLE';
  constructor(message: string) {
    super('IOR_ERR_BACKEND_UNAVAILABLE', message);
  }
  /** @internal */
  static override readonly brand: string = 'IOR_ERR_BACKEND_UNAVAILABLE';
}
Object.defineProperty(BackendUnavailableError.prototype, 'name', { value: 'BackendUnavailableError' });

/**
 * The backend exists here but cannot do what was asked, e.g. an `EventLoop` on poll or
 * select, which have no kernel object Node's loop could watch.
 */
export class BackendUnsupportedError extends IoreactorError {
  declare readonly code: 'IOR_ERR_BACKEND_UNSUPPORTED';
  constructor(message: string) {
    super('IOR_ERR_BACKEND_UNSUPPORTED', message);
  }
  /** @internal */
  static override readonly brand: string = 'IOR_ERR_BACKEND_UNSUPPORTED';
}
Object.defineProperty(BackendUnsupportedError.prototype, 'name', { value: 'BackendUnsupportedError' });

/**
 * An operation or task was cancelled (`Task.cancel()`, a cancelled `Future`, a task group
 * cancelling its other children).
 */
export class CancelledError extends IoreactorError {
  declare readonly code: 'IOR_ERR_CANCELLED';
  constructor(message = 'The operation was cancelled', options?: ErrorOptions) {
    super('IOR_ERR_CANCELLED', message, options);
  }
  /** @internal */
  static override readonly brand: string = 'IOR_ERR_CANCELLED';
}
Object.defineProperty(CancelledError.prototype, 'name', { value: 'CancelledError' });

/** A `timeout()` / `timeoutAt()` deadline passed. */
export class TimeoutError extends IoreactorError {
  declare readonly code: 'IOR_ERR_TIMEOUT';
  constructor(message = 'The operation timed out', options?: ErrorOptions) {
    super('IOR_ERR_TIMEOUT', message, options);
  }
  /** @internal */
  static override readonly brand: string = 'IOR_ERR_TIMEOUT';
}
Object.defineProperty(TimeoutError.prototype, 'name', { value: 'TimeoutError' });

/**
 * A call came at the wrong time: `Future.result()` before it is done, setting a result
 * twice, releasing an unlocked `Lock`, creating a task in a finished `TaskGroup`.
 */
export class InvalidStateError extends IoreactorError {
  declare readonly code: 'IOR_ERR_INVALID_STATE';
  constructor(message: string) {
    super('IOR_ERR_INVALID_STATE', message);
  }
  /** @internal */
  static override readonly brand: string = 'IOR_ERR_INVALID_STATE';
}
Object.defineProperty(InvalidStateError.prototype, 'name', { value: 'InvalidStateError' });

/** A second task waited for the same readiness of the same fd. */
export class BusyResourceError extends IoreactorError {
  declare readonly code: 'IOR_ERR_BUSY';
  constructor(message: string) {
    super('IOR_ERR_BUSY', message);
  }
  /** @internal */
  static override readonly brand: string = 'IOR_ERR_BUSY';
}
Object.defineProperty(BusyResourceError.prototype, 'name', { value: 'BusyResourceError' });

/** String(value) that cannot throw (an object without toString, a throwing toString). */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** One child of a task group and how it failed. */
export interface TaskFailure {
  /** The child task's name. */
  name: string;
  /** What it threw. */
  error: unknown;
}

/** Several children of a `TaskGroup` failed; `failures` names each one. */
export class TaskGroupError extends IoreactorError {
  declare readonly code: 'IOR_ERR_TASK_GROUP';
  /** Every failed child, in the order they failed. */
  readonly failures: readonly TaskFailure[];
  /** The errors alone, as in `AggregateError.errors`. */
  readonly errors: readonly unknown[];

  constructor(failures: readonly TaskFailure[]) {
    const describe = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : typeof e === 'symbol' ? e.toString() : safeString(e));
    super(
      'IOR_ERR_TASK_GROUP',
      `${failures.length} task${failures.length === 1 ? '' : 's'} failed: ` +
        failures.map((f) => `'${f.name}' (${describe(f.error)})`).join('; '),
    );
    this.failures = Object.freeze([...failures]);
    this.errors = Object.freeze(failures.map((f) => f.error));
  }
  /** @internal */
  static override readonly brand: string = 'IOR_ERR_TASK_GROUP';
}
Object.defineProperty(TaskGroupError.prototype, 'name', { value: 'TaskGroupError' });

/**
 * `sockSendAll` / `Socket.sendAll` was cancelled after part of the data went out;
 * `bytesSent` says how much. (When nothing was sent, the cancellation reason itself is
 * thrown: the operation did not happen.)
 */
export class PartialSendError extends IoreactorError {
  declare readonly code: 'IOR_ERR_PARTIAL_SEND';
  /** Bytes that went out before the operation stopped. */
  readonly bytesSent: number;
  constructor(bytesSent: number, cause: unknown, operation = 'sendAll') {
    super('IOR_ERR_PARTIAL_SEND', `${operation} stopped after ${bytesSent} bytes`, { cause });
    this.bytesSent = bytesSent;
  }
  /** @internal */
  static override readonly brand: string = 'IOR_ERR_PARTIAL_SEND';
}
Object.defineProperty(PartialSendError.prototype, 'name', { value: 'PartialSendError' });

/** `getNowait()` on an empty queue. */
export class QueueEmptyError extends IoreactorError {
  declare readonly code: 'IOR_ERR_QUEUE_EMPTY';
  constructor(message = 'Queue is empty') {
    super('IOR_ERR_QUEUE_EMPTY', message);
  }
  /** @internal */
  static override readonly brand: string = 'IOR_ERR_QUEUE_EMPTY';
}
Object.defineProperty(QueueEmptyError.prototype, 'name', { value: 'QueueEmptyError' });

/** `putNowait()` on a full queue. */
export class QueueFullError extends IoreactorError {
  declare readonly code: 'IOR_ERR_QUEUE_FULL';
  constructor(message = 'Queue is full') {
    super('IOR_ERR_QUEUE_FULL', message);
  }
  /** @internal */
  static override readonly brand: string = 'IOR_ERR_QUEUE_FULL';
}
Object.defineProperty(QueueFullError.prototype, 'name', { value: 'QueueFullError' });

/** The queue was shut down. */
export class QueueShutDownError extends IoreactorError {
  declare readonly code: 'IOR_ERR_QUEUE_SHUTDOWN';
  constructor(message = 'Queue is shut down') {
    super('IOR_ERR_QUEUE_SHUTDOWN', message);
  }
  /** @internal */
  static override readonly brand: string = 'IOR_ERR_QUEUE_SHUTDOWN';
}
Object.defineProperty(QueueShutDownError.prototype, 'name', { value: 'QueueShutDownError' });

/** A `Barrier` was aborted or reset while (or before) waiting. */
export class BrokenBarrierError extends IoreactorError {
  declare readonly code: 'IOR_ERR_BROKEN_BARRIER';
  constructor(message = 'The barrier is broken') {
    super('IOR_ERR_BROKEN_BARRIER', message);
  }
  /** @internal */
  static override readonly brand: string = 'IOR_ERR_BROKEN_BARRIER';
}
Object.defineProperty(BrokenBarrierError.prototype, 'name', { value: 'BrokenBarrierError' });

/**
 * A stream read needed more bytes than arrived before EOF (`readExactly`, `readUntil`).
 * `partial` holds the bytes that did arrive (they are consumed); `expected` is the count
 * asked for, or `null` when reading up to a separator.
 */
export class IncompleteReadError extends IoreactorError {
  declare readonly code: 'IOR_ERR_INCOMPLETE_READ';
  /** The bytes read before EOF. */
  readonly partial: Buffer;
  /** The number of bytes expected, or `null` for `readUntil`. */
  readonly expected: number | null;
  constructor(partial: Buffer, expected: number | null) {
    super(
      'IOR_ERR_INCOMPLETE_READ',
      `${partial.length} bytes read on a total of ${expected === null ? 'undefined' : expected} expected bytes`,
    );
    this.partial = partial;
    this.expected = expected;
  }
  /** @internal */
  static override readonly brand: string = 'IOR_ERR_INCOMPLETE_READ';
}
Object.defineProperty(IncompleteReadError.prototype, 'name', { value: 'IncompleteReadError' });

/**
 * A stream read looking for a separator passed the reader's limit. `consumed` is how
 * many bytes would have to be consumed to get past the problem (the data is still
 * buffered after `readUntil`).
 */
export class LimitOverrunError extends IoreactorError {
  declare readonly code: 'IOR_ERR_LIMIT_OVERRUN';
  /** Bytes to consume to get past the overrun. */
  readonly consumed: number;
  constructor(message: string, consumed: number) {
    super('IOR_ERR_LIMIT_OVERRUN', message);
    this.consumed = consumed;
  }
  /** @internal */
  static override readonly brand: string = 'IOR_ERR_LIMIT_OVERRUN';
}
Object.defineProperty(LimitOverrunError.prototype, 'name', { value: 'LimitOverrunError' });

let errorMap: Map<number, [string, string]> | undefined;

/** Node's errno table (`util.getSystemErrorMap()`), keyed by negative errno on Unix. */
function describeErrno(errno: number): [string, string] {
  errorMap ??= getSystemErrorMap();
  return errorMap.get(errno) ?? ['UNKNOWN', `unknown system error ${errno}`];
}

/**
 * An operating-system call failed.
 *
 * Shaped like the errors of Node's own `fs` and `net`: `code` is the errno name
 * (`'EBADF'`), `errno` the negative errno as Node documents it, `syscall` the call that
 * failed, and the message reads `EBADF: bad file descriptor, epoll_ctl`.
 */
export class SystemError extends IoreactorError {
  /** Negative errno, e.g. -9 for EBADF on Linux. */
  readonly errno: number;
  /** The system call that failed, e.g. `'epoll_ctl'`. */
  readonly syscall: string;
  /** For `sockSendAll`/`sendAll`: bytes that went out before the failure. */
  bytesSent?: number;

  /**
   * @param errno - the error number, negative as returned by the native layer (a
   *   positive value is negated).
   * @param syscall - the failing system call.
   * @param operation - the library operation that made it (e.g. `'sockSendFile'`),
   *   named in the message after the system call.
   */
  constructor(errno: number, syscall: string, operation?: string) {
    const negative = errno > 0 ? -errno : errno;
    const [code, description] = describeErrno(negative);
    super(code, `${code}: ${description}, ${syscall}${operation === undefined ? '' : ` (in ${operation})`}`);
    this.errno = negative;
    this.syscall = syscall;
    Object.defineProperty(this, brandOf('SystemError'), { value: true });
  }

  /** @internal */
  static override readonly brand: string = 'SystemError';
}
Object.defineProperty(SystemError.prototype, 'name', { value: 'SystemError' });
