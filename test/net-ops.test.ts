// Awaitable socket operations and Socket: fast paths, waiting, cancellation that loses
// nothing, the close protocol, UDP, sendfile.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BusyResourceError,
  CancelledError,
  ClosedError,
  createTask,
  getEventLoop,
  PartialSendError,
  Socket,
  SystemError,
  timeout,
  TimeoutError,
} from '../lib/index.js';
import * as sys from '../lib/sys.js';
import { cancelBlockedRecvs } from './cancel-many.js';
import { useResources, waitFor } from './helpers.js';

// timeout() uses the thread's default loop: create it before the fd baseline.
getEventLoop();

describe('awaitable socket operations', () => {
  const res = useResources();

  /** A connected TCP pair of Sockets on loopback, plus the listener. */
  async function tcpPair(loop = res.loop()): Promise<[Socket, Socket, Socket]> {
    const server = new Socket({ loop });
    server.bind({ address: '127.0.0.1', port: 0 });
    server.listen();
    const client = new Socket({ loop });
    const port = (server.localAddress as sys.InetAddress).port;
    const [[conn, peer]] = await Promise.all([server.accept(), client.connect({ host: 'localhost', port })]);
    expect(peer).toMatchObject({ family: 'IPv4', address: '127.0.0.1' });
    return [server, client, conn];
  }

  it('recv, recvInto and sendAll move data both ways, with and without waiting', async () => {
    const loop = res.loop();
    const [server, client, conn] = await tcpPair(loop);
    try {
      await client.sendAll(Buffer.from('hello'));
      expect((await conn.recv(100)).toString()).toBe('hello');
      // Waits: nothing there yet.
      const pending = conn.recv(100);
      await waitFor(() => loop.waitingFds === 1, { what: 'recv waiting' });
      await loop.sockSendAll(client, Buffer.from('later'));
      expect((await pending).toString()).toBe('later');
      const buf = Buffer.alloc(3);
      await client.sendAll(Buffer.from('abcdef'));
      expect(await conn.recvInto(buf)).toBe(3);
      expect(buf.toString()).toBe('abc');
      expect(await loop.sockRecvInto(conn, buf)).toBe(3);
      expect(buf.toString()).toBe('def');
      client.shutdown('write');
      expect((await conn.recv(10)).length).toBe(0);
      expect(conn.remoteAddress).toEqual(client.localAddress);
    } finally {
      for (const s of [server, client, conn]) s.close();
    }
    expect(loop.waitingFds).toBe(0);
    expect(loop.registeredFds).toBe(0);
  });

  it('sendAll of a large buffer waits for the peer and sends every byte', async () => {
    const [server, client, conn] = await tcpPair();
    try {
      const data = Buffer.alloc(8 * 1024 * 1024);
      for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
      const sending = client.sendAll(data);
      const received: Buffer[] = [];
      let total = 0;
      while (total < data.length) {
        const chunk = await conn.recv(65536);
        received.push(chunk);
        total += chunk.length;
      }
      await sending;
      expect(Buffer.concat(received).equals(data)).toBe(true);
    } finally {
      for (const s of [server, client, conn]) s.close();
    }
  });

  it('a cancelled recv consumes nothing: the bytes that arrive later are still there', async () => {
    const loop = res.loop();
    const [server, client, conn] = await tcpPair(loop);
    try {
      const controller = new AbortController();
      const cancelled = conn.recv(100, { signal: controller.signal });
      await waitFor(() => loop.waitingFds === 1, { what: 'recv waiting' });
      controller.abort(new CancelledError('stop'));
      await expect(cancelled).rejects.toBeInstanceOf(CancelledError);
      expect(loop.waitingFds).toBe(0);
      await client.sendAll(Buffer.from('kept'));
      expect((await conn.recv(100)).toString()).toBe('kept');
    } finally {
      for (const s of [server, client, conn]) s.close();
    }
  });

  it('Task.cancel() reaches the pending sockRecv in the same turn', async () => {
    const loop = res.loop();
    const [server, client, conn] = await tcpPair(loop);
    try {
      const task = createTask((signal) => conn.recv(10, { signal }));
      await waitFor(() => loop.waitingFds === 1, { what: 'the task waiting in recv' });
      const registered = loop.registeredFds;
      task.cancel();
      // No loop turn in between: the waiter and its registration are gone already.
      expect(loop.waitingFds).toBe(0);
      expect(loop.registeredFds).toBe(registered - 1);
      await expect(task).rejects.toBeInstanceOf(CancelledError);
      expect(task.cancelled()).toBe(true);
    } finally {
      for (const s of [server, client, conn]) s.close();
    }
  });

  it('a sendAll cut short by cancellation says how many bytes went out', async () => {
    const [server, client, conn] = await tcpPair();
    try {
      client.setOption('SO_SNDBUF', 4096);
      const data = Buffer.alloc(16 * 1024 * 1024, 1);
      const error = await timeout(50, (signal) => client.sendAll(data, { signal })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PartialSendError);
      const partial = error as PartialSendError;
      expect(partial.bytesSent).toBeGreaterThan(0);
      expect(partial.bytesSent).toBeLessThan(data.length);
      expect(partial.cause).toBeInstanceOf(TimeoutError);
      // Exactly bytesSent bytes reach the peer.
      client.shutdown('write');
      let total = 0;
      for (;;) {
        const chunk = await conn.recv(1 << 20);
        if (chunk.length === 0) break;
        total += chunk.length;
      }
      expect(total).toBe(partial.bytesSent);
    } finally {
      for (const s of [server, client, conn]) s.close();
    }
  });

  it('close() wakes waiting operations with ClosedError and leaves nothing registered', async () => {
    const loop = res.loop();
    const [server, client, conn] = await tcpPair(loop);
    const pendingRecv = conn.recv(10);
    const pendingAccept = server.accept();
    await waitFor(() => loop.waitingFds === 2, { what: 'recv and accept waiting' });
    conn.close();
    server.close();
    await expect(pendingRecv).rejects.toBeInstanceOf(ClosedError);
    await expect(pendingAccept).rejects.toMatchObject({ code: 'IOR_ERR_CLOSED' });
    expect(conn.fileno()).toBe(-1);
    expect(() => conn.localAddress).toThrow(ClosedError);
    await expect(conn.recv(1)).rejects.toBeInstanceOf(ClosedError);
    conn.close();
    client.close();
    expect(loop.waitingFds).toBe(0);
    expect(loop.registeredFds).toBe(0);
  });

  it('closing the loop rejects pending operations with ClosedError; later calls reject too', async () => {
    const loop = res.loop();
    const [a, b] = res.socketpair();
    const pendingRecv = loop.sockRecv(a, 10);
    let waitingReadable = false;
    const pendingWait = loop.waitWritable(b).then(() => {
      waitingReadable = true;
      return loop.waitReadable(b);
    });
    await waitFor(() => waitingReadable, { what: 'the writable wait to be served' });
    loop.close();
    await expect(pendingRecv).rejects.toBeInstanceOf(ClosedError);
    await expect(pendingWait).rejects.toBeInstanceOf(ClosedError);
    await expect(loop.sockRecv(a, 10)).rejects.toBeInstanceOf(ClosedError);
    await expect(loop.sockSendAll(a, Buffer.from('x'))).rejects.toBeInstanceOf(ClosedError);
  });

  it('a second waiter for the same fd and direction gets BusyResourceError', async () => {
    const loop = res.loop();
    const [a] = res.socketpair();
    const first = loop.waitReadable(a);
    await expect(loop.waitReadable(a)).rejects.toBeInstanceOf(BusyResourceError);
    loop.notifyClosing(a);
    await expect(first).rejects.toBeInstanceOf(ClosedError);
  });

  it('connect to a closed port rejects with ECONNREFUSED', async () => {
    const loop = res.loop();
    const probe = new Socket({ loop });
    probe.bind({ address: '127.0.0.1', port: 0 });
    const port = (probe.localAddress as sys.InetAddress).port;
    probe.close();
    const client = new Socket({ loop });
    try {
      const error = await client.connect({ family: 'IPv4', address: '127.0.0.1', port }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SystemError);
      expect((error as SystemError).code).toBe('ECONNREFUSED');
      expect((error as SystemError).syscall).toBe('connect');
    } finally {
      client.close();
    }
  });

  it('UDP: sendTo and recvFrom carry datagrams and addresses', async () => {
    const loop = res.loop();
    const a = new Socket({ type: 'dgram', loop });
    const b = new Socket({ type: 'dgram', loop });
    try {
      a.bind({ address: '127.0.0.1', port: 0 });
      b.bind({ address: '127.0.0.1', port: 0 });
      const receiving = a.recvFrom(100);
      await waitFor(() => loop.waitingFds === 1, { what: 'recvFrom waiting' });
      expect(await b.sendTo(Buffer.from('dgram'), a.localAddress)).toBe(5);
      const [data, from] = await receiving;
      expect(data.toString()).toBe('dgram');
      expect(from).toEqual(b.localAddress);
    } finally {
      a.close();
      b.close();
    }
  });

  it('sockSendFile sends a file range with sendfile(2)', async () => {
    const loop = res.loop();
    const [server, client, conn] = await tcpPair(loop);
    const dir = mkdtempSync(path.join(tmpdir(), 'ioreactor-sendfile-'));
    const file = path.join(dir, 'data');
    const content = Buffer.alloc(300_000);
    for (let i = 0; i < content.length; i++) content[i] = (i * 7) & 0xff;
    writeFileSync(file, content);
    const fileFd = openSync(file, 'r');
    try {
      const sending = loop.sockSendFile(client, fileFd, { offset: 1000, count: 250_000 });
      const received: Buffer[] = [];
      let total = 0;
      while (total < 250_000) {
        const chunk = await conn.recv(65536);
        received.push(chunk);
        total += chunk.length;
      }
      expect(await sending).toBe(250_000);
      expect(Buffer.concat(received).equals(content.subarray(1000, 251_000))).toBe(true);
      // To the end of the file when no count is given.
      const rest = loop.sockSendFile(client, fileFd, { offset: 299_990 });
      expect(await rest).toBe(10);
      expect((await conn.recv(100)).equals(content.subarray(299_990))).toBe(true);
    } finally {
      closeSync(fileFd);
      rmSync(dir, { recursive: true });
      for (const s of [server, client, conn]) s.close();
    }
  });

  it('sockSendFile falls back to read + send for a source sendfile cannot use (a pipe)', async () => {
    const loop = res.loop();
    const [server, client, conn] = await tcpPair(loop);
    const [r, w] = res.pipe();
    try {
      const content = Buffer.from('streamed through a pipe, not a file');
      expect(sys.write(w, content)).toBe(content.length);
      res.close(w);
      expect(await loop.sockSendFile(client, r)).toBe(content.length);
      expect((await conn.recv(100)).equals(content)).toBe(true);
    } finally {
      for (const s of [server, client, conn]) s.close();
    }
  });

  it('Socket works over IPv6 and Unix-domain streams', async () => {
    const loop = res.loop();
    const dir = mkdtempSync(path.join(tmpdir(), 'ioreactor-unix-'));
    try {
      const cases: [Socket, sys.SocketAddress | { path: string }][] = [
        [new Socket({ family: 'unix', loop }), { path: path.join(dir, 'sock') }],
      ];
      try {
        const v6 = new Socket({ family: 'IPv6', loop });
        v6.bind({ address: '::1', port: 0 });
        cases.push([v6, v6.localAddress]);
      } catch {
        // No IPv6 loopback on this machine.
      }
      for (const [server, address] of cases) {
        using listener = server;
        if ('path' in address && !('family' in address)) listener.bind(address);
        listener.listen();
        using client = new Socket({ family: listener.family, loop });
        const [[conn]] = await Promise.all([listener.accept(), client.connect(listener.localAddress)]);
        using accepted = conn;
        await client.sendAll(Buffer.from(`hello over ${listener.family}`));
        expect((await accepted.recv(100)).toString()).toBe(`hello over ${listener.family}`);
        expect(accepted.family).toBe(listener.family);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cancelling 2,000 tasks blocked in sockRecv leaves no registration behind (100,000: npm run test:slow)', async () => {
    await cancelBlockedRecvs(res.loop(), 1, 1000);
  });
});
