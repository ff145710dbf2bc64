// ioreactor/sys: fd creation flags, read/write return conventions, argument checks.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, SystemError } from '../lib/index.js';
import * as sys from '../lib/sys.js';
import { useResources } from './helpers.js';

const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;

function fdFlags(fd: number): number {
  const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  return parseInt(/flags:\s*(\d+)/.exec(info)![1]!, 8);
}

describe.runIf(process.platform === 'linux')('ioreactor/sys', () => {
  const res = useResources();

  it('socketpair and pipe make non-blocking, close-on-exec fds', () => {
    for (const fd of [...res.socketpair(), ...res.pipe()]) {
      expect(fdFlags(fd) & O_NONBLOCK).toBe(O_NONBLOCK);
      expect(fdFlags(fd) & O_CLOEXEC).toBe(O_CLOEXEC);
    }
  });

  it('read and write return counts, 0 at EOF, and negative errnos without throwing', () => {
    const [a, b] = res.socketpair();
    const buf = Buffer.alloc(8);
    expect(sys.read(a, buf)).toBe(sys.errno.EAGAIN);
    expect(sys.write(b, Buffer.from('hello world'), 6, 5)).toBe(5);
    expect(sys.read(a, buf, 2, 3)).toBe(3);
    expect(buf.subarray(2, 5).toString()).toBe('wor');
    expect(sys.read(a, new Uint8Array(8))).toBe(2);
    res.close(b);
    expect(sys.read(a, buf)).toBe(0);
    expect(sys.write(a, Buffer.from('x'))).toBe(sys.errno.EPIPE);
    expect(sys.read(2 ** 30, buf)).toBe(sys.errno.EBADF);
    expect(sys.errno.EAGAIN).toBeLessThan(0);
  });

  it('read and write accept any ArrayBufferView and check ranges', () => {
    const [a, b] = res.socketpair();
    const view = new DataView(new ArrayBuffer(16), 4, 8);
    expect(sys.write(b, new Uint16Array([0x4141, 0x4242]))).toBe(4);
    expect(sys.read(a, view)).toBe(4);
    expect(view.getUint16(0, true)).toBe(0x4141);
    expect(() => sys.read(a, Buffer.alloc(4), 5)).toThrow(InvalidArgumentError);
    expect(() => sys.read(a, Buffer.alloc(4), 2, 3)).toThrow(InvalidArgumentError);
    expect(() => sys.read(a, Buffer.alloc(4), -1)).toThrow(InvalidArgumentError);
    expect(() => sys.read(a, Buffer.alloc(4), NaN)).toThrow(InvalidArgumentError);
    expect(() => sys.read(a, 'abc' as never)).toThrow(InvalidArgumentError);
    expect(() => sys.write(-1, Buffer.alloc(1))).toThrow(InvalidArgumentError);
    // A zero-length read asks nothing of the socket and returns 0.
    expect(sys.read(a, Buffer.alloc(4), 4)).toBe(0);
  });

  it('close, dup and dup2 throw SystemError for bad fds', () => {
    const [a] = res.socketpair();
    const d = res.adopt(sys.dup(a));
    expect(d).not.toBe(a);
    expect(fdFlags(d) & O_CLOEXEC).toBe(O_CLOEXEC);
    const target = res.adopt(sys.dup2(a, 900));
    expect(target).toBe(900);
    expect(fdFlags(900) & O_CLOEXEC).toBe(O_CLOEXEC);
    expect(sys.dup2(a, a)).toBe(a);
    res.close(d);
    expect(() => sys.close(d)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'close' }));
    expect(() => sys.dup(d)).toThrow(SystemError);
    expect(() => sys.dup2(d, d)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'dup2' }));
    expect(() => sys.close(-1)).toThrow(InvalidArgumentError);
    expect(() => sys.close(1.5)).toThrow(InvalidArgumentError);
    expect(() => sys.close(NaN)).toThrow(InvalidArgumentError);
    expect(() => sys.dup2(a, 2 ** 31)).toThrow(InvalidArgumentError);
  });

  it('setNonBlocking toggles O_NONBLOCK', () => {
    const [a] = res.socketpair();
    sys.setNonBlocking(a, false);
    expect(fdFlags(a) & O_NONBLOCK).toBe(0);
    sys.setNonBlocking(a, true);
    expect(fdFlags(a) & O_NONBLOCK).toBe(O_NONBLOCK);
    expect(() => sys.setNonBlocking(a, 1 as never)).toThrow(InvalidArgumentError);
    expect(() => sys.setNonBlocking(2 ** 30, true)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  it('getrlimitNofile and setrlimitNofile read and change the soft limit', () => {
    // This file runs in its own process (pool: forks); the limit is restored anyway.
    const { soft, hard } = sys.getrlimitNofile();
    expect(soft).toBeGreaterThan(0);
    expect(hard).toBeGreaterThanOrEqual(soft);
    try {
      sys.setrlimitNofile(soft - 1);
      expect(sys.getrlimitNofile()).toEqual({ soft: soft - 1, hard });
      if (hard !== Infinity) {
        expect(() => sys.setrlimitNofile(hard + 1)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
      }
      expect(() => sys.setrlimitNofile(-5)).toThrow(InvalidArgumentError);
      expect(() => sys.setrlimitNofile(NaN)).toThrow(InvalidArgumentError);
    } finally {
      sys.setrlimitNofile(soft);
    }
    expect(sys.getrlimitNofile().soft).toBe(soft);
  });

  it('the open-file limit surfaces as EMFILE from socketpair', () => {
    const { soft } = sys.getrlimitNofile();
    const opened: number[] = [];
    try {
      sys.setrlimitNofile(Math.min(soft, 256));
      let error: unknown;
      for (let i = 0; i < 200 && error === undefined; i++) {
        try {
          opened.push(...sys.socketpair());
        } catch (e) {
          error = e;
        }
      }
      expect(error).toBeInstanceOf(SystemError);
      expect((error as SystemError).code).toBe('EMFILE');
      expect((error as SystemError).syscall).toBe('socketpair');
    } finally {
      for (const fd of opened) sys.close(fd);
      sys.setrlimitNofile(soft);
    }
  });
});
