// Transports, protocols and servers: callback order, write and read flow control, half
// close, abort, server lifecycle, connections by host name, Unix domain, loop close.
import { lookup } from 'node:dns/promises';
import { connect as netConnect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type BufferedProtocol,
  ClosedError,
  type EventLoop,
  getEventLoop,
  type Protocol,
  type Server,
  type Socket,
  type Transport,
} from '../lib/index.js';
import type { InetAddress } from '../lib/sys.js';
import { useResources, waitFor } from './helpers.js';

getEventLoop();

/** A protocol that records every call, in order. */
class Recorder implements Protocol {
  events: string[] = [];
  data: Buffer[] = [];
  transport!: Transport;
  lost: Error | null | undefined;
  keepOpenOnEof = false;
  #closed!: () => void;
  closed = new Promise<void>((resolve) => (this.#closed = resolve));
  #waiters: { bytes: number; resolve: () => void }[] = [];

  connectionMade(transport: Transport): void {
    this.transport = transport;
    this.events.push('made');
  }
  dataReceived(data: Buffer): void {
    if (this.events.at(-1) !== 'data') this.events.push('data');
    this.data.push(data);
    const total = this.received().length;
    this.#waiters = this.#waiters.filter((w) => (total >= w.bytes ? (w.resolve(), false) : true));
  }
  eofReceived(): boolean {
    this.events.push('eof');
    return this.keepOpenOnEof;
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
  received(): Buffer {
    return Buffer.concat(this.data);
  }
  until(bytes: number): Promise<void> {
    if (this.received().length >= bytes) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ bytes, resolve }));
  }
}

class Echo implements Protocol {
  transport!: Transport;
  connectionMade(transport: Transport): void {
    this.transport = transport;
  }
  dataReceived(data: Buffer): void {
    this.transport.write(data);
  }
}

describe('transports and protocols', () => {
  const res = useResources();

  async function echoServer(loop: EventLoop, factory: () => Protocol | BufferedProtocol = () => new Echo()): Promise<[Server, number]> {
    const server = await loop.createServer(factory, { host: '127.0.0.1', port: 0 });
    return [server, (server.sockets[0]!.localAddress as InetAddress).port];
  }

  it('echo: connectionMade, data in order, eofReceived, connectionLost last and once', async () => {
    const loop = res.loop() as EventLoop;
    const accepted: Echo[] = [];
    const [server, port] = await echoServer(loop, () => {
      const echo = new Echo();
      accepted.push(echo);
      return echo;
    });
    const [transport, client] = await loop.createConnection(() => new Recorder(), { host: 'localhost', port });
    expect(client.events).toEqual(['made']); // connectionMade ran before createConnection resolved
    // TCP_NODELAY on both ends, as asyncio: the connecting side and the accepted one.
    expect((transport.getExtraInfo('socket') as Socket).getOption('TCP_NODELAY')).not.toBe(0);
    await waitFor(() => accepted[0]?.transport !== undefined, { what: 'the server to accept' });
    expect((accepted[0]!.transport.getExtraInfo('socket') as Socket).getOption('TCP_NODELAY')).not.toBe(0);
    const message = Buffer.alloc(200_000);
    for (let i = 0; i < message.length; i++) message[i] = i % 253;
    transport.write(message.subarray(0, 100));
    transport.writeLines([message.subarray(100, 1000), message.subarray(1000)]);
    await client.until(message.length);
    expect(client.received().equals(message)).toBe(true);
    transport.writeEof(); // the echo server closes on EOF; we read EOF back
    await client.closed;
    expect(client.events).toEqual(['made', 'data', 'eof', 'lost']);
    expect(client.lost).toBeNull();
    expect(transport.isClosing()).toBe(true);
    server.close();
    await server.waitClosed();
    expect(server.connections).toBe(0);
  });

  it('BufferedProtocol receives into its own buffer', async () => {
    const loop = res.loop() as EventLoop;
    const buffer = Buffer.alloc(16);
    const chunks: string[] = [];
    let transport!: Transport;
    const proto: BufferedProtocol = {
      connectionMade: (t) => (transport = t),
      getBuffer: () => buffer,
      bufferUpdated: (n) => {
        chunks.push(buffer.toString('latin1', 0, n));
        transport.write(buffer.subarray(0, n));
      },
    };
    const [server, port] = await echoServer(loop, () => proto);
    const [t, client] = await loop.createConnection(() => new Recorder(), { host: '127.0.0.1', port });
    t.write(Buffer.from('buffered protocol: no copy per read'));
    await client.until(35);
    expect(client.received().toString()).toBe('buffered protocol: no copy per read');
    expect(chunks.join('')).toBe('buffered protocol: no copy per read');
    expect(chunks.every((c) => c.length <= 16)).toBe(true);
    t.close();
    await client.closed;
    server.close();
    await server.waitClosed();
  });

  it('write flow control: pauseWriting above high, resumeWriting at low; a non-reading peer never grows the buffer without bound', async () => {
    const loop = res.loop() as EventLoop;
    let serverSide!: Recorder;
    const server = await loop.createServer(() => (serverSide = new Recorder()), { host: '127.0.0.1', port: 0 });
    const port = (server.sockets[0]!.localAddress as InetAddress).port;
    const [transport, client] = await loop.createConnection(() => new Recorder(), { host: '127.0.0.1', port });
    await new Promise<void>((resolve) => loop.callSoon(resolve));
    serverSide.transport.pauseReading(); // the peer stops reading
    transport.setWriteBufferLimits({ high: 64 * 1024 });
    expect(transport.getWriteBufferLimits()).toEqual({ high: 65536, low: 16384 });
    const chunk = Buffer.alloc(64 * 1024, 7);
    // A writer that honours pauseWriting stops writing: the buffer stays bounded.
    let written = 0;
    while (!client.events.includes('pause') && written < 64 * 1024 * 1024) {
      transport.write(chunk);
      written += chunk.length;
    }
    expect(client.events).toContain('pause');
    expect(transport.getWriteBufferSize()).toBeLessThanOrEqual(65536 + chunk.length);
    serverSide.transport.resumeReading();
    await new Promise<void>((resolve) => {
      const check = (): void => (client.events.includes('resume') ? resolve() : void loop.callLater(5, check));
      check();
    });
    expect(transport.getWriteBufferSize()).toBeLessThanOrEqual(16384);
    await serverSide.until(written);
    expect(serverSide.received().length).toBe(written);
    transport.close();
    await client.closed;
    server.close();
    await server.waitClosed();
  });

  it('pauseReading stops dataReceived at once; resumeReading brings it back', async () => {
    const loop = res.loop() as EventLoop;
    const [server, port] = await echoServer(loop);
    const [transport, client] = await loop.createConnection(() => new Recorder(), { host: '127.0.0.1', port });
    transport.write(Buffer.from('one'));
    await client.until(3);
    transport.pauseReading();
    expect(transport.isReading()).toBe(false);
    transport.write(Buffer.from('two'));
    // The echo arrives while paused: wait for the socket itself to be readable.
    const sock = transport.getExtraInfo('socket') as { fileno(): number };
    await loop.waitReadable(sock.fileno());
    expect(client.received().toString()).toBe('one');
    transport.resumeReading();
    await client.until(6);
    expect(client.received().toString()).toBe('onetwo');
    transport.abort();
    await client.closed;
    expect(client.lost).toBeNull();
    server.close();
    await server.waitClosed();
  });

  it('eofReceived returning true keeps the transport open for writing (half-close)', async () => {
    const loop = res.loop() as EventLoop;
    let serverSide!: Recorder;
    const server = await loop.createServer(
      () => {
        serverSide = new Recorder();
        serverSide.keepOpenOnEof = true;
        return serverSide;
      },
      { host: '127.0.0.1', port: 0 },
    );
    const port = (server.sockets[0]!.localAddress as InetAddress).port;
    const [transport, client] = await loop.createConnection(() => new Recorder(), { host: '127.0.0.1', port });
    transport.write(Buffer.from('question'));
    transport.writeEof();
    await serverSide.until(8);
    await new Promise<void>((resolve) => {
      const check = (): void => (serverSide.events.includes('eof') ? resolve() : void loop.callLater(1, check));
      check();
    });
    serverSide.transport.write(Buffer.from('answer after EOF'));
    serverSide.transport.close();
    await client.closed;
    expect(client.received().toString()).toBe('answer after EOF');
    await serverSide.closed;
    expect(serverSide.events).toEqual(['made', 'data', 'eof', 'lost']);
    server.close();
    await server.waitClosed();
  });

  it('server lifecycle: close() stops accepting, closeClients/abortClients, waitClosed, serveForever with a signal', async () => {
    const loop = res.loop() as EventLoop;
    const [server, port] = await echoServer(loop);
    expect(server.isServing()).toBe(true);
    const clients = await Promise.all([1, 2, 3].map(() => loop.createConnection(() => new Recorder(), { host: '127.0.0.1', port })));
    await new Promise<void>((resolve) => {
      const check = (): void => (server.connections === 3 ? resolve() : void loop.callLater(1, check));
      check();
    });
    server.close();
    expect(server.isServing()).toBe(false);
    expect(server.sockets).toEqual([]);
    await expect(loop.createConnection(() => new Recorder(), { host: '127.0.0.1', port })).rejects.toThrow(/ECONNREFUSED/);
    let closed = false;
    const waiting = server.waitClosed().then(() => (closed = true));
    server.closeClients();
    await waiting;
    expect(closed).toBe(true);
    for (const [, client] of clients) {
      await client.closed;
      expect(client.lost).toBeNull();
    }

    const [server2] = await echoServer(loop);
    const controller = new AbortController();
    const serving = server2.serveForever({ signal: controller.signal });
    controller.abort(new Error('stop serving'));
    await expect(serving).rejects.toThrow('stop serving');
    expect(server2.isServing()).toBe(false);
    await server2.waitClosed();
  });

  it('an IPv6-only server is reached by name (every resolved address is tried) or by ::1', async () => {
    const loop = res.loop() as EventLoop;
    const server = await loop.createServer(() => new Echo(), { host: '::1', port: 0 });
    const port = (server.sockets[0]!.localAddress as InetAddress).port;
    // 'localhost' resolves to 127.0.0.1 first (and ::1 too where /etc/hosts says so; else
    // use '::1' itself): the refused IPv4 attempt must not stop the IPv6 one.
    const names = (await lookup('localhost', { all: true })).map((a) => a.address);
    const host = names.includes('::1') ? 'localhost' : '::1';
    const [transport, client] = await loop.createConnection(() => new Recorder(), { host, port });
    expect((transport.getExtraInfo('peername') as InetAddress).address).toBe('::1');
    transport.write(Buffer.from('v6'));
    await client.until(2);
    transport.close();
    await client.closed;
    server.close();
    await server.waitClosed();
  });

  it('createConnection binds localAddress and honours its signal', async () => {
    const loop = res.loop() as EventLoop;
    const [server, port] = await echoServer(loop);
    const [transport, client] = await loop.createConnection(() => new Recorder(), {
      host: '127.0.0.1',
      port,
      localAddress: { address: '127.0.0.2' },
    });
    expect((transport.getExtraInfo('sockname') as InetAddress).address).toBe('127.0.0.2');
    transport.close();
    await client.closed;
    const aborted = loop.createConnection(() => new Recorder(), { host: '127.0.0.1', port, signal: AbortSignal.abort(new Error('never mind')) });
    await expect(aborted).rejects.toThrow('never mind');
    server.close();
    await server.waitClosed();
  });

  it('a node:net client talks to a protocol server', async () => {
    const loop = res.loop() as EventLoop;
    const [server, port] = await echoServer(loop);
    const reply = await new Promise<string>((resolve, reject) => {
      let got = '';
      const socket = netConnect(port, '127.0.0.1', () => socket.end('from node:net'));
      socket.on('data', (d) => (got += d));
      socket.on('end', () => resolve(got));
      socket.on('error', reject);
    });
    expect(reply).toBe('from node:net');
    server.close();
    await server.waitClosed();
  });

  it('Unix-domain server and connection; a stale socket file is replaced and removed on close', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ior-unix-'));
    try {
      const loop = res.loop() as EventLoop;
      const file = path.join(dir, 'server.sock');
      const first = await loop.createUnixServer(() => new Echo(), { path: file });
      first.close(); // removes the file
      expect(existsSync(file)).toBe(false);
      writeFileSync(file, ''); // not a socket: left alone, so bind fails
      await expect(loop.createUnixServer(() => new Echo(), { path: file })).rejects.toThrow(/EADDRINUSE/);
      rmSync(file);
      const server = await loop.createUnixServer(() => new Echo(), { path: file });
      const [transport, client] = await loop.createUnixConnection(() => new Recorder(), { path: file });
      transport.write(Buffer.from('over a unix socket'));
      await client.until(18);
      expect(client.received().toString()).toBe('over a unix socket');
      transport.close();
      await client.closed;
      server.close();
      await server.waitClosed();
      expect(existsSync(file)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('closing the loop ends every connection (connectionLost with ClosedError) and settles waitClosed', async () => {
    const loop = res.loop() as EventLoop;
    const [server, port] = await echoServer(loop);
    const [, client] = await loop.createConnection(() => new Recorder(), { host: '127.0.0.1', port });
    await new Promise<void>((resolve) => {
      const check = (): void => (server.connections === 1 ? resolve() : void loop.callLater(1, check));
      check();
    });
    const waiting = server.waitClosed();
    loop.close();
    await client.closed;
    expect(client.lost).toBeInstanceOf(ClosedError);
    await waiting;
  });

  it('a protocol that throws is reported and its connection closed; the server lives on', async () => {
    const loop = res.loop() as EventLoop;
    const reported: unknown[] = [];
    loop.setExceptionHandler((context) => reported.push(context.exception));
    let n = 0;
    const server = await loop.createServer(
      () =>
        n++ === 0
          ? { dataReceived: () => { throw new Error('protocol bug'); } }
          : new Echo(),
      { host: '127.0.0.1', port: 0 },
    );
    const port = (server.sockets[0]!.localAddress as InetAddress).port;
    const [bad, badClient] = await loop.createConnection(() => new Recorder(), { host: '127.0.0.1', port });
    bad.write(Buffer.from('x'));
    await badClient.closed;
    expect((reported[0] as Error).message).toBe('protocol bug');
    const [good, goodClient] = await loop.createConnection(() => new Recorder(), { host: '127.0.0.1', port });
    good.write(Buffer.from('still serving'));
    await goodClient.until(13);
    good.close();
    await goodClient.closed;
    server.close();
    await server.waitClosed();
  });
});
