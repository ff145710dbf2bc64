// The shape of every error class: name, code, errno/syscall, message, instanceof.
import { constants } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import {
  AlreadyRegisteredError,
  BackendUnavailableError,
  BrokenBarrierError,
  ClosedError,
  DefaultSelector,
  EVENT_READ,
  InvalidArgumentError,
  IoreactorError,
  NotRegisteredError,
  QueueEmptyError,
  QueueFullError,
  QueueShutDownError,
  SystemError,
} from '../lib/index.js';

describe('error classes', () => {
  const cases = [
    [InvalidArgumentError, 'InvalidArgumentError', 'IOR_ERR_INVALID_ARG'],
    [AlreadyRegisteredError, 'AlreadyRegisteredError', 'IOR_ERR_ALREADY_REGISTERED'],
    [NotRegisteredError, 'NotRegisteredError', 'IOR_ERR_NOT_REGISTERED'],
    [ClosedError, 'ClosedError', 'IOR_ERR_CLOSED'],
    [BackendUnavailableError, 'BackendUnavailableError', 'IOR_ERR_BACKEND_UNAVAILABLE'],
  ] as const;

  it.each(cases)('%o has a stable name and code', (Class, name, code) => {
    const error = new Class('message text');
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error.message).toBe('message text');
    expect(error).toBeInstanceOf(Class);
    expect(error).toBeInstanceOf(IoreactorError);
    expect(error).toBeInstanceOf(Error);
    expect(String(error)).toBe(`${name}: message text`);
    expect(error.stack).toContain(name);
    for (const [Other] of cases) {
      if (Other !== Class) expect(error).not.toBeInstanceOf(Other);
    }
    expect(error).not.toBeInstanceOf(SystemError);
  });

  it('SystemError matches Node system errors: code, negative errno, syscall, message', () => {
    const error = new SystemError(-constants.errno.EBADF, 'epoll_ctl');
    expect(error.name).toBe('SystemError');
    expect(error.code).toBe('EBADF');
    expect(error.errno).toBe(-constants.errno.EBADF);
    expect(error.syscall).toBe('epoll_ctl');
    expect(error.message).toBe('EBADF: bad file descriptor, epoll_ctl');
    expect(error).toBeInstanceOf(IoreactorError);
    expect(error).not.toBeInstanceOf(InvalidArgumentError);
    // A positive errno is normalised to Node's negative form.
    expect(new SystemError(constants.errno.EPERM, 'x').errno).toBe(-constants.errno.EPERM);
    expect(new SystemError(-99999, 'x').code).toBe('UNKNOWN');
  });

  it('the sync primitives\' errors are branded the same way', () => {
    const classes = [QueueEmptyError, QueueFullError, QueueShutDownError, BrokenBarrierError] as const;
    for (const Class of classes) {
      const error = new Class('x');
      expect(error).toBeInstanceOf(Class);
      expect(error).toBeInstanceOf(IoreactorError);
      for (const Other of classes) if (Other !== Class) expect(error).not.toBeInstanceOf(Other);
      expect(error).not.toBeInstanceOf(ClosedError);
      expect(new ClosedError('x')).not.toBeInstanceOf(Class);
    }
    expect(new QueueEmptyError('x').name).toBe('QueueEmptyError');
    expect(new QueueEmptyError('x').code).toBe('IOR_ERR_QUEUE_EMPTY');
    // A plain object with a matching code is not an instance: only the brand counts.
    expect({ code: 'IOR_ERR_QUEUE_EMPTY' }).not.toBeInstanceOf(QueueEmptyError);
  });

  it('errors thrown by native code are the same classes', () => {
    const sel = new DefaultSelector();
    try {
      let thrown: unknown;
      try {
        sel.register(2 ** 30, EVENT_READ);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(SystemError);
      expect(thrown).toMatchObject({ code: 'EBADF', errno: -constants.errno.EBADF });
    } finally {
      sel.close();
    }
  });

  it('instanceof holds across two copies of the module (duplicate installs)', async () => {
    vi.resetModules();
    const copy = await import('../lib/errors.js?copy=1' as string);
    expect(copy.ClosedError).not.toBe(ClosedError);
    expect(new copy.ClosedError('x')).toBeInstanceOf(ClosedError);
    expect(new ClosedError('x')).toBeInstanceOf(copy.ClosedError);
    expect(new copy.SystemError(-1, 'x')).toBeInstanceOf(SystemError);
    expect(new copy.ClosedError('x')).not.toBeInstanceOf(SystemError);
  });
});
