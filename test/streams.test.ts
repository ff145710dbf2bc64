// Streams (asyncio's StreamReader/StreamWriter): every read method with its EOF and limit
// edges, cancellation that consumes nothing, one read at a time, read and write flow
// control, half-close, errors and loop close settling everything, Unix domain, IPv6,
// a failing handler, and node:net as a client nobody here wrote.
import { lookup } from 'node:dns/promises';
import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  allTasks,
  BusyResourceError,
  ClosedError,
  getEventLoop,
  IncompleteReadError,
  InvalidArgumentError,
  LimitOverrunError,
  openConnection,
  openUnixConnection,
  type Server,
  startServer,
  type StartServerOptions,
  startUnixServer,
  StreamReader,
  type StreamWriter,
} from '../lib/index.js';
import type { InetAddress } from '../lib/sys.js';
import { openFdCount, waitFor } from './helpers.js';

type Pair = [StreamReader, StreamWriter];

let fdsBefore = 0;
beforeEach(() => {
  fdsBefore = openFdCount();
});
afterEach(() => {
  // The streams use the thread's default loop: closing it is the safety net that closes
  // any socket a failing test left; a passing test has closed everything itself.
  getEventLoop().close();
  expect(openFdCount(), 'fds leaked by the test').toBeLessThanOrEqual(fdsBefore);
});

const portOf = (server: Server): number => (server.sockets[0]!.localAddress as InetAddress).port;

/** A server that hands each accepted connection's streams to the test. */
async function acceptingServer(options: StartServerOptions = {}): Promise<{ server: Server; port: number; next: () => Promise<Pair> }> {
  const queue: Pair[] = [];
  const waiters: ((pair: Pair) => void)[] = [];
  const server = await startServer(
    (reader, writer) => {
      const waiter = waiters.shift();
      if (waiter) waiter([reader, writer]);
      else queue.push([reader, writer]);
    },
    { host: '127.0.0.1', port: 0, ...options },
  );
  const next = (): Promise<Pair> => {
    const ready = queue.shift();
    return ready ? Promise.resolve(ready) : new Promise((resolve) => waiters.push(resolve));
  };
  return { server, port: portOf(server), next };
}

async function closeAll(server: Server, ...writers: StreamWriter[]): Promise<void> {
  for (const writer of writers) writer.close();
  for (const writer of writers) await writer.waitClosed();
  server.close();
  await server.waitClosed();
}

describe('StreamReader on its own (fed by hand)', () => {
  it('read: up to n as soon as one byte is there, 0 at once, -1 to EOF, empty at EOF', async () => {
    const reader = new StreamReader();
    const pending = reader.read(100);
    reader.feedData(Buffer.from('abc'));
    expect((await pending).toString()).toBe('abc');
    expect((await reader.read(0)).length).toBe(0);
    reader.feedData(Buffer.from('defgh'));
    expect((await reader.read(2)).toString()).toBe('de');
    const all = reader.read();
    reader.feedData(Buffer.from('ij'));
    reader.feedEof();
    expect((await all).toString()).toBe('fghij');
    expect(reader.atEof()).toBe(true);
    expect((await reader.read(10)).length).toBe(0);
    expect((await reader.read()).length).toBe(0);
  });

  it('readExactly: exact counts across chunks; IncompleteReadError { partial, expected } at EOF', async () => {
    const reader = new StreamReader();
    const pending = reader.readExactly(6);
    reader.feedData(Buffer.from('ab'));
    reader.feedData(Buffer.from('cdefg'));
    expect((await pending).toString()).toBe('abcdef');
    expect((await reader.readExactly(0)).length).toBe(0);
    reader.feedEof();
    const error = await reader.readExactly(5).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompleteReadError);
    expect((error as IncompleteReadError).partial.toString()).toBe('g');
    expect((error as IncompleteReadError).expected).toBe(5);
    expect((error as IncompleteReadError).code).toBe('IOR_ERR_INCOMPLETE_READ');
    expect(reader.atEof()).toBe(true);
  });

  it('readUntil: default newline, multi-byte separators split across chunks, string or bytes', async () => {
    const reader = new StreamReader();
    const pending = reader.readUntil('\r\n\r\n');
    for (const part of ['GET / HTTP/1.1\r', '\nHost: x\r\n', '\r', '\nbody\nrest']) reader.feedData(Buffer.from(part));
    expect((await pending).toString()).toBe('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await reader.readUntil()).toString()).toBe('body\n');
    reader.feedData(Buffer.from('|end'));
    expect((await reader.readUntil(Buffer.from('|'))).toString()).toBe('rest|');
  });

  it('readUntil: LimitOverrunError leaves the data buffered; IncompleteReadError at EOF clears it', async () => {
    const reader = new StreamReader({ limit: 8 });
    reader.feedData(Buffer.from('0123456789abc'));
    const notFound = await reader.readUntil().catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(LimitOverrunError);
    expect((notFound as LimitOverrunError).consumed).toBeGreaterThan(8);
    expect(reader.bufferedSize).toBe(13);
    reader.feedData(Buffer.from('\n'));
    const tooLong = await reader.readUntil().catch((e: unknown) => e);
    expect(tooLong).toBeInstanceOf(LimitOverrunError);
    expect((tooLong as LimitOverrunError).consumed).toBe(13); // where the separator is
    expect((await reader.readExactly(14)).toString()).toBe('0123456789abc\n');
    reader.feedData(Buffer.from('tail'));
    reader.feedEof();
    const incomplete = await reader.readUntil().catch((e: unknown) => e);
    expect(incomplete).toBeInstanceOf(IncompleteReadError);
    expect((incomplete as IncompleteReadError).partial.toString()).toBe('tail');
    expect((incomplete as IncompleteReadError).expected).toBeNull();
    expect(reader.bufferedSize).toBe(0);
  });

  it('readLine: partial last line, then empty; past the limit the line is consumed (or the buffer cleared)', async () => {
    const reader = new StreamReader({ limit: 4 });
    reader.feedData(Buffer.from('ok\nlonglong\nnext\n'));
    expect((await reader.readLine()).toString()).toBe('ok\n');
    await expect(reader.readLine()).rejects.toBeInstanceOf(LimitOverrunError);
    expect((await reader.readLine()).toString()).toBe('next\n'); // the long line was consumed
    reader.feedData(Buffer.from('no newline in sight'));
    await expect(reader.readLine()).rejects.toBeInstanceOf(LimitOverrunError);
    expect(reader.bufferedSize).toBe(0); // no separator found: cleared, as asyncio does
    reader.feedData(Buffer.from('ab'));
    reader.feedEof();
    expect((await reader.readLine()).toString()).toBe('ab');
    expect((await reader.readLine()).length).toBe(0);
  });

  it('for await yields every line until EOF', async () => {
    const reader = new StreamReader();
    reader.feedData(Buffer.from('one\ntwo\nthr'));
    reader.feedData(Buffer.from('ee'));
    reader.feedEof();
    const lines: string[] = [];
    for await (const line of reader) lines.push(line.toString());
    expect(lines).toEqual(['one\n', 'two\n', 'three']);
  });

  it('validates arguments before touching state', async () => {
    const reader = new StreamReader();
    reader.feedData(Buffer.from('data\n'));
    for (const n of [-2, 1.5, NaN, '3']) await expect(reader.read(n as number)).rejects.toBeInstanceOf(InvalidArgumentError);
    for (const n of [-1, 2.5, undefined]) await expect(reader.readExactly(n as number)).rejects.toBeInstanceOf(InvalidArgumentError);
    for (const sep of ['', Buffer.alloc(0), 10, null]) await expect(reader.readUntil(sep as string)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(reader.readLine(42 as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(reader.read(1, { signal: 'no' } as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    for (const limit of [0, -1, 1.5, '10']) expect(() => new StreamReader({ limit: limit as number })).toThrow(InvalidArgumentError);
    await expect(startServer(() => {}, { port: 0, limit: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(startServer('nope' as never, { port: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(openConnection({ host: 'localhost', port: 1, limit: -5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(reader.bufferedSize).toBe(5);
    expect((await reader.readLine()).toString()).toBe('data\n');
  });

  it('a cancelled readExactly consumed nothing: the next read gets every byte; listeners are removed', async () => {
    const reader = new StreamReader();
    reader.feedData(Buffer.from('hello'));
    const controller = new AbortController();
    const pending = reader.readExactly(10, { signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const reason = new Error('cancelled by test');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect((await reader.readExactly(5)).toString()).toBe('hello');
    // Settling normally removes the listener too; an aborted signal rejects before any work.
    const ok = new AbortController();
    reader.feedData(Buffer.from('x\n'));
    await reader.readLine({ signal: ok.signal });
    expect(getEventListeners(ok.signal, 'abort')).toHaveLength(0);
    reader.feedData(Buffer.from('y'));
    await expect(reader.read(1, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(reader.bufferedSize).toBe(1);
  });

  it('a waiting read(n): cancelled it consumed nothing, settled it left its listener behind nowhere, Busy while it waits', async () => {
    const reader = new StreamReader();
    const controller = new AbortController();
    const cancelled = reader.read(4, { signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await expect(reader.read(1)).rejects.toBeInstanceOf(BusyResourceError);
    const reason = new Error('cancelled by test');
    controller.abort(reason);
    await expect(cancelled).rejects.toBe(reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    reader.feedData(Buffer.from('abcdef'));
    expect(reader.bufferedSize).toBe(6);
    expect((await reader.read(4)).toString()).toBe('abcd');
    expect((await reader.read(4)).toString()).toBe('ef');
    // Settled by data: n caps what it takes, the rest stays; the listener is removed.
    const ok = new AbortController();
    const pending = reader.read(2, { signal: ok.signal });
    reader.feedData(Buffer.from('xyz'));
    expect((await pending).toString()).toBe('xy');
    expect(getEventListeners(ok.signal, 'abort')).toHaveLength(0);
    expect(reader.bufferedSize).toBe(1);
    // Settled by EOF with nothing buffered: an empty Buffer.
    expect((await reader.read(5)).toString()).toBe('z');
    const atEof = reader.read(5);
    reader.feedEof();
    expect((await atEof).length).toBe(0);
    // Bad arguments are rejections, and leave the reader usable.
    await expect(reader.read(1.5)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(reader.read(1, { signal: 'no' as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await reader.read(1)).length).toBe(0);
  });

  it('read(n) calls served from the buffer yield a macrotask turn now and then (cooperative budget)', async () => {
    const reader = new StreamReader();
    reader.feedData(Buffer.alloc(1000, 1));
    let immediateRan = false;
    setImmediate(() => (immediateRan = true));
    let readsBeforeTurn = -1;
    for (let count = 1; count <= 1000; count++) {
      expect((await reader.read(1)).length).toBe(1);
      if (immediateRan && readsBeforeTurn < 0) readsBeforeTurn = count;
    }
    expect(readsBeforeTurn).toBeGreaterThan(0);
    expect(readsBeforeTurn).toBeLessThan(1000);
  });

  it('a second concurrent read rejects with BusyResourceError; the first is unaffected', async () => {
    const reader = new StreamReader();
    const first = reader.readUntil('!');
    await expect(reader.read(1)).rejects.toBeInstanceOf(BusyResourceError);
    await expect(reader.readLine()).rejects.toBeInstanceOf(BusyResourceError);
    reader.feedData(Buffer.from('hi!'));
    expect((await first).toString()).toBe('hi!');
    reader.feedData(Buffer.from('z'));
    expect((await reader.read(1)).toString()).toBe('z');
  });

  it('setException: the pending read and later reads reject with it', async () => {
    const reader = new StreamReader();
    const pending = reader.read(1);
    const error = new Error('broken');
    reader.setException(error);
    await expect(pending).rejects.toBe(error);
    await expect(reader.readLine()).rejects.toBe(error);
    expect(reader.exception()).toBe(error);
  });

  it('reads that complete from the buffer yield a macrotask turn now and then (cooperative budget)', async () => {
    const reader = new StreamReader();
    reader.feedData(Buffer.from('x\n'.repeat(1000)));
    reader.feedEof();
    let immediateRan = false;
    setImmediate(() => (immediateRan = true));
    let linesBeforeTurn = -1;
    let count = 0;
    for await (const _ of reader) {
      count++;
      if (immediateRan && linesBeforeTurn < 0) linesBeforeTurn = count;
    }
    expect(count).toBe(1000);
    expect(linesBeforeTurn).toBeGreaterThan(0);
    expect(linesBeforeTurn).toBeLessThan(1000);
  });
});

describe('streams over connections', () => {
  it('startServer + openConnection to a host name: echo by line, write/writeLines/drain, extra info', async () => {
    const server = await startServer(async (reader, writer) => {
      for await (const line of reader) {
        writer.write(line);
        await writer.drain();
      }
      writer.close();
    }, { host: '127.0.0.1', port: 0 });
    const [reader, writer] = await openConnection({ host: 'localhost', port: portOf(server) });
    writer.write('first\n');
    writer.writeLines([Buffer.from('sec'), 'ond\n', new Uint8Array([0x33, 0x0a])]);
    await writer.drain(); // under the high-water mark: at once
    expect((await reader.readLine()).toString()).toBe('first\n');
    expect((await reader.readLine()).toString()).toBe('second\n');
    expect((await reader.readLine()).toString()).toBe('3\n');
    expect((writer.getExtraInfo('peername') as InetAddress).port).toBe(portOf(server));
    expect((writer.getExtraInfo('sockname') as InetAddress).address).toBe('127.0.0.1');
    expect(writer.getExtraInfo('socket')).toBeDefined();
    expect(writer.getExtraInfo('nothing', 'fallback')).toBe('fallback');
    expect(writer.canWriteEof()).toBe(true);
    writer.writeEof(); // the server's loop ends, it closes; we read EOF
    expect((await reader.read()).length).toBe(0);
    expect(reader.atEof()).toBe(true);
    expect(writer.isClosing()).toBe(false);
    writer.close();
    expect(writer.isClosing()).toBe(true);
    await writer.waitClosed();
    await expect(writer.drain()).rejects.toBeInstanceOf(ClosedError);
    server.close();
    await server.waitClosed();
  });

  it('half-close: writeEof lets the peer read EOF, and it can still write back', async () => {
    const { server, port, next } = await acceptingServer();
    const [clientReader, clientWriter] = await openConnection({ host: '127.0.0.1', port });
    const [serverReader, serverWriter] = await next();
    clientWriter.write('request body');
    clientWriter.writeEof();
    expect((await serverReader.read()).toString()).toBe('request body');
    expect(serverReader.atEof()).toBe(true);
    serverWriter.write('reply after EOF');
    serverWriter.close();
    expect((await clientReader.read()).toString()).toBe('reply after EOF');
    expect(clientReader.atEof()).toBe(true);
    await closeAll(server, clientWriter, serverWriter);
  });

  it('a cancelled readExactly over a socket consumed nothing; a concurrent read is Busy', async () => {
    const { server, port, next } = await acceptingServer();
    const [clientReader, clientWriter] = await openConnection({ host: '127.0.0.1', port });
    const [, serverWriter] = await next();
    serverWriter.write('12345');
    await waitFor(() => clientReader.bufferedSize === 5, { what: 'five bytes buffered' });
    const controller = new AbortController();
    const pending = clientReader.readExactly(8, { signal: controller.signal });
    await expect(clientReader.read(1)).rejects.toBeInstanceOf(BusyResourceError);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    serverWriter.write('678');
    expect((await clientReader.readExactly(8)).toString()).toBe('12345678');
    await closeAll(server, clientWriter, serverWriter);
  });

  it('read flow control: a reader that does not read pauses its transport; reading resumes it', async () => {
    const limit = 1024;
    const { server, port, next } = await acceptingServer({ limit });
    const [, clientWriter] = await openConnection({ host: '127.0.0.1', port });
    const [serverReader, serverWriter] = await next();
    const payload = Buffer.alloc(256 * 1024, 7);
    clientWriter.write(payload);
    await waitFor(() => !serverWriter.transport.isReading(), { what: 'the server transport paused' });
    expect(serverReader.bufferedSize).toBeGreaterThan(2 * limit);
    expect(serverReader.bufferedSize).toBeLessThanOrEqual(2 * limit + 64 * 1024);
    // A read larger than 2 x limit does not deadlock: waiting resumes the transport.
    const all = await serverReader.readExactly(payload.length);
    expect(all.equals(payload)).toBe(true);
    expect(serverWriter.transport.isReading()).toBe(true);
    await closeAll(server, clientWriter, serverWriter);
  });

  it('drain() keeps the write buffer bounded against a peer that never reads', async () => {
    const chunk = Buffer.alloc(64 * 1024, 1);
    let writer!: StreamWriter;
    let written = 0;
    let maxBuffered = 0;
    let blockedInDrain = false;
    let stop = false;
    const server = await startServer(async (_reader, w) => {
      writer = w;
      while (!stop) {
        w.write(chunk);
        written += chunk.length;
        maxBuffered = Math.max(maxBuffered, w.transport.getWriteBufferSize());
        blockedInDrain = w.transport.getWriteBufferSize() > w.transport.getWriteBufferLimits().high;
        await w.drain();
        blockedInDrain = false;
      }
      w.close();
    }, { host: '127.0.0.1', port: 0 });
    const [clientReader, clientWriter] = await openConnection({ host: '127.0.0.1', port: portOf(server) });
    // The client reads nothing: its reader pauses its transport, the kernel buffers fill,
    // and the server's writes stop in drain().
    await waitFor(() => blockedInDrain && !clientWriter.transport.isReading(), {
      what: 'the client paused and the server blocked in drain()',
      timeoutMs: 10_000,
    });
    const high = writer.transport.getWriteBufferLimits().high;
    expect(maxBuffered).toBeLessThanOrEqual(high + chunk.length);
    stop = true;
    let received = 0;
    for (let data = await clientReader.read(1 << 20); data.length > 0; data = await clientReader.read(1 << 20)) received += data.length;
    expect(received).toBe(written);
    expect(maxBuffered).toBeLessThanOrEqual(high + chunk.length);
    await closeAll(server, clientWriter);
  });

  it('a pending read rejects with the connection error (ECONNRESET from a node:net client)', async () => {
    const { server, port, next } = await acceptingServer();
    const socket = netConnect(port, '127.0.0.1');
    socket.on('error', () => {});
    const [serverReader, serverWriter] = await next();
    socket.write('partial');
    await waitFor(() => serverReader.bufferedSize === 7, { what: 'seven bytes buffered' });
    const pending = serverReader.readExactly(100);
    socket.resetAndDestroy();
    await expect(pending).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(serverWriter.drain()).rejects.toMatchObject({ code: 'ECONNRESET' });
    await serverWriter.waitClosed(); // resolves even though the connection ended with an error
    server.close();
    await server.waitClosed();
  });

  it('closing the loop settles pending reads (ClosedError), drains, waitClosed and the server', async () => {
    const { server, port, next } = await acceptingServer();
    const [clientReader, clientWriter] = await openConnection({ host: '127.0.0.1', port });
    const [, serverWriter] = await next();
    const read = clientReader.readLine();
    const closed = clientWriter.waitClosed();
    const serverClosed = server.waitClosed();
    getEventLoop().close();
    await expect(read).rejects.toBeInstanceOf(ClosedError);
    await closed;
    await serverWriter.waitClosed();
    await serverClosed;
  });

  it('a server callback that throws is reported and its connection closed; the server goes on', async () => {
    const reported: unknown[] = [];
    getEventLoop().setExceptionHandler((context) => reported.push(context.exception));
    const server = await startServer(async (reader, writer) => {
      const line = await reader.readLine();
      if (line.toString() === 'boom\n') throw new Error('handler bug');
      writer.write(`ok ${line}`);
      writer.close();
    }, { host: '127.0.0.1', port: 0 });
    const [badReader, badWriter] = await openConnection({ host: '127.0.0.1', port: portOf(server) });
    badWriter.write('boom\n');
    expect((await badReader.read()).length).toBe(0); // closed by the server
    expect(reported).toHaveLength(1);
    expect((reported[0] as Error).message).toBe('handler bug');
    const [goodReader, goodWriter] = await openConnection({ host: '127.0.0.1', port: portOf(server) });
    goodWriter.write('fine\n');
    expect((await goodReader.readLine()).toString()).toBe('ok fine\n');
    await closeAll(server, badWriter, goodWriter);
  });

  it('cancelling a connection task rejects its pending read with the reason and aborts the connection', async () => {
    let started!: () => void;
    const inRead = new Promise<void>((resolve) => (started = resolve));
    let outcome: unknown;
    const server = await startServer(async (reader, _writer, signal) => {
      expect(signal).toBeInstanceOf(AbortSignal);
      started();
      try {
        await reader.readLine();
      } catch (error) {
        outcome = error;
        throw error;
      }
    }, { host: '127.0.0.1', port: 0 });
    const [reader, writer] = await openConnection({ host: '127.0.0.1', port: portOf(server) });
    await inRead;
    const task = allTasks().find((t) => t.name === 'stream connection')!;
    const reason = new Error('shutting down');
    task.cancel(reason);
    await expect(task).rejects.toBe(reason);
    expect(outcome).toBe(reason);
    expect((await reader.read()).length).toBe(0); // the server side was aborted
    await closeAll(server, writer);
  });

  it('a node:net client speaks a line protocol with a startServer server', async () => {
    const server = await startServer(async (reader, writer) => {
      for await (const line of reader) {
        writer.write(line.toString().toUpperCase());
        await writer.drain();
      }
      writer.close();
    }, { host: '127.0.0.1', port: 0 });
    const reply = await new Promise<string>((resolve, reject) => {
      let got = '';
      const socket = netConnect(portOf(server), '127.0.0.1', () => {
        socket.write('hello\nfrom ');
        socket.end('node:net\n');
      });
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (got += d));
      socket.on('end', () => resolve(got));
      socket.on('error', reject);
    });
    expect(reply).toBe('HELLO\nFROM NODE:NET\n');
    server.close();
    await server.waitClosed();
  });

  it('an IPv6-only server is reached by name or by ::1', async () => {
    const server = await startServer(async (reader, writer) => {
      writer.write(await reader.readLine());
      writer.close();
    }, { host: '::1', port: 0 });
    const names = (await lookup('localhost', { all: true })).map((a) => a.address);
    const host = names.includes('::1') ? 'localhost' : '::1';
    const [reader, writer] = await openConnection({ host, port: portOf(server) });
    expect((writer.getExtraInfo('peername') as InetAddress).address).toBe('::1');
    writer.write('over IPv6\n');
    expect((await reader.readLine()).toString()).toBe('over IPv6\n');
    await closeAll(server, writer);
  });

  it('openConnection honours its signal', async () => {
    const reason = new Error('no connect');
    await expect(openConnection({ host: '127.0.0.1', port: 1, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('Unix domain: startUnixServer and openUnixConnection; await using closes the writer', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ior-streams-'));
    try {
      const file = path.join(dir, 'streams.sock');
      const server = await startUnixServer(async (reader, writer) => {
        for await (const line of reader) writer.write(`unix: ${line}`);
        writer.close();
      }, { path: file, limit: 4096 });
      let kept!: StreamWriter;
      {
        const [reader, writer] = await openUnixConnection({ path: file });
        await using w = writer;
        kept = w;
        writer.write('ping\n');
        expect((await reader.readLine()).toString()).toBe('unix: ping\n');
      }
      expect(kept.isClosing()).toBe(true);
      server.close();
      await server.waitClosed();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
