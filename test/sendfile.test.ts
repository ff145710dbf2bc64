// sockSendFile keeps its contract: it never blocks the loop (pipes in blocking or
// non-blocking mode are read only when readable), every failure is a SystemError or
// PartialSendError naming sockSendFile with bytesSent, and the destination must be a socket.
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getEventLoop, InvalidArgumentError, SystemError } from '../lib/index.js';
import * as sys from '../lib/sys.js';
import { useResources, waitFor } from './helpers.js';

getEventLoop();

const dir = mkdtempSync(path.join(tmpdir(), 'ior-sendfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Reads everything the peer sends until EOF (the peer is a non-blocking socket). */
async function drain(loop: ReturnType<typeof getEventLoop>, fd: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (;;) {
    const data = await loop.sockRecv(fd, 65536);
    if (data.length === 0) return Buffer.concat(chunks);
    chunks.push(data);
  }
}

describe('sockSendFile', () => {
  const res = useResources();

  it.each([true, false])('reads a pipe source (non-blocking: %s) only when readable, never blocking the loop', async (nonBlocking) => {
    const loop = res.loop();
    const [out, peer] = res.socketpair();
    const [r, w] = res.pipe();
    sys.setNonBlocking(r, nonBlocking);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    try {
      const sending = loop.sockSendFile(out, r);
      // The writer is paused: nothing to read yet. A blocking read would freeze the
      // thread here and the interval could not tick.
      await waitFor(() => ticks > 2, { what: 'the interval to tick while sockSendFile waits' });
      expect(ticks).toBeGreaterThan(2);
      sys.write(w, Buffer.from('hello through a pipe'));
      res.close(w);
      expect(await sending).toBe(20);
      sys.shutdown(out, sys.SHUT_WR);
      expect((await drain(loop, peer)).toString()).toBe('hello through a pipe');
    } finally {
      clearInterval(ticker);
    }
  });

  it('refuses a destination that is not a socket', async () => {
    const loop = res.loop();
    const file = path.join(dir, 'src');
    writeFileSync(file, 'x'.repeat(1000));
    const src = res.adopt(openSync(file, 'r'));
    const dest = res.adopt(openSync(path.join(dir, 'dest'), 'w'));
    await expect(loop.sockSendFile(dest, src)).rejects.toThrow(InvalidArgumentError);
    expect(readFileSync(path.join(dir, 'dest')).length).toBe(0);
  });

  it('an OS failure is a SystemError naming sockSendFile, carrying bytesSent', async () => {
    const loop = res.loop();
    const [out, peer] = res.socketpair();
    const file = path.join(dir, 'big');
    writeFileSync(file, Buffer.alloc(4 << 20, 7));
    const src = res.adopt(openSync(file, 'r'));
    res.close(peer); // the peer is gone: sends fail with EPIPE
    const error = await loop.sockSendFile(out, src).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SystemError);
    expect((error as SystemError).message).toMatch(/sockSendFile/);
    expect((error as SystemError).bytesSent).toBe(0);
  });

  it('sends a whole regular file, yielding to timers on the way', async () => {
    const loop = res.loop();
    const [out, peer] = res.socketpair();
    const file = path.join(dir, 'file');
    const content = Buffer.alloc(3 << 20);
    for (let i = 0; i < content.length; i++) content[i] = i % 251;
    writeFileSync(file, content);
    const src = res.adopt(openSync(file, 'r'));
    const received = drain(loop, peer);
    expect(await loop.sockSendFile(out, src, { offset: 10, count: content.length - 20 })).toBe(content.length - 20);
    sys.shutdown(out, sys.SHUT_WR);
    expect((await received).equals(content.subarray(10, content.length - 10))).toBe(true);
  });

  it('sockRecv returns right-sized data, not a view pinning its whole request', async () => {
    const loop = res.loop();
    const [a, b] = res.socketpair();
    sys.write(b, Buffer.alloc(74, 1));
    const data = await loop.sockRecv(a, 65536);
    expect(data.length).toBe(74);
    expect(data.buffer.byteLength).toBeLessThan(65536);
    const later = loop.sockRecv(a, 65536);
    sys.write(b, Buffer.alloc(10, 2));
    const waited = await later;
    expect(waited.length).toBe(10);
    expect(waited.buffer.byteLength).toBeLessThan(65536);
  });
});
