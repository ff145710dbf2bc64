// Pipe transports: a read pipe delivers data, then EOF and connectionLost; a write pipe's
// flow control bounds its buffer when nobody reads; writeLines goes out in one writev;
// writeEof lets the reader see EOF; sys.pipe's per-end flags; sys.writev's argument
// safety; validation before any state change; a closing loop settles everything.
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  BusyResourceError,
  ClosedError,
  getEventLoop,
  InvalidArgumentError,
  type Protocol,
  Socket,
} from '../lib/index.js';
import { native } from '../lib/native.js';
import * as sys from '../lib/sys.js';
import { useResources, waitFor } from './helpers.js';

getEventLoop();

const EAGAIN = sys.errno.EAGAIN;
const tmp = mkdtempSync(path.join(tmpdir(), 'ior-pipes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

class Recorder implements Protocol {
  events: string[] = [];
  data: Buffer[] = [];
  lost: Error | null | undefined;
  closed: Promise<void>;
  #closed!: () => void;
  constructor() {
    this.closed = new Promise<void>((resolve) => (this.#closed = resolve));
  }
  connectionMade(): void {
    this.events.push('made');
  }
  dataReceived(data: Buffer): void {
    if (this.events.at(-1) !== 'data') this.events.push('data');
    this.data.push(data);
  }
  eofReceived(): void {
    this.events.push('eof');
  }
  connectionLost(error: Error | null): void {
    this.events.push('lost');
    this.lost = error;
    this.#closed();
  }
  pauseWriting(): void {
    this.events.push('pause');
  }
  resumeWriting(): void {
    this.events.push('resume');
  }
  text(): string {
    return Buffer.concat(this.data).toString();
  }
}

/** Whether `fd` is open in this process. */
function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

/** O_NONBLOCK of fd from /proc (Linux), or undefined where there is no /proc. */
function nonBlocking(fd: number): boolean | undefined {
  const info = `/proc/self/fdinfo/${fd}`;
  if (!existsSync(info)) return undefined;
  const flags = /flags:\s*([0-7]+)/.exec(readFileSync(info, 'utf8'))![1]!;
  return (parseInt(flags, 8) & 0o4000) !== 0;
}

function detach(buffer: ArrayBufferLike): void {
  structuredClone(buffer, { transfer: [buffer as ArrayBuffer] });
}

describe('pipe transports', () => {
  const res = useResources();

  it('a read pipe: data, then eofReceived, then connectionLost(null); the fd is closed after', async () => {
    const loop = res.loop();
    const [r, w] = res.pipe();
    res.forget(r); // the transport owns it now
    const [t, p] = await loop.connectReadPipe(() => new Recorder(), r);
    expect(p.events).toEqual(['made']);
    expect(t.isReading()).toBe(true);
    expect(t.getExtraInfo('pipe')).toBe(r);
    sys.write(w, Buffer.from('hello, '));
    await waitFor(() => p.text() === 'hello, ', { what: 'the first chunk' });
    t.pauseReading();
    sys.write(w, Buffer.from('pipe'));
    res.close(w);
    t.resumeReading();
    await p.closed;
    expect(p.text()).toBe('hello, pipe');
    expect(p.events).toEqual(['made', 'data', 'eof', 'lost']);
    expect(p.lost).toBeNull();
    expect(isOpen(r)).toBe(false);
    expect(loop.registeredFds).toBe(0);
  });

  it('a write pipe nobody reads: pauseWriting fires once, the buffer stays bounded, resumeWriting after draining', async () => {
    const loop = res.loop();
    const [r, w] = res.pipe();
    res.forget(w);
    const [t, p] = await loop.connectWritePipe(() => new Recorder(), w);
    const { high } = t.getWriteBufferLimits();
    const chunk = Buffer.alloc(16 * 1024, 0x78);
    let written = 0;
    for (let i = 0; i < 1000 && !p.events.includes('pause'); i++) {
      t.write(chunk);
      written += chunk.length;
    }
    expect(p.events).toEqual(['made', 'pause']);
    expect(t.getWriteBufferSize()).toBeGreaterThan(high);
    expect(t.getWriteBufferSize()).toBeLessThanOrEqual(high + chunk.length);
    // Drain the reader until the transport has flushed everything.
    const sink = Buffer.alloc(1 << 16);
    let read = 0;
    await waitFor(() => {
      for (let n; (n = sys.read(r, sink)) > 0; ) read += n;
      return read === written;
    }, { what: 'every byte read' });
    expect(p.events).toEqual(['made', 'pause', 'resume']);
    expect(t.getWriteBufferSize()).toBe(0);
    t.close();
    await p.closed;
    expect(isOpen(w)).toBe(false);
  });

  it('writeLines goes out in one writev; writeEof closes the pipe so the reader sees EOF', async () => {
    const loop = res.loop();
    const [r, w] = res.pipe();
    res.forget(r);
    res.forget(w);
    const [, reader] = await loop.connectReadPipe(() => new Recorder(), r);
    const [t, writer] = await loop.connectWritePipe(() => new Recorder(), w);
    // The transport passes its queue, which it consumes afterwards: count at call time.
    const counts: number[] = [];
    const original = native.writev;
    const writev = vi.spyOn(native, 'writev').mockImplementation((fd, buffers) => {
      counts.push(buffers.length);
      return original(fd, buffers);
    });
    try {
      t.writeLines([Buffer.from('one\n'), new Uint8Array(0), Buffer.from('two\n'), new Uint8Array(Buffer.from('three\n'))]);
      expect(counts).toEqual([3]); // one writev; the empty chunk is skipped
    } finally {
      writev.mockRestore();
    }
    t.writeEof();
    expect(t.isClosing()).toBe(true);
    expect(() => t.write(Buffer.from('late'))).toThrow(); // InvalidStateError after writeEof
    await Promise.all([reader.closed, writer.closed]);
    expect(reader.text()).toBe('one\ntwo\nthree\n');
    expect(reader.events).toEqual(['made', 'data', 'eof', 'lost']);
    expect(writer.lost).toBeNull();
  });

  it('a write pipe notices its reader going away while idle and closes itself', async () => {
    const loop = res.loop();
    const [r, w] = res.pipe();
    res.forget(w);
    const [, p] = await loop.connectWritePipe(() => new Recorder(), w);
    res.close(r);
    await p.closed;
    expect(p.events).toEqual(['made', 'lost']);
    expect(p.lost).toBeNull();
  });

  it('arguments are checked before anything changes: fd kind, owner, factory', async () => {
    const loop = res.loop();
    const file = path.join(tmp, 'regular');
    const fd = openSync(file, 'w');
    try {
      await expect(loop.connectReadPipe(() => new Recorder(), fd)).rejects.toThrow(InvalidArgumentError);
    } finally {
      closeSync(fd);
    }
    for (const bad of [-1, 1.5, '3', null]) {
      await expect(loop.connectWritePipe(() => new Recorder(), bad as number)).rejects.toThrow(InvalidArgumentError);
    }
    const sock = new Socket({ family: 'unix', loop });
    try {
      await expect(loop.connectReadPipe(() => new Recorder(), sock.fileno())).rejects.toThrow(BusyResourceError);
      expect(sock.closed).toBe(false);
    } finally {
      sock.close();
    }
    const [r] = res.pipe();
    sys.setNonBlocking(r, false);
    const boom = new Error('boom');
    await expect(loop.connectReadPipe(() => { throw boom; }, r)).rejects.toBe(boom);
    await expect(loop.connectReadPipe('x' as never, r)).rejects.toThrow(InvalidArgumentError);
    if (nonBlocking(r) !== undefined) expect(nonBlocking(r)).toBe(false); // untouched
    expect(isOpen(r)).toBe(true);
  });

  it('closing the loop settles both transports with ClosedError and closes their fds', async () => {
    const loop = res.loop();
    const [r, w] = res.pipe();
    res.forget(r);
    res.forget(w);
    const [, reader] = await loop.connectReadPipe(() => new Recorder(), r);
    const [t, writer] = await loop.connectWritePipe(() => new Recorder(), w);
    t.setWriteBufferLimits({ high: 1 << 30 });
    const big = Buffer.alloc(1 << 20);
    t.write(big); // more than the pipe holds: some stays queued
    expect(t.getWriteBufferSize()).toBeGreaterThan(0);
    loop.close();
    expect(reader.lost).toBeInstanceOf(ClosedError);
    expect(writer.lost).toBeInstanceOf(ClosedError);
    expect(writer.events.at(-1)).toBe('lost');
    expect(isOpen(r) || isOpen(w)).toBe(false);
  });
});

describe('sys.pipe flags', () => {
  const res = useResources();

  const pair = (fds: [number, number]): [number, number] => [res.adopt(fds[0]), res.adopt(fds[1])];

  it('both ends non-blocking by default; per-end flags clear O_NONBLOCK; bad options throw first', () => {
    const [r, w] = pair(sys.pipe());
    expect(sys.read(r, Buffer.alloc(1))).toBe(EAGAIN);
    const [r2, w2] = pair(sys.pipe({ writeNonBlocking: false }));
    const [r3, w3] = pair(sys.pipe({ readNonBlocking: false, writeNonBlocking: true }));
    expect(sys.read(r2, Buffer.alloc(1))).toBe(EAGAIN);
    if (nonBlocking(r) !== undefined) {
      expect([r, w, r2, w2, r3, w3].map(nonBlocking)).toEqual([true, true, true, false, false, true]);
    }
    for (const bad of [null, 1, { readNonBlocking: 1 }, { writeNonBlocking: 'no' }]) {
      expect(() => sys.pipe(bad as never)).toThrow(InvalidArgumentError);
    }
  });
});

describe('sys.writev', () => {
  const res = useResources();

  it('writes every buffer in order on a pipe (where sendv fails with ENOTSOCK)', () => {
    const [r, w] = res.pipe();
    expect(sys.sendv(w, [Buffer.from('x')])).toBe(sys.errno.ENOTSOCK);
    expect(sys.writev(w, [Buffer.from('ab'), new Uint8Array(0), new DataView(new Uint8Array([0x63, 0x64]).buffer), Buffer.from('e')])).toBe(5);
    const buf = Buffer.alloc(16);
    expect(buf.subarray(0, sys.read(r, buf)).toString()).toBe('abcde');
    expect(sys.writev(w, [])).toBe(0);
    expect(sys.writev(r, [Buffer.from('x')])).toBe(sys.errno.EBADF);
  });

  it('a getter on a later element that detaches an earlier one is refused before writev runs', () => {
    const [r, w] = res.pipe();
    const first = new Uint8Array(1 << 12).fill(0x61);
    const buffers: Uint8Array[] = [first];
    let ran = false;
    Object.defineProperty(buffers, 1, {
      enumerable: true,
      get() {
        ran = true;
        detach(first.buffer);
        return Buffer.from('b');
      },
    });
    expect(() => sys.writev(w, buffers)).toThrow(InvalidArgumentError);
    expect(ran).toBe(true);
    expect(sys.read(r, Buffer.alloc(16))).toBe(EAGAIN);
  });

  it('throwing getters propagate; non-arrays, non-views and detached views are InvalidArgumentErrors', () => {
    const [r, w] = res.pipe();
    const boom = new Error('boom');
    const throwing: Uint8Array[] = [Buffer.from('a')];
    Object.defineProperty(throwing, 1, {
      get() {
        throw boom;
      },
    });
    expect(() => sys.writev(w, throwing)).toThrow(boom);
    const gone = new Uint8Array(4);
    detach(gone.buffer);
    for (const bad of [[gone], [Buffer.from('x'), 'y'], [new ArrayBuffer(2)], [Buffer.from('a'), , Buffer.from('b')]]) {
      expect(() => sys.writev(w, bad as Uint8Array[])).toThrow(InvalidArgumentError);
    }
    for (const bad of [null, 'ab', { length: 1, 0: Buffer.from('a') }]) {
      expect(() => sys.writev(w, bad as never)).toThrow(InvalidArgumentError);
      expect(() => native.writev(w, bad as never)).toThrow(InvalidArgumentError);
    }
    expect(() => sys.writev(-1, [])).toThrow(InvalidArgumentError);
    expect(sys.read(r, Buffer.alloc(16))).toBe(EAGAIN);
  });
});
