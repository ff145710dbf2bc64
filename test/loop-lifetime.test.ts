// What keeps the process alive, ref/unref, uncaught errors and debug mode: each case in
// its own Node process.
import { describe, expect, it } from 'vitest';
import { runScript } from './helpers.js';

describe('EventLoop lifetime (child processes)', () => {
  it('exits at once when the loop has nothing to do', async () => {
    const r = await runScript(`
      const loop = io.getEventLoop();
      const [a, b] = sys.socketpair();
      loop.addReader(a, () => {});
      loop.removeReader(a);
      loop.callSoon(() => console.log('soon'));
    `);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('soon\n');
    expect(r.ms).toBeLessThan(5000);
  });

  it('stays alive while a reader is registered', async () => {
    const r = await runScript(`
      const loop = io.getEventLoop();
      const [a, b] = sys.socketpair();
      loop.addReader(a, () => {});
      // This Node timer does not hold the process open; only the reader does.
      setTimeout(() => { loop.removeReader(a); console.log('removed'); }, 300).unref();
    `);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('removed\n');
    expect(r.ms).toBeGreaterThanOrEqual(250);
  });

  it('stays alive for a pending timer but not for a cancelled one', async () => {
    const pending = await runScript(`io.getEventLoop().callLater(200, () => console.log('fired'));`);
    expect(pending.stdout).toBe('fired\n');
    const cancelled = await runScript(`
      const loop = io.getEventLoop();
      loop.callLater(5, () => console.log('short'));
      loop.callLater(10000, () => console.log('never')).cancel();
    `);
    expect(cancelled.status).toBe(0);
    expect(cancelled.stdout).toBe('short\n');
    expect(cancelled.ms).toBeLessThan(5000);
  });

  it('unref() lets the process exit; ref() holds it again', async () => {
    const unrefed = await runScript(`
      const loop = io.getEventLoop();
      const [a, b] = sys.socketpair();
      loop.addReader(a, () => {});
      loop.callLater(10000, () => console.log('never'));
      loop.callSoon(() => console.log('an unref()ed loop does not wait for this either'));
      loop.unref();
      console.log(loop.hasRef());
    `);
    expect(unrefed.status).toBe(0);
    expect(unrefed.stdout).toBe('false\n');
    expect(unrefed.ms).toBeLessThan(5000);
    const refed = await runScript(`
      const loop = io.getEventLoop();
      loop.unref();
      loop.ref();
      loop.callLater(150, () => console.log('fired'));
    `);
    expect(refed.stdout).toBe('fired\n');
  });

  it('close() releases the libuv handles: the process exits with readers still added', async () => {
    const r = await runScript(`
      const loop = io.getEventLoop();
      const [a, b] = sys.socketpair();
      loop.addReader(a, () => {});
      loop.addWriter(b, () => {});
      loop.callLater(10000, () => {});
      loop.callSoon(() => { loop.close(); console.log('closed', loop.closed); });
    `);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('closed true\n');
    expect(r.ms).toBeLessThan(5000);
  });

  it('an error thrown by a callback with no handler is an uncaught exception', async () => {
    const crashed = await runScript(`
      const loop = io.getEventLoop();
      loop.callSoon(() => { throw new Error('boom from callSoon'); });
    `);
    expect(crashed.status).toBe(1);
    expect(crashed.stderr).toContain('boom from callSoon');
    const caught = await runScript(`
      const loop = io.getEventLoop();
      process.on('uncaughtException', (e) => console.log('caught', e.message));
      const [a, b] = sys.socketpair();
      const [c, d] = sys.socketpair();
      let n = 0;
      const cb = (fd) => { loop.removeReader(fd); n++; throw new Error('reader ' + n); };
      loop.addReader(a, cb);
      loop.addReader(c, cb);
      sys.write(b, Buffer.from('x'));
      sys.write(d, Buffer.from('x'));
      loop.callLater(50, () => console.log('both ran', n));
    `);
    expect(caught.status).toBe(0);
    expect(caught.stdout).toBe('caught reader 1\ncaught reader 2\nboth ran 2\n');
  });

  it('debug mode reports slow callbacks and fds still registered at close', async () => {
    const r = await runScript(
      `
      const loop = io.getEventLoop();
      console.log('debug', loop.debug);
      const [a, b] = sys.socketpair();
      loop.addReader(a, () => {});
      loop.callSoon(function slowThing() {
        const end = Date.now() + 150;
        while (Date.now() < end);
        // Closed from here: a close timer armed up front could fire before the callSoon
        // round on a loaded machine (libuv runs timers before immediates), and drop it.
        loop.callLater(10, () => loop.close());
      });
    `,
      { env: { IOREACTOR_DEBUG: '1' } },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('debug true\n');
    expect(r.stderr).toMatch(/Executing callSoon slowThing\(\) took \d+\.\d ms/);
    expect(r.stderr).toMatch(/EventLoop closed with 1 fd\(s\) still registered: \d+/);
    const quiet = await runScript(`
      const loop = new io.EventLoop({ debug: true, slowCallbackDuration: 1000 });
      loop.callSoon(function fine() {});
      loop.callLater(5, () => loop.close());
    `);
    expect(quiet.stderr).toBe('');
  });
});
