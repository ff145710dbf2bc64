// The addon's boundary: buffer pointers (SharedArrayBuffer, detached, zero-length),
// arguments whose getters run JavaScript, odd numbers, object lifetimes and fd ownership.
// Most cases call the addon directly, below lib/'s own argument checks.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { EVENT_READ, EVENT_WRITE, EpollSelector, InvalidArgumentError, SystemError, availableBackends } from '../lib/index.js';
import { native, packageRoot } from '../lib/native.js';
import * as sys from '../lib/sys.js';
import { openFdCount, useResources } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const { EAGAIN, EBADF, ESPIPE } = sys.errno;
const { AF_INET, SOCK_DGRAM } = sys;

/** Moves `buffer`'s memory to a clone nobody keeps, leaving `buffer` detached. */
function detach(buffer: ArrayBufferLike): void {
  structuredClone(buffer, { transfer: [buffer as ArrayBuffer] });
}

/** The addon file this run loads, for child processes and workers. */
function addonPath(): string {
  const explicit = process.env.IOREACTOR_NATIVE_PATH;
  if (explicit) return path.resolve(explicit);
  const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
  return nodeGypBuild.path(packageRoot);
}

/** Runs `fn`; if it throws, the value must be one of the library's two native error classes. */
function callChecked(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (error) {
    expect(error instanceof InvalidArgumentError || error instanceof SystemError, String(error)).toBe(true);
    return error;
  }
}

const tmp = mkdtempSync(path.join(tmpdir(), 'ior-boundary-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.runIf(process.platform === 'linux')('native boundary', () => {
  const res = useResources();

  function udpPair(): [number, number, object] {
    const a = res.adopt(native.socket(AF_INET, SOCK_DGRAM, 0));
    const b = res.adopt(native.socket(AF_INET, SOCK_DGRAM, 0));
    native.bind(a, { family: 'IPv4', address: '127.0.0.1', port: 0 });
    return [a, b, native.getsockname(a)];
  }

  function tempFile(text: string): number {
    const file = path.join(tmp, `f${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, text);
    return res.adopt(openSync(file, 'r'));
  }

  describe('SharedArrayBuffer views', () => {
    it('read and write move real data through Uint8Array and DataView over a SharedArrayBuffer', () => {
      const [a, b] = res.socketpair();
      const out = new Uint8Array(new SharedArrayBuffer(32), 8, 16);
      out.set(Buffer.from('hello, shared'));
      expect(native.write(b, out, 0, 13)).toBe(13);
      const into = new DataView(new SharedArrayBuffer(64), 16, 32);
      expect(native.read(a, into, 4)).toBe(13);
      expect(Buffer.from(into.buffer, 20, 13).toString()).toBe('hello, shared');
      // The bytes before the view's window are untouched.
      expect(new Uint8Array(into.buffer, 0, 20).every((x) => x === 0)).toBe(true);
    });

    it('send, recvInto and sendv work with SharedArrayBuffer views', () => {
      const [a, b] = res.socketpair();
      const sab = new SharedArrayBuffer(16);
      new Uint8Array(sab).set(Buffer.from('0123456789abcdef'));
      expect(native.send(b, new Uint8Array(sab, 4, 4))).toBe(4);
      expect(native.sendv(b, [new Uint8Array(sab, 0, 2), new Uint16Array(sab, 10, 1), Buffer.from('!')])).toBe(5);
      const into = new Uint8Array(new SharedArrayBuffer(24), 3);
      expect(native.recvInto(a, into, 1)).toBe(9);
      expect(Buffer.from(into.buffer, 4, 9).toString()).toBe('456701ab!');
    });

    it('recvFrom and sendTo work with SharedArrayBuffer views', () => {
      const [a, b, address] = udpPair();
      const sab = new SharedArrayBuffer(8);
      new Uint8Array(sab).set(Buffer.from('datagram'));
      expect(native.sendTo(b, address, new Uint8Array(sab), 4)).toBe(4);
      const into = new Uint8Array(new SharedArrayBuffer(16), 8);
      const result = native.recvFrom(a, into);
      expect(Array.isArray(result) && result[0]).toBe(4);
      expect(Buffer.from(into.buffer, 8, 4).toString()).toBe('gram');
    });

    it('zero-length views (ArrayBuffer, SharedArrayBuffer, empty ranges) transfer nothing', () => {
      const [a, b] = res.socketpair();
      for (const view of [new Uint8Array(0), new Uint8Array(new SharedArrayBuffer(0)), new DataView(new ArrayBuffer(0)), Buffer.alloc(0)]) {
        expect(native.write(b, view)).toBe(0);
        expect(native.send(b, view)).toBe(0);
        expect(native.read(a, view)).toBe(0);
        expect(native.sendv(b, [view, view])).toBe(0);
      }
      expect(native.sendv(b, [])).toBe(0);
      expect(native.recv(a, 1)).toBe(EAGAIN);
    });
  });

  describe('detached buffers', () => {
    function detachedViews(): ArrayBufferView[] {
      const u8 = new Uint8Array(16);
      const dv = new DataView(new ArrayBuffer(16), 4);
      const sub = Buffer.from(new ArrayBuffer(16), 2, 4);
      for (const view of [u8, dv, sub]) detach(view.buffer);
      return [u8, dv, sub];
    }

    it('every buffer-taking call rejects a detached view before the syscall', () => {
      const [a, b] = res.socketpair();
      const [u, , address] = udpPair();
      const file = tempFile('abc');
      native.write(b, Buffer.from('xyz'));
      for (const view of detachedViews()) {
        expect(() => native.read(a, view)).toThrow(InvalidArgumentError);
        expect(() => native.read(a, view, 0, 0)).toThrow(InvalidArgumentError);
        expect(() => native.write(b, view)).toThrow(InvalidArgumentError);
        expect(() => native.recvInto(a, view)).toThrow(InvalidArgumentError);
        expect(() => native.send(b, view)).toThrow(InvalidArgumentError);
        expect(() => native.sendv(b, [Buffer.from('x'), view])).toThrow(InvalidArgumentError);
        expect(() => native.recvFrom(a, view)).toThrow(InvalidArgumentError);
        expect(() => native.sendTo(u, address, view)).toThrow(InvalidArgumentError);
        expect(() => native.pread(file, view, 0, 0, 0)).toThrow(InvalidArgumentError);
      }
      // Nothing was consumed or sent by the rejected calls.
      expect(native.recv(a, 16)).toEqual(Buffer.from('xyz'));
      expect(native.recv(a, 16)).toBe(EAGAIN);
    });

    it('a selector whose event buffer was detached refuses to select instead of writing into it', () => {
      const selector = new native.Selector('epoll');
      try {
        const [, b] = res.socketpair();
        const events = new Int32Array(8);
        selector.setBuffer(events);
        selector.register(b, EVENT_WRITE);
        const moved = structuredClone(events.buffer, { transfer: [events.buffer] });
        expect(() => selector.select(0)).toThrow(InvalidArgumentError);
        expect(new Int32Array(moved)[0]).toBe(0);
        // A fresh buffer makes it usable again.
        selector.setBuffer(new Int32Array(new SharedArrayBuffer(64)));
        expect(selector.select(0)).toBe(1);
      } finally {
        selector.close();
      }
    });

    it('sendv: a getter on a later element that detaches an earlier one cannot make sendmsg read freed memory', () => {
      const [a, b] = res.socketpair();
      const first = new Uint8Array(1 << 16).fill(0x61);
      const buffers: Uint8Array[] = [first];
      let getterRan = false;
      Object.defineProperty(buffers, 1, {
        enumerable: true,
        get() {
          getterRan = true;
          detach(first.buffer);
          // The clone that owns the memory is garbage now: collect it, so a pointer
          // taken before this getter ran would point at freed memory.
          gc();
          return Buffer.from('b');
        },
      });
      expect(buffers.length).toBe(2);
      expect(() => native.sendv(b, buffers)).toThrow(InvalidArgumentError);
      expect(getterRan).toBe(true);
      expect(native.recv(a, 16)).toBe(EAGAIN);
    });

    it('sendv: a throwing getter propagates its error and sends nothing', () => {
      const [a, b] = res.socketpair();
      const buffers: Uint8Array[] = [Buffer.from('a')];
      const boom = new Error('boom');
      Object.defineProperty(buffers, 1, {
        get() {
          throw boom;
        },
      });
      expect(() => native.sendv(b, buffers)).toThrow(boom);
      expect(native.recv(a, 16)).toBe(EAGAIN);
    });

    it('sendTo reads the address (whose getters may detach the buffer) before taking the pointer', () => {
      const [u, , address] = udpPair();
      const payload = new Uint8Array(8).fill(0x62);
      const tricky = {
        family: 'IPv4',
        get address() {
          detach(payload.buffer);
          return (address as { address: string }).address;
        },
        port: (address as { port: number }).port,
      };
      expect(() => native.sendTo(u, tricky, payload)).toThrow(InvalidArgumentError);
    });
  });

  describe('recv', () => {
    it('returns right-sized Buffers, an empty Buffer for 0 bytes, and -EAGAIN without allocating', () => {
      const [a, b] = res.socketpair();
      expect(native.recv(a, 100)).toBe(EAGAIN);
      const before = process.memoryUsage().arrayBuffers;
      for (let i = 0; i < 4; i++) expect(native.recv(a, 64 << 20)).toBe(EAGAIN);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);

      native.write(b, Buffer.from('hello'));
      const small = native.recv(a, 100) as Buffer;
      expect(small.toString()).toBe('hello');
      expect(small.buffer.byteLength).toBeLessThan(100);

      const big = Buffer.alloc(100_000, 7);
      let sent = 0;
      while (sent < big.length) {
        const n = native.write(b, big, sent);
        if (n < 0) break;
        sent += n;
      }
      let got = 0;
      for (const size of [10, 3 << 20, 600_000]) {
        const chunk = native.recv(a, size);
        if (typeof chunk === 'number') break;
        expect(chunk.length).toBeLessThanOrEqual(size);
        expect(chunk.every((x) => x === 7)).toBe(true);
        got += chunk.length;
      }
      while (got < sent) {
        const chunk = native.recv(a, 1 << 20);
        expect(typeof chunk).not.toBe('number');
        got += (chunk as Buffer).length;
      }
      expect(got).toBe(sent);
      native.write(b, Buffer.from('z'));
      const zero = native.recv(a, 0);
      expect(Buffer.isBuffer(zero) && zero.length).toBe(0);
      res.close(b);
      const eof = native.recv(a, 10);
      expect(Buffer.isBuffer(eof) && eof.toString()).toBe('z');
      expect((native.recv(a, 10) as Buffer).length).toBe(0);
      expect(native.recv(2 ** 30, 10)).toBe(EBADF);
    });
  });

  describe('recvFromKey / addressFromKey', () => {
    it('validate the key before any syscall and reject keys they did not write', () => {
      const [a, b] = res.socketpair();
      native.write(b, Buffer.from('kept'));
      const buf = Buffer.alloc(16);
      const short = new Uint8Array(native.addressKeyBytes - 1);
      expect(() => native.recvFromKey(a, buf, 0, 16, short)).toThrow(InvalidArgumentError);
      expect(() => native.recvFromKey(a, buf, 0, 16, 'key' as never)).toThrow(InvalidArgumentError);
      const detached = new Uint8Array(native.addressKeyBytes);
      structuredClone(detached.buffer, { transfer: [detached.buffer] });
      expect(() => native.recvFromKey(a, buf, 0, 16, detached)).toThrow(InvalidArgumentError);
      // None of the rejected calls read: the bytes are still there.
      const key = new Uint8Array(new SharedArrayBuffer(native.addressKeyBytes));
      expect(native.recvFromKey(a, buf, 0, 16, key)).toBe(4);
      expect(buf.subarray(0, 4).toString()).toBe('kept');
      // A stream socketpair's peer has no address (length 0): the family reads as 0.
      expect(Array.from(key.subarray(0, 4))).toEqual([0, 0, 0, 0]);
      expect(native.addressFromKey(key)).toEqual({ family: 0 });
      expect(native.recvFromKey(a, buf, 0, 16, key)).toBe(EAGAIN);
      const bogus = new Uint8Array(native.addressKeyBytes).fill(0xff);
      expect(() => native.addressFromKey(bogus)).toThrow(InvalidArgumentError);
      expect(() => native.addressFromKey(new Uint8Array(2))).toThrow(InvalidArgumentError);
      const long = new Uint8Array(8);
      long[0] = 100; // claims 100 bytes of address in an 8-byte key
      expect(() => native.addressFromKey(long)).toThrow(InvalidArgumentError);
    });

    it('recvFrom reports "no address" ({ family: 0 }) when the kernel fills none in, like recvFromKey', () => {
      // A stream socketpair's (or an unbound unix datagram sender's) recvfrom leaves the
      // address length 0 and the sockaddr untouched: recvFrom read the family and address
      // from uninitialized stack memory (here: what the UDP receive before it left there).
      const [u, v, uAddr] = udpPair();
      const [a, b] = res.socketpair();
      const buf = Buffer.alloc(16);
      for (let round = 0; round < 3; round++) {
        native.sendTo(v, uAddr as never, Buffer.from('udp'));
        expect(native.recvFrom(u, buf)).toEqual([3, expect.objectContaining({ family: 'IPv4', address: '127.0.0.1' })]);
        native.write(b, Buffer.from('pair'));
        expect(native.recvFrom(a, buf)).toEqual([4, { family: 0 }]);
      }
    });
  });

  describe('selectors', () => {
    it.runIf(availableBackends().includes('epoll'))(
      'epoll: unregistering an fd whose number was reused by a regular file does not throw',
      () => {
        const sel = res.selector('epoll');
        expect(sel).toBeInstanceOf(EpollSelector);
        const [a] = res.socketpair();
        sel.register(a, EVENT_READ);
        res.close(a);
        const file = tempFile('reuse');
        expect(file).toBe(a);
        expect(() => sel.unregister(a)).not.toThrow();
        expect(sel.getMap()!.size).toBe(0);
      },
    );

    it.each(availableBackends())('%s: invalid events are rejected before any native state changes', (backend) => {
      const selector = new native.Selector(backend);
      try {
        const [a] = res.socketpair();
        selector.setBuffer(new Int32Array(8));
        const bad = [2 ** 32, 2 ** 32 + 1, 2 ** 53, 1.5, NaN, -1, 0, 4, Infinity, -Infinity, '1', null, {}];
        for (const events of bad) {
          expect(() => selector.register(a, events as number), String(events)).toThrow(InvalidArgumentError);
        }
        expect(selector.size()).toBe(0);
        selector.register(a, EVENT_READ);
        if (selector.injectFault) selector.injectFault(-5);
        for (const events of bad) {
          expect(() => selector.modify(a, events as number), String(events)).toThrow(InvalidArgumentError);
        }
        expect(selector.size()).toBe(1);
        if (selector.injectFault) {
          // The fault is still pending: the invalid calls never reached the kernel path.
          expect(() => selector.modify(a, EVENT_WRITE)).toThrow(SystemError);
          expect(selector.size()).toBe(0);
          selector.register(a, EVENT_READ);
        }
        for (const fd of [-1, 2 ** 31, 1.5, NaN, -0.5, Infinity]) {
          expect(() => selector.register(fd, EVENT_READ)).toThrow(InvalidArgumentError);
          expect(() => selector.modify(fd, EVENT_READ)).toThrow(InvalidArgumentError);
          expect(() => selector.unregister(fd)).toThrow(InvalidArgumentError);
        }
        for (const timeout of [NaN, 'x', null]) {
          expect(() => selector.select(timeout as number)).toThrow(InvalidArgumentError);
        }
        expect(selector.size()).toBe(1);
        selector.unregister(a);
        expect(selector.size()).toBe(0);
      } finally {
        selector.close();
      }
    });

    it('the event buffer may be a SharedArrayBuffer view; a zero-pair or wrong-type buffer is rejected', () => {
      const selector = new native.Selector('poll');
      try {
        const [, b] = res.socketpair();
        for (const bad of [new Int32Array(1), new Uint32Array(8), new Int32Array(0), {}, null]) {
          expect(() => selector.setBuffer(bad as Int32Array)).toThrow(InvalidArgumentError);
        }
        const events = new Int32Array(new SharedArrayBuffer(40), 8, 4);
        selector.setBuffer(events);
        selector.register(b, EVENT_WRITE);
        expect(selector.select(0)).toBe(1);
        expect([events[0], events[1]]).toEqual([b, EVENT_WRITE]);
        expect(new Int32Array(events.buffer, 0, 2).every((x) => x === 0)).toBe(true);
      } finally {
        selector.close();
      }
    });
  });

  describe('test hooks', () => {
    it('binding.gyp never defines IOR_TEST_HOOKS; CMake has it off by default; the ASan script turns it on', () => {
      const gyp = readFileSync(path.join(packageRoot, 'binding.gyp'), 'utf8');
      expect(gyp).not.toContain('IOR_TEST_HOOKS');
      const cmake = readFileSync(path.join(packageRoot, 'CMakeLists.txt'), 'utf8');
      expect(cmake).toMatch(/option\(IOR_TEST_HOOKS\s+"[^"]*"\s+OFF\)/);
      expect(readFileSync(path.join(packageRoot, 'scripts/test-asan.sh'), 'utf8')).toContain('--CDIOR_TEST_HOOKS=ON');
    });

    const release = path.join(packageRoot, 'build/Release/ioreactor.node');
    it.runIf(existsSync(release))(
      'the node-gyp (production) addon has no injectFault',
      () => {
        const code = `const a = require(${JSON.stringify(release)}); const s = new a.Selector('poll');
          console.log(typeof s.injectFault, typeof s.eintrRetries); s.close();`;
        const child = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
        expect(child.stderr).toBe('');
        expect(child.stdout.trim()).toBe('undefined function');
      },
    );
  });

  describe('pread', () => {
    it('reads at a position without moving the file offset; errors are negative errnos', () => {
      const fd = tempFile('0123456789');
      const buf = Buffer.alloc(8, 0x2e);
      expect(native.pread(fd, buf, 2, 4, 3)).toBe(4);
      expect(buf.toString()).toBe('..3456..');
      expect(native.pread(fd, buf, undefined, undefined, 6)).toBe(4);
      expect(buf.subarray(0, 4).toString()).toBe('6789');
      expect(native.pread(fd, buf, 0, 8, 10)).toBe(0);
      expect(native.pread(fd, buf, 0, 8, 2 ** 53)).toBe(0);
      expect(native.pread(fd, new Uint8Array(0), undefined, undefined, 0)).toBe(0);
      const shared = new Uint8Array(new SharedArrayBuffer(12), 2);
      expect(native.pread(fd, shared, 0, 10, 0)).toBe(10);
      expect(Buffer.from(shared.buffer, 2, 10).toString()).toBe('0123456789');
      // pread never moved the file offset.
      expect(native.read(fd, buf)).toBe(8);
      expect(buf.toString()).toBe('01234567');
      const [a] = res.pipe();
      expect(native.pread(a, buf, 0, 1, 0)).toBe(ESPIPE);
      expect(native.pread(2 ** 30, buf, 0, 1, 0)).toBe(EBADF);
      for (const position of [-1, 2 ** 53 + 2, 1.5, NaN, Infinity, -Infinity, '0', undefined, null]) {
        expect(() => native.pread(fd, buf, 0, 1, position as number), String(position)).toThrow(InvalidArgumentError);
      }
      expect(() => native.pread(fd, buf, 9, 0, 0)).toThrow(InvalidArgumentError);
      expect(() => native.pread(fd, {} as Uint8Array, 0, 0, 0)).toThrow(InvalidArgumentError);
    });
  });

  describe('odd arguments', () => {
    const numbers = [NaN, Infinity, -Infinity, 2 ** 53, 2 ** 53 + 2, 2 ** 32, 2 ** 31, 1e300, -1, 1.5, -0.5, '1', null, true, {}, [], 10n];

    it('byte ranges: every odd offset or length is an InvalidArgumentError; -0 is 0', () => {
      const [a, b] = res.socketpair();
      const [u, , address] = udpPair();
      const fd = tempFile('x');
      const buf = Buffer.alloc(4);
      const calls: ((offset: unknown, length: unknown) => unknown)[] = [
        (o, l) => native.read(a, buf, o as number, l as number),
        (o, l) => native.write(b, buf, o as number, l as number),
        (o, l) => native.recvInto(a, buf, o as number, l as number),
        (o, l) => native.send(b, buf, o as number, l as number),
        (o, l) => native.recvFrom(a, buf, o as number, l as number),
        (o, l) => native.sendTo(u, address, buf, o as number, l as number),
        (o, l) => native.pread(fd, buf, o as number, l as number, 0),
      ];
      for (const call of calls) {
        for (const value of numbers) {
          expect(() => call(value, undefined), `offset ${String(value)}`).toThrow(InvalidArgumentError);
          expect(() => call(0, value), `length ${String(value)}`).toThrow(InvalidArgumentError);
        }
        expect(() => call(5, undefined)).toThrow(InvalidArgumentError);
        expect(() => call(2, 3)).toThrow(InvalidArgumentError);
        callChecked(() => call(-0, -0));
      }
    });

    it('non-views, Proxies and lookalikes are rejected as buffers', () => {
      const [a, b] = res.socketpair();
      const fakes = [
        new Proxy(Buffer.alloc(4), {}),
        Object.create(Buffer.alloc(4)),
        Object.create(null),
        new ArrayBuffer(4),
        new SharedArrayBuffer(4),
        { buffer: new ArrayBuffer(4), byteOffset: 0, byteLength: 4 },
        'abcd',
        4,
        null,
        undefined,
      ];
      for (const fake of fakes) {
        const view = fake as Uint8Array;
        expect(() => native.read(a, view)).toThrow(InvalidArgumentError);
        expect(() => native.write(b, view)).toThrow(InvalidArgumentError);
        expect(() => native.recvInto(a, view)).toThrow(InvalidArgumentError);
        expect(() => native.send(b, view)).toThrow(InvalidArgumentError);
        expect(() => native.sendv(b, [view])).toThrow(InvalidArgumentError);
        expect(() => native.recvFrom(a, view)).toThrow(InvalidArgumentError);
      }
      for (const list of [new Proxy([Buffer.alloc(1)], {}), { length: 1, 0: Buffer.alloc(1) }, Object.create(null), 'ab', [Buffer.alloc(1), , Buffer.alloc(1)]]) {
        expect(() => native.sendv(b, list as Uint8Array[])).toThrow(InvalidArgumentError);
      }
      expect(native.recv(a, 4)).toBe(EAGAIN);
    });

    it('addresses: Object.create(null), Proxies, odd ports and IPv6 fields never crash', () => {
      const [u, , address] = udpPair();
      const { port } = address as { port: number };
      const payload = Buffer.from('p');
      const bad: unknown[] = [
        Object.create(null),
        {},
        { family: 'IPv4' },
        { family: 'IPv4', address: '127.0.0.1' },
        { family: 'IPv4', address: '127.0.0.1', port: NaN },
        { family: 'IPv4', address: '127.0.0.1', port: 65536 },
        { family: 'IPv4', address: '127.0.0.1', port: -1 },
        { family: 'IPv4', address: '127.0.0.1', port: 1.5 },
        { family: 'IPv4', address: '127.0.0.1', port: Infinity },
        { family: 'IPv4', address: '127.0.0.1', port: '80' },
        { family: 'IPv4', address: 'localhost', port },
        { family: 'IPv6', address: '::1', port, flowinfo: NaN },
        { family: 'IPv6', address: '::1', port, flowinfo: 2 ** 32 },
        { family: 'IPv6', address: '::1', port, scopeid: -1 },
        { family: 'IPv6', address: '::1', port, scopeid: 2 ** 53 },
        { family: 'IPv6', address: '::1', port, scopeid: 1.5 },
        { family: 'unix', path: '' },
        { family: 'unix', path: 'x'.repeat(200) },
        { family: 'unix', path: 5 },
        { family: 'bogus' },
        { family: { toString: () => 'IPv4' }, address: '127.0.0.1', port },
        'IPv4',
        null,
      ];
      for (const value of bad) {
        expect(() => native.sendTo(u, value as object, payload), JSON.stringify(value)).toThrow(InvalidArgumentError);
        expect(() => native.connect(u, value as object)).toThrow(InvalidArgumentError);
      }
      // A Proxy with ordinary traps is just an object: its properties are read once each.
      const reads: (string | symbol)[] = [];
      const proxy = new Proxy({ family: 'IPv4', address: '127.0.0.1', port }, {
        get(target, key, receiver) {
          reads.push(key);
          return Reflect.get(target, key, receiver);
        },
      });
      expect(native.sendTo(u, proxy, payload)).toBe(1);
      expect(reads).toEqual(['family', 'address', 'port']);
      // A getter that throws propagates its own error.
      const boom = new Error('boom');
      expect(() => native.sendTo(u, { family: 'IPv4', get address(): string { throw boom; }, port }, payload)).toThrow(boom);
    });

    it('integer arguments of the other calls: NaN, ±Infinity, 2**53, fractions are InvalidArgumentErrors', () => {
      const [a, b] = res.socketpair();
      for (const value of numbers) {
        const v = value as number;
        expect(() => native.close(v)).toThrow(InvalidArgumentError);
        expect(() => native.dup(v)).toThrow(InvalidArgumentError);
        expect(() => native.dup2(a, v)).toThrow(InvalidArgumentError);
        expect(() => native.recv(a, v)).toThrow(InvalidArgumentError);
        expect(() => native.shutdown(a, v)).toThrow(InvalidArgumentError);
        expect(() => native.listen(a, v)).toThrow(InvalidArgumentError);
        expect(() => native.socket(v, 1, 0)).toThrow(InvalidArgumentError);
        expect(() => native.ownFd(v)).toThrow(InvalidArgumentError);
        expect(() => native.closeOwnedFd(v)).toThrow(InvalidArgumentError);
        expect(() => native.disownFd(v)).toThrow(InvalidArgumentError);
      }
      // sendFile takes offsets and counts up to 2**53 (the kernel answers for large ones);
      // setsockopt takes any C int or a boolean.
      for (const value of [NaN, Infinity, -Infinity, 2 ** 53 + 2, 1e300, -1, 1.5, '1', null, {}, 10n]) {
        expect(() => native.sendFile(b, a, value as number, 1)).toThrow(InvalidArgumentError);
        expect(() => native.sendFile(b, a, 0, value as number)).toThrow(InvalidArgumentError);
      }
      expect(native.sendFile(b, a, 2 ** 53, 2 ** 53)).toBeLessThan(0);
      for (const value of [NaN, Infinity, 2 ** 31, -(2 ** 31) - 1, 1.5, '1', null, {}, 10n]) {
        expect(() => native.setsockopt(a, 'SO_RCVBUF', value as number)).toThrow(InvalidArgumentError);
      }
      expect(() => native.setNonBlocking(a, 1 as unknown as boolean)).toThrow(InvalidArgumentError);
      expect(() => native.getsockopt(a, Object.create(null))).toThrow(InvalidArgumentError);
      expect(() => native.setrlimitNofile(NaN)).toThrow(InvalidArgumentError);
      expect(() => native.setrlimitNofile(-Infinity)).toThrow(InvalidArgumentError);
      expect(() => native.init(Object.create(null))).toThrow(InvalidArgumentError);
      expect(() => native.init(new Proxy({}, {}) as never)).toThrow(InvalidArgumentError);
      // -0 is the integer 0: a zero-byte read of fd 0 (whatever it is here) returns a number.
      expect(typeof callChecked(() => native.read(-0, Buffer.alloc(0)))).toBe('number');
    });

    it('Loop and Selector constructors and methods survive lookalike objects and wrong receivers', () => {
      const selector = new native.Selector('epoll');
      const noop = (): void => {};
      try {
        selector.setBuffer(new Int32Array(8));
        const lookalikes = [
          new Proxy(selector, {}),
          Object.create(selector),
          Object.setPrototypeOf({}, native.Selector.prototype),
          Object.create(null),
          {},
        ];
        for (const fake of lookalikes) {
          expect(() => new native.Loop(fake as never, noop, noop)).toThrow(InvalidArgumentError);
        }
        expect(() => new native.Loop(selector, noop, {} as never)).toThrow(InvalidArgumentError);
        for (const name of ['bogus', '', Object.create(null), 1]) {
          expect(() => new native.Selector(name as string)).toThrow(InvalidArgumentError);
        }
        // Methods called on another object fail without touching memory (V8's receiver check).
        const loop = new native.Loop(selector, noop, noop);
        try {
          expect(() => native.Selector.prototype.select.call(loop, 0)).toThrow();
          expect(() => native.Selector.prototype.register.call(Object.create(selector), 0, 1)).toThrow();
          expect(() => native.Loop.prototype.close.call(selector)).toThrow();
          for (const delay of [NaN, Infinity, -Infinity, 2 ** 53, 1e300, -0, -5]) loop.armTimer(delay);
          loop.disarmTimer();
          expect(() => loop.armTimer('1' as never)).toThrow(InvalidArgumentError);
        } finally {
          loop.close();
          loop.close();
        }
      } finally {
        selector.close();
      }
    });
  });

  describe('fd ownership', () => {
    it('closeOwnedFd closes and forgets; disownFd forgets; errors are negative errnos', () => {
      const [a, b] = sys.socketpair();
      native.ownFd(a);
      native.ownFd(b);
      expect(native.disownFd(b)).toBe(true);
      expect(native.disownFd(b)).toBe(false);
      expect(native.closeOwnedFd(a)).toBe(0);
      expect(native.closeOwnedFd(a)).toBe(EBADF);
      expect(native.closeOwnedFd(b)).toBe(0);
    });

    function workerFdTest(mode: 'exit' | 'terminate'): Promise<void> {
      const code = `
        const { parentPort, workerData } = require('node:worker_threads');
        const addon = require(workerData.addon);
        class E extends Error {}
        addon.init({ SystemError: E, InvalidArgumentError: E });
        for (let i = 0; i < 50; i++) {
          const [a, b] = addon.socketpair();
          addon.ownFd(a);
          addon.ownFd(b);
        }
        parentPort.postMessage('ready');
        if (workerData.mode === 'exit') process.exit(0);
        setInterval(() => {}, 1000);
      `;
      return new Promise<void>((resolve, reject) => {
        const before = openFdCount();
        const worker = new Worker(code, { eval: true, workerData: { addon: addonPath(), mode } });
        let opened = 0;
        worker.on('error', reject);
        worker.on('message', () => {
          opened = openFdCount() - before;
          if (mode === 'terminate') void worker.terminate();
        });
        worker.on('exit', () => {
          try {
            expect(opened).toBeGreaterThanOrEqual(100);
            expect(openFdCount()).toBe(before);
            resolve();
          } catch (error) {
            reject(error);
          }
        });
      });
    }

    it('a worker that calls process.exit() closes the fds it owns', () => workerFdTest('exit'));
    it('a terminated worker closes the fds it owns', () => workerFdTest('terminate'));
  });

  describe('object lifetimes', () => {
    it('closed native Loops (and the callbacks they held) are garbage-collected', () => {
      const code = `
        const addon = require(${JSON.stringify(addonPath())});
        class E extends Error {}
        addon.init({ SystemError: E, InvalidArgumentError: E });
        const N = Number(process.argv[1]);
        let collected = 0;
        const registry = new FinalizationRegistry(() => collected++);
        const turn = () => new Promise((r) => setImmediate(r));
        const settle = async () => {
          for (let i = 0; i < 4; i++) { global.gc(); await turn(); await new Promise((r) => setTimeout(r, 1)); }
        };
        const usage = () => { const m = process.memoryUsage(); return m.heapUsed + m.external; };
        async function churn(n) {
          for (let i = 0; i < n; i++) {
            const selector = new addon.Selector('epoll');
            selector.setBuffer(new Int32Array(2048));
            const big = { payload: new Array(256).fill(i), loop: null };
            const loop = new addon.Loop(selector, (count) => big.payload[count], () => big.payload.length);
            big.loop = loop;
            registry.register(loop, i);
            loop.close();
            selector.close();
            if (i % 256 === 255) await turn();
          }
        }
        (async () => {
          await churn(2000);
          await settle();
          const start = usage();
          collected = 0;
          await churn(N);
          await settle();
          const perLoop = (usage() - start) / N;
          console.log(JSON.stringify({ collected, perLoop }));
        })();
      `;
      const n = 20_000;
      const child = spawnSync(process.execPath, ['--expose-gc', '-e', code, String(n)], { encoding: 'utf8' });
      expect(child.stderr).toBe('');
      const { collected, perLoop } = JSON.parse(child.stdout) as { collected: number; perLoop: number };
      expect(collected).toBeGreaterThan(n * 0.9);
      expect(perLoop).toBeLessThan(200);
    });
  });
});
