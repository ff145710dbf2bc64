// Datagram endpoints: UDP over IPv4 and IPv6 and Unix datagram round trips, connected and
// unconnected endpoints, the sendTo address check, errorReceived for ECONNREFUSED, close
// and abort ordering, and a closing loop settling everything.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ClosedError,
  type DatagramProtocol,
  type DatagramTransport,
  type EventLoop,
  getEventLoop,
  InvalidArgumentError,
  SystemError,
} from '../lib/index.js';
import { Socket } from '../lib/index.js';
import type { InetAddress, SocketAddress } from '../lib/sys.js';
import { useResources, waitFor } from './helpers.js';

getEventLoop();

/** Records every call, in order; `next()` waits for the next datagram. */
class Recorder implements DatagramProtocol {
  events: string[] = [];
  datagrams: [string, SocketAddress][] = [];
  errors: Error[] = [];
  transport!: DatagramTransport;
  lost: Error | null | undefined;
  closed: Promise<void>;
  #closed!: () => void;
  #waiters: (() => void)[] = [];
  constructor() {
    this.closed = new Promise<void>((resolve) => (this.#closed = resolve));
  }
  connectionMade(transport: DatagramTransport): void {
    this.transport = transport;
    this.events.push('made');
  }
  datagramReceived(data: Buffer, address: SocketAddress): void {
    this.events.push('datagram');
    this.datagrams.push([data.toString(), address]);
    for (const w of this.#waiters.splice(0)) w();
  }
  errorReceived(error: Error): void {
    this.events.push('error');
    this.errors.push(error);
  }
  connectionLost(error: Error | null): void {
    this.events.push('lost');
    this.lost = error;
    this.#closed();
  }
  async next(count: number): Promise<void> {
    while (this.datagrams.length < count) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

/** An echo server: every datagram goes back to its sender. */
class Echo extends Recorder {
  override datagramReceived(data: Buffer, address: SocketAddress): void {
    super.datagramReceived(data, address);
    this.transport.sendTo(data, address);
  }
}

const tmp = mkdtempSync(path.join(tmpdir(), 'ior-dgram-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const hasIPv6 = ((): boolean => {
  try {
    const s = new Socket({ family: 'IPv6', type: 'dgram' });
    try {
      s.bind({ family: 'IPv6', address: '::1', port: 0 });
      return true;
    } finally {
      s.close();
    }
  } catch {
    return false;
  }
})();

describe('createDatagramEndpoint', () => {
  const res = useResources();

  async function server(loop: EventLoop, host: string): Promise<[DatagramTransport, Echo, InetAddress]> {
    const [t, p] = await loop.createDatagramEndpoint(() => new Echo(), { localAddress: { host, port: 0 } });
    return [t, p, t.getExtraInfo('sockname') as InetAddress];
  }

  it('IPv4: an unconnected client and an echo server round-trip, connectionMade first', async () => {
    const loop = res.loop();
    const [st, sp, addr] = await server(loop, '127.0.0.1');
    expect(sp.events).toEqual(['made']);
    const [ct, cp] = await loop.createDatagramEndpoint(() => new Recorder(), { family: 'IPv4' });
    ct.sendTo(Buffer.from('one'), addr);
    ct.sendTo(new Uint16Array([0x6f74, 0x6f77]), addr); // a TypedArray, "two"+"o" little-endian
    ct.sendTo(Buffer.alloc(0), addr); // an empty datagram is a datagram
    await cp.next(3);
    expect(cp.datagrams.map(([d]) => d)).toEqual(['one', 'towo', '']);
    expect(cp.datagrams[0]![1]).toEqual(expect.objectContaining({ family: 'IPv4', address: '127.0.0.1', port: addr.port }));
    expect((sp.datagrams[0]![1] as InetAddress).port).toBe((ct.getExtraInfo('sockname') as InetAddress).port);
    expect(ct.getExtraInfo('peername')).toBeUndefined();
    expect(ct.getExtraInfo('socket')).toBeInstanceOf(Socket);
    ct.close();
    st.close();
    await Promise.all([cp.closed, sp.closed]);
    expect(cp.events.at(-1)).toBe('lost');
    expect(cp.lost).toBeNull();
    expect(loop.registeredFds).toBe(0);
  });

  it.skipIf(!hasIPv6)('IPv6: a connected client (remoteAddress by name or number) round-trips', async () => {
    const loop = res.loop();
    const [st, sp, addr] = await server(loop, '::1');
    const [ct, cp] = await loop.createDatagramEndpoint(() => new Recorder(), { remoteAddress: { family: 'IPv6', address: '::1', port: addr.port } });
    expect(ct.getExtraInfo('peername')).toEqual(expect.objectContaining({ family: 'IPv6', address: '::1', port: addr.port }));
    ct.sendTo(Buffer.from('hello'));
    ct.sendTo(Buffer.from('again'), { family: 'IPv6', address: '::1', port: addr.port });
    await cp.next(2);
    expect(cp.datagrams.map(([d]) => d)).toEqual(['hello', 'again']);
    expect(cp.datagrams[0]![1]).toBe(ct.getExtraInfo('peername')); // no address made per datagram
    ct.close();
    st.close();
    await Promise.all([cp.closed, sp.closed]);
  });

  it('Unix datagram sockets: path binds (a stale file is replaced), remoteAddress { path } connects', async () => {
    const loop = res.loop();
    const serverPath = path.join(tmp, 'server.sock');
    const clientPath = path.join(tmp, 'client.sock');
    const [st0] = await loop.createDatagramEndpoint(() => new Recorder(), { path: serverPath });
    st0.abort(); // leaves the socket file behind
    const [st, sp] = await loop.createDatagramEndpoint(() => new Echo(), { path: serverPath });
    const [ct, cp] = await loop.createDatagramEndpoint(() => new Recorder(), {
      localAddress: { path: clientPath },
      remoteAddress: { path: serverPath },
    });
    ct.sendTo(Buffer.from('over unix'));
    await cp.next(1);
    expect(cp.datagrams[0]).toEqual(['over unix', { family: 'unix', path: serverPath }]);
    expect(sp.datagrams[0]![1]).toEqual({ family: 'unix', path: clientPath });
    expect(() => ct.sendTo(Buffer.from('x'), { family: 'IPv4', address: '127.0.0.1', port: 1 })).toThrow(InvalidArgumentError);
    ct.close();
    st.close();
    await Promise.all([cp.closed, sp.closed]);
  });

  it('an unconnected endpoint makes one frozen address object per sender, not one per datagram', async () => {
    const loop = res.loop();
    const [st, sp, addr] = await server(loop, '127.0.0.1');
    const [at, ap] = await loop.createDatagramEndpoint(() => new Recorder(), { family: 'IPv4' });
    const [bt, bp] = await loop.createDatagramEndpoint(() => new Recorder(), { family: 'IPv4' });
    for (let i = 0; i < 3; i++) {
      at.sendTo(Buffer.from(`a${i}`), addr);
      bt.sendTo(Buffer.from(`b${i}`), addr);
    }
    await sp.next(6);
    await Promise.all([ap.next(3), bp.next(3)]);
    const aPort = (at.getExtraInfo('sockname') as InetAddress).port;
    const bPort = (bt.getExtraInfo('sockname') as InetAddress).port;
    const fromA = sp.datagrams.filter(([d]) => d.startsWith('a')).map(([, a]) => a);
    const fromB = sp.datagrams.filter(([d]) => d.startsWith('b')).map(([, a]) => a);
    expect(fromA).toHaveLength(3);
    expect(fromB).toHaveLength(3);
    expect(fromA.every((a) => a === fromA[0])).toBe(true);
    expect(fromB.every((a) => a === fromB[0])).toBe(true);
    expect(fromA[0]).not.toBe(fromB[0]);
    expect(fromA[0]).toEqual(expect.objectContaining({ family: 'IPv4', address: '127.0.0.1', port: aPort }));
    expect(fromB[0]).toEqual(expect.objectContaining({ family: 'IPv4', address: '127.0.0.1', port: bPort }));
    // Shared, so frozen: a protocol cannot change what the next datagram's handler sees.
    expect(Object.isFrozen(fromA[0])).toBe(true);
    // The echoes came back to each sender from the server's one address object.
    expect(ap.datagrams.every(([, a]) => a === ap.datagrams[0]![1])).toBe(true);
    for (const t of [at, bt, st]) t.close();
    await Promise.all([ap.closed, bp.closed, sp.closed]);
  });

  it.skipIf(!hasIPv6)('IPv6 and Unix senders are cached by their full address too', async () => {
    const loop = res.loop();
    const [st, sp, addr] = await server(loop, '::1');
    const [ct, cp] = await loop.createDatagramEndpoint(() => new Recorder(), { family: 'IPv6' });
    ct.sendTo(Buffer.from('x'), addr);
    ct.sendTo(Buffer.from('y'), addr);
    await sp.next(2);
    await cp.next(2);
    expect(sp.datagrams[0]![1]).toBe(sp.datagrams[1]![1]);
    expect(sp.datagrams[0]![1]).toEqual(
      expect.objectContaining({ family: 'IPv6', address: '::1', port: (ct.getExtraInfo('sockname') as InetAddress).port }),
    );
    const serverPath = path.join(tmp, 'cache-server.sock');
    const [ut, up] = await loop.createDatagramEndpoint(() => new Echo(), { path: serverPath });
    const senders = await Promise.all(
      ['one.sock', 'two.sock'].map((name) =>
        loop.createDatagramEndpoint(() => new Recorder(), { localAddress: { path: path.join(tmp, name) }, remoteAddress: { path: serverPath } }),
      ),
    );
    for (const [t] of senders) {
      t.sendTo(Buffer.from('1'));
      t.sendTo(Buffer.from('2'));
    }
    await up.next(4);
    const byPath = new Map<string, SocketAddress[]>();
    for (const [, a] of up.datagrams) byPath.set((a as { path: string }).path, [...(byPath.get((a as { path: string }).path) ?? []), a]);
    expect([...byPath.keys()].sort()).toEqual([path.join(tmp, 'one.sock'), path.join(tmp, 'two.sock')]);
    for (const list of byPath.values()) expect(list[0]).toBe(list[1]);
    for (const [t] of senders) t.close();
    for (const t of [ct, st, ut]) t.close();
    await Promise.all([cp.closed, sp.closed, up.closed, ...senders.map(([, p]) => p.closed)]);
  });

  it('sendTo checks its address before anything is sent', async () => {
    const loop = res.loop();
    const [st, sp, addr] = await server(loop, '127.0.0.1');
    const [ct, cp] = await loop.createDatagramEndpoint(() => new Recorder(), { remoteAddress: { host: 'localhost', port: addr.port }, family: 'IPv4' });
    const other = { family: 'IPv4' as const, address: '127.0.0.1', port: addr.port === 65535 ? 1 : addr.port + 1 };
    expect(() => ct.sendTo(Buffer.from('x'), other)).toThrow(InvalidArgumentError);
    expect(() => ct.sendTo('x' as never)).toThrow(InvalidArgumentError);
    ct.sendTo(Buffer.from('ok'), { family: 'IPv4', address: '127.0.0.1', port: addr.port });
    const [ut] = await loop.createDatagramEndpoint(() => new Recorder(), { family: 'IPv4' });
    expect(() => ut.sendTo(Buffer.from('x'))).toThrow(InvalidArgumentError); // unconnected: an address is required
    expect(() => ut.sendTo(Buffer.from('x'), { family: 'IPv6', address: '::1', port: 1 })).toThrow(InvalidArgumentError);
    expect(() => ut.sendTo(Buffer.from('x'), { host: 'localhost', port: 1 } as never)).toThrow(InvalidArgumentError);
    await sp.next(1);
    expect(sp.datagrams.map(([d]) => d)).toEqual(['ok']);
    await cp.next(1);
    for (const t of [ct, ut, st]) t.close();
  });

  it('datagrams the kernel refuses (EAGAIN) are copied, queued and flushed in order when writable', async () => {
    const loop = res.loop();
    const peerPath = path.join(tmp, 'slow.sock');
    const peer = new Socket({ family: 'unix', type: 'dgram', loop });
    peer.bind({ path: peerPath });
    const [ct, cp] = await loop.createDatagramEndpoint(() => new Recorder(), { remoteAddress: { path: peerPath } });
    // A connected Unix datagram socket gets EAGAIN once the unread peer's queue is full.
    const payload = Buffer.alloc(1000);
    for (let i = 0; i < 200; i++) {
      payload.writeUInt32BE(i, 0);
      ct.sendTo(payload); // the same buffer each time: queued datagrams must be copies
    }
    expect(ct.getWriteBufferSize()).toBeGreaterThan(0);
    const seen: number[] = [];
    while (seen.length < 200) {
      const [data] = await peer.recvFrom(2000);
      seen.push(data.readUInt32BE(0));
    }
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(ct.getWriteBufferSize()).toBe(0);
    expect(cp.errors).toEqual([]);
    ct.close();
    await cp.closed;
    peer.close();
  });

  it('createDatagramEndpoint validates its options before opening anything', async () => {
    const loop = res.loop();
    const before = loop.registeredFds;
    await expect(loop.createDatagramEndpoint(() => new Recorder(), {})).rejects.toThrow(InvalidArgumentError);
    await expect(loop.createDatagramEndpoint(() => new Recorder(), { family: 'IPX' as never })).rejects.toThrow(InvalidArgumentError);
    await expect(loop.createDatagramEndpoint(() => new Recorder(), { family: 'IPv4', reusePort: 1 as never })).rejects.toThrow(InvalidArgumentError);
    await expect(loop.createDatagramEndpoint(() => new Recorder(), { path: path.join(tmp, 'a'), remoteAddress: { host: 'localhost', port: 1 } })).rejects.toThrow(InvalidArgumentError);
    await expect(loop.createDatagramEndpoint(() => new Recorder(), { localAddress: { host: '127.0.0.1', port: 70000 } })).rejects.toThrow(InvalidArgumentError);
    await expect(loop.createDatagramEndpoint('no' as never, { family: 'IPv4' })).rejects.toThrow(InvalidArgumentError);
    expect(loop.registeredFds).toBe(before);
  });

  it('errorReceived gets ECONNREFUSED on a connected socket to a port nobody listens on; the endpoint stays open', async () => {
    const loop = res.loop();
    // A port that was just free: bind, read it, close.
    const probe = new Socket({ family: 'IPv4', type: 'dgram', loop });
    probe.bind({ family: 'IPv4', address: '127.0.0.1', port: 0 });
    const port = (probe.localAddress as InetAddress).port;
    probe.close();
    const [ct, cp] = await loop.createDatagramEndpoint(() => new Recorder(), { remoteAddress: { family: 'IPv4', address: '127.0.0.1', port } });
    ct.sendTo(Buffer.from('anyone?'));
    // The ICMP port-unreachable comes back as a pending socket error: the receive (or the
    // second send) reports it.
    await waitFor(() => {
      if (cp.errors.length === 0) ct.sendTo(Buffer.from('again?'));
      return cp.errors.length > 0;
    }, { what: 'errorReceived' });
    expect(cp.errors[0]).toBeInstanceOf(SystemError);
    expect((cp.errors[0] as SystemError).code).toBe('ECONNREFUSED');
    expect(ct.isClosing()).toBe(false);
    expect(cp.events).not.toContain('lost');
    ct.close();
    await cp.closed;
    expect(cp.lost).toBeNull();
  });

  it('close() and abort(): connectionLost(null) once, last, after the current callback; nothing arrives after', async () => {
    const loop = res.loop();
    const [st, sp, addr] = await server(loop, '127.0.0.1');
    const [ct, cp] = await loop.createDatagramEndpoint(() => new Recorder(), { family: 'IPv4' });
    ct.sendTo(Buffer.from('x'), addr);
    await cp.next(1);
    ct.close();
    ct.close();
    expect(ct.isClosing()).toBe(true);
    expect(cp.events.at(-1)).toBe('datagram'); // connectionLost comes later, not inside close()
    ct.sendTo(Buffer.from('dropped'), addr); // after close(): dropped, no throw
    st.abort();
    st.abort();
    await Promise.all([cp.closed, sp.closed]);
    expect(cp.events).toEqual(['made', 'datagram', 'lost']);
    expect(sp.events).toEqual(['made', 'datagram', 'lost']);
    expect(sp.lost).toBeNull();
    expect(loop.registeredFds).toBe(0);
  });

  it('a throwing datagramReceived is reported and the endpoint keeps receiving', async () => {
    const loop = res.loop();
    const reported: unknown[] = [];
    loop.setExceptionHandler((context) => reported.push(context.exception));
    const boom = new Error('boom');
    class Throws extends Recorder {
      override datagramReceived(data: Buffer, address: SocketAddress): void {
        super.datagramReceived(data, address);
        if (this.datagrams.length === 1) throw boom;
      }
    }
    const [st, sp, addr] = await loop
      .createDatagramEndpoint(() => new Throws(), { localAddress: { family: 'IPv4', address: '127.0.0.1', port: 0 } })
      .then(([t, p]) => [t, p, t.getExtraInfo('sockname') as InetAddress] as const);
    const [ct] = await loop.createDatagramEndpoint(() => new Recorder(), { family: 'IPv4' });
    ct.sendTo(Buffer.from('1'), addr);
    ct.sendTo(Buffer.from('2'), addr);
    await sp.next(2);
    expect(reported).toEqual([boom]);
    expect(st.isClosing()).toBe(false);
    st.close();
    ct.close();
    await sp.closed;
  });

  it('closing the loop settles every endpoint: connectionLost(ClosedError), the socket closed', async () => {
    const loop = res.loop();
    const [, sp] = await server(loop, '127.0.0.1');
    const [, cp] = await loop.createDatagramEndpoint(() => new Recorder(), { family: 'IPv4' });
    const pending = loop.createDatagramEndpoint(() => new Recorder(), { family: 'IPv4' });
    await Promise.resolve();
    loop.close();
    expect(sp.lost).toBeInstanceOf(ClosedError);
    expect(cp.lost).toBeInstanceOf(ClosedError);
    expect(sp.events).toEqual(['made', 'lost']);
    // An endpoint whose connectionMade had not run yet rejects instead (never made, never lost).
    await expect(pending).rejects.toThrow();
  });
});
