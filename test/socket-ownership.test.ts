// One owner per fd, by identity: a Socket never closes a number it no longer owns, and
// never adopts a number another Socket owns.
import { describe, expect, it } from 'vitest';
import { getEventLoop, InvalidArgumentError, Socket } from '../lib/index.js';
import * as sys from '../lib/sys.js';
import { useResources } from './helpers.js';

getEventLoop();

describe('Socket fd ownership', () => {
  const res = useResources();

  it('close() leaves alone a number that was closed behind its back and reused', () => {
    const loop = res.loop();
    const sock = new Socket({ loop });
    const fd = sock.fileno();
    sys.close(fd); // behind the Socket's back
    const [a, b] = res.socketpair(); // takes the number again
    expect(a === fd || b === fd).toBe(true);
    sock.close();
    // The newcomer is still open: writing to it works.
    expect(sys.write(b, Buffer.from('x'))).toBe(1);
  });

  it('a Socket cannot adopt an fd another Socket owns; a stale owner does not block adoption', () => {
    const loop = res.loop();
    const first = new Socket({ loop });
    expect(() => new Socket({ loop, fd: first.fileno() })).toThrow(InvalidArgumentError);
    expect(first.closed).toBe(false);
    const fd = first.fileno();
    sys.close(fd); // the first Socket's ownership ends natively
    const raw = sys.socket(sys.AF_INET, sys.SOCK_STREAM);
    expect(raw).toBe(fd);
    const second = new Socket({ loop, fd: raw });
    first.close(); // must not close the adopted number
    expect(second.localAddress.family).toBe('IPv4');
    second.close();
  });
});
