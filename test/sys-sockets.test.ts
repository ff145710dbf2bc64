// ioreactor/sys socket calls over IPv4, IPv6 and Unix-domain sockets on this machine.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DefaultSelector, EVENT_WRITE, InvalidArgumentError, SystemError } from '../lib/index.js';
import * as sys from '../lib/sys.js';
import { useResources } from './helpers.js';

function hasIpv6(): boolean {
  try {
    const fd = sys.socket(sys.AF_INET6, sys.SOCK_STREAM);
    try {
      sys.bind(fd, { family: 'IPv6', address: '::1', port: 0 });
      return true;
    } finally {
      sys.close(fd);
    }
  } catch {
    return false;
  }
}

describe('ioreactor/sys sockets', () => {
  const res = useResources();

  /** Listens on loopback and returns [listenFd, clientFd, serverFd] after a connect + accept. */
  function connectedPair(family: 'IPv4' | 'IPv6'): [number, number, number] {
    const af = family === 'IPv4' ? sys.AF_INET : sys.AF_INET6;
    const host = family === 'IPv4' ? '127.0.0.1' : '::1';
    const lfd = res.adopt(sys.socket(af, sys.SOCK_STREAM));
    sys.setsockopt(lfd, 'SO_REUSEADDR', true);
    sys.bind(lfd, { family, address: host, port: 0 });
    sys.listen(lfd, 16);
    const { port } = sys.getsockname(lfd) as sys.InetAddress;
    expect(port).toBeGreaterThan(0);
    expect(sys.accept(lfd)).toBe(sys.errno.EAGAIN);
    const cfd = res.adopt(sys.socket(af, sys.SOCK_STREAM));
    const r = sys.connect(cfd, { family, address: host, port });
    expect([0, sys.errno.EINPROGRESS]).toContain(r);
    // Wait for the connection to complete, as a non-blocking client must.
    using sel = new DefaultSelector();
    sel.register(cfd, EVENT_WRITE);
    expect(sel.select(2000)).toHaveLength(1);
    expect(sys.getsockopt(cfd, 'SO_ERROR')).toBe(0);
    const accepted = sys.accept(lfd);
    expect(Array.isArray(accepted)).toBe(true);
    const [sfd, peer] = accepted as [number, sys.SocketAddress];
    res.adopt(sfd);
    expect(peer).toMatchObject({ family, address: host, port: (sys.getsockname(cfd) as sys.InetAddress).port });
    return [lfd, cfd, sfd];
  }

  it.each(['IPv4', 'IPv6'] as const)('%s: connect, accept, send, recv, recvInto, sendv, shutdown', (family) => {
    if (family === 'IPv6' && !hasIpv6()) return;
    const [, cfd, sfd] = connectedPair(family);
    expect(sys.getpeername(cfd)).toMatchObject({ family, port: (sys.getsockname(sfd) as sys.InetAddress).port });
    expect(sys.recv(sfd, 16)).toBe(sys.errno.EAGAIN);
    expect(sys.send(cfd, Buffer.from('hello world'), 6)).toBe(5);
    using sel = new DefaultSelector();
    sel.register(sfd, 1);
    sel.select(2000);
    const got = sys.recv(sfd, 64);
    expect(Buffer.isBuffer(got) && got.toString()).toBe('world');
    expect(sys.sendv(cfd, [Buffer.from('a'), new Uint8Array([0x62, 0x63]), Buffer.alloc(0)])).toBe(3);
    sel.select(2000);
    const into = Buffer.alloc(10);
    expect(sys.recvInto(sfd, into, 2, 8)).toBe(3);
    expect(into.subarray(2, 5).toString()).toBe('abc');
    sys.shutdown(cfd, sys.SHUT_WR);
    sel.select(2000);
    expect(sys.recvInto(sfd, into)).toBe(0);
    // A send to a peer that has gone returns EPIPE (or ECONNRESET) instead of raising SIGPIPE.
    res.close(sfd);
    let r = 0;
    for (let i = 0; i < 10 && r >= 0; i++) r = sys.send(cfd, Buffer.alloc(1024));
    expect([sys.errno.EPIPE, sys.errno.ECONNRESET]).toContain(r);
  });

  it('Unix-domain sockets: path and abstract names round-trip', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ioreactor-sock-'));
    try {
      const file = path.join(dir, 's');
      const lfd = res.adopt(sys.socket(sys.AF_UNIX, sys.SOCK_STREAM));
      sys.bind(lfd, { family: 'unix', path: file });
      sys.listen(lfd);
      expect(sys.getsockname(lfd)).toEqual({ family: 'unix', path: file });
      const cfd = res.adopt(sys.socket(sys.AF_UNIX, sys.SOCK_STREAM));
      expect(sys.connect(cfd, { family: 'unix', path: file })).toBe(0);
      const accepted = sys.accept(lfd) as [number, sys.SocketAddress];
      res.adopt(accepted[0]);
      expect(accepted[1]).toEqual({ family: 'unix', path: '' });
      if (process.platform === 'linux') {
        const afd = res.adopt(sys.socket(sys.AF_UNIX, sys.SOCK_STREAM));
        const name = `\0ioreactor-test-${process.pid}`;
        sys.bind(afd, { family: 'unix', path: name });
        expect(sys.getsockname(afd)).toEqual({ family: 'unix', path: name });
      }
      expect(() => sys.bind(res.adopt(sys.socket(sys.AF_UNIX, sys.SOCK_STREAM)), { family: 'unix', path: 'x'.repeat(200) })).toThrow(
        InvalidArgumentError,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('connect to a closed port fails with ECONNREFUSED (at once or through SO_ERROR)', () => {
    const probe = res.adopt(sys.socket(sys.AF_INET, sys.SOCK_STREAM));
    sys.bind(probe, { family: 'IPv4', address: '127.0.0.1', port: 0 });
    const { port } = sys.getsockname(probe) as sys.InetAddress;
    const fd = res.adopt(sys.socket(sys.AF_INET, sys.SOCK_STREAM));
    const r = sys.connect(fd, { family: 'IPv4', address: '127.0.0.1', port });
    if (r === sys.errno.EINPROGRESS) {
      using sel = new DefaultSelector();
      sel.register(fd, EVENT_WRITE);
      sel.select(2000);
      expect(sys.getsockopt(fd, 'SO_ERROR')).toBe(sys.errno.ECONNREFUSED);
    } else {
      expect(r).toBe(sys.errno.ECONNREFUSED);
    }
  });

  it('socket options: set and read back; sockets are non-blocking and close-on-exec', () => {
    const fd = res.adopt(sys.socket(sys.AF_INET, sys.SOCK_STREAM));
    for (const option of ['SO_REUSEADDR', 'SO_REUSEPORT', 'SO_KEEPALIVE', 'TCP_NODELAY'] as const) {
      sys.setsockopt(fd, option, true);
      expect(sys.getsockopt(fd, option)).not.toBe(0);
      sys.setsockopt(fd, option, 0);
      expect(sys.getsockopt(fd, option)).toBe(0);
    }
    sys.setsockopt(fd, 'SO_RCVBUF', 65536);
    expect(sys.getsockopt(fd, 'SO_RCVBUF')).toBeGreaterThanOrEqual(65536);
    expect(sys.getsockopt(fd, 'SO_TYPE')).toBe(sys.SOCK_STREAM);
    const udp = res.adopt(sys.socket(sys.AF_INET, sys.SOCK_DGRAM));
    expect(sys.getsockopt(udp, 'SO_TYPE')).toBe(sys.SOCK_DGRAM);
    const flags = parseInt(/flags:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
    expect(flags & 0o4000).toBe(0o4000);
    expect(flags & 0o2000000).toBe(0o2000000);
  });

  it('bad arguments throw IOR_ERR_INVALID_ARG; OS failures throw SystemError', () => {
    const fd = res.adopt(sys.socket(sys.AF_INET, sys.SOCK_STREAM));
    const invalid = expect.objectContaining({ code: 'IOR_ERR_INVALID_ARG' });
    expect(() => sys.bind(fd, { family: 'IPv4', address: 'localhost', port: 0 })).toThrow(invalid);
    expect(() => sys.bind(fd, { family: 'IPv4', address: '127.0.0.1', port: 70000 })).toThrow(invalid);
    expect(() => sys.bind(fd, { family: 'IPv4', address: '127.0.0.1', port: -1 })).toThrow(invalid);
    expect(() => sys.bind(fd, { family: 'IPv4', address: '127.0.0.1', port: NaN })).toThrow(invalid);
    expect(() => sys.bind(fd, { family: 'IPX', address: '1', port: 1 } as never)).toThrow(invalid);
    expect(() => sys.bind(fd, null as never)).toThrow(invalid);
    expect(() => sys.connect(fd, 'x' as never)).toThrow(invalid);
    expect(() => sys.setsockopt(fd, 'SO_NOPE' as never, 1)).toThrow(invalid);
    expect(() => sys.setsockopt(fd, 'TCP_NODELAY', NaN)).toThrow(invalid);
    expect(() => sys.recv(fd, -1)).toThrow(invalid);
    expect(() => sys.recvInto(fd, 'x' as never)).toThrow(invalid);
    expect(() => sys.sendv(fd, 'x' as never)).toThrow(invalid);
    expect(() => sys.sendv(fd, ['x'] as never)).toThrow(invalid);
    expect(() => sys.shutdown(fd, 7)).toThrow(invalid);
    expect(() => sys.accept(-1)).toThrow(invalid);
    expect(() => sys.socket(NaN, 1)).toThrow(invalid);
    expect(() => sys.socket(9999, sys.SOCK_STREAM)).toThrow(expect.objectContaining({ code: 'EAFNOSUPPORT', syscall: 'socket' }));
    expect(() => sys.listen(2 ** 30)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'listen' }));
    expect(() => sys.getpeername(fd)).toThrow(expect.objectContaining({ code: 'ENOTCONN' }));
    expect(() => sys.shutdown(fd, sys.SHUT_RDWR)).toThrow(SystemError);
    expect(sys.send(2 ** 30, Buffer.alloc(1))).toBe(sys.errno.EBADF);
    expect(sys.accept(fd)).toBe(sys.errno.EINVAL);
    const bound = res.adopt(sys.socket(sys.AF_INET, sys.SOCK_STREAM));
    sys.bind(bound, { family: 'IPv4', address: '127.0.0.1', port: 0 });
    const taken = sys.getsockname(bound);
    expect(() => sys.bind(fd, taken)).toThrow(expect.objectContaining({ code: 'EADDRINUSE', syscall: 'bind' }));
  });
});
