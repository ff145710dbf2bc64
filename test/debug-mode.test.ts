// Debug mode (issue 11 part 3), by warning code: slow task steps, unobserved task failures,
// unclosed sockets with their creation site, and setDebug() turning reports on and off.
import { afterEach, describe, expect, it } from 'vitest';
import { createTask, getEventLoop, InvalidArgumentError, sleep } from '../lib/index.js';
import { runScript, waitFor } from './helpers.js';

function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** Collects the process warnings with `code` until stopped. */
function collect(code: string): { messages: string[]; stop: () => void } {
  const messages: string[] = [];
  const listener = (warning: Error & { code?: string }): void => {
    if (warning.code === code) messages.push(warning.message);
  };
  process.on('warning', listener);
  return { messages, stop: () => process.off('warning', listener) };
}

describe('IOR_WARN_SLOW_TASK_STEP', () => {
  const loop = getEventLoop();
  afterEach(() => {
    loop.setDebug(false);
    loop.slowCallbackDuration = 100;
  });

  it('names the task and where it was created when a step between two awaits blocks', async () => {
    loop.setDebug(true);
    loop.slowCallbackDuration = 40;
    const warnings = collect('IOR_WARN_SLOW_TASK_STEP');
    try {
      const blocker = createTask(
        async (signal) => {
          await sleep(1, { signal });
          block(80); // the seeds' time.sleep() in a coroutine
          await sleep(1, { signal });
        },
        { name: 'blocker' },
      );
      const quick = createTask(
        async (signal) => {
          for (let i = 0; i < 5; i++) await sleep(1, { signal });
        },
        { name: 'quick' },
      );
      await Promise.all([blocker, quick]);
      await waitFor(() => warnings.messages.length > 0, { what: 'a slow-step warning' });
      await sleep(5);
      expect(warnings.messages).toHaveLength(1);
      expect(warnings.messages[0]).toMatch(/^Task 'blocker' ran \d+\.\d ms without awaiting \(slowCallbackDuration is 40 ms\)/);
      expect(warnings.messages[0]).toContain('debug-mode.test.ts'); // the creation site
      expect(blocker.creationSite).toContain('debug-mode.test.ts');
    } finally {
      warnings.stop();
    }
  });

  it('times the first step, steps inside awaited helpers, and a child task apart from its parent', async () => {
    loop.setDebug(true);
    loop.slowCallbackDuration = 40;
    const warnings = collect('IOR_WARN_SLOW_TASK_STEP');
    try {
      const helper = async (): Promise<void> => {
        await sleep(1);
        block(60);
      };
      await createTask(async () => block(60), { name: 'first-step' });
      await createTask(async () => helper(), { name: 'via-helper' });
      await createTask(
        async () => {
          // The child's first step starts while the parent's step runs; it is the child's.
          const child = createTask(async () => block(60), { name: 'child' });
          await child;
        },
        { name: 'parent' },
      );
      await waitFor(() => warnings.messages.length >= 3, { what: 'three slow-step warnings' });
      await sleep(5);
      const named = warnings.messages.map((m) => /^Task '([^']+)'/.exec(m)?.[1]).sort();
      expect(named).toEqual(['child', 'first-step', 'via-helper']);
    } finally {
      warnings.stop();
    }
  });

  it('setDebug() at run time turns the reports on and off; nothing is reported with debug off', async () => {
    const warnings = collect('IOR_WARN_SLOW_TASK_STEP');
    try {
      loop.slowCallbackDuration = 20;
      expect(loop.getDebug()).toBe(false);
      await createTask(async () => block(50), { name: 'off-before' });
      loop.setDebug(true);
      expect(loop.getDebug()).toBe(true);
      await createTask(async () => block(50), { name: 'on' });
      await waitFor(() => warnings.messages.length === 1, { what: 'the warning while on' });
      loop.setDebug(false);
      await createTask(async () => block(50), { name: 'off-after' });
      await sleep(5);
      expect(warnings.messages).toHaveLength(1);
      expect(warnings.messages[0]).toMatch(/^Task 'on'/);
      expect(() => loop.setDebug('yes' as never)).toThrow(InvalidArgumentError);
      expect(() => {
        loop.slowCallbackDuration = -1;
      }).toThrow(InvalidArgumentError);
    } finally {
      warnings.stop();
    }
  });
});

describe('IOR_WARN_UNOBSERVED_TASK', () => {
  const script = `
    function startWork() {
      return io.createTask(async () => { await io.sleep(1); throw new Error('boom'); }, { name: 'lonely' });
    }
    startWork();
    io.getEventLoop().callLater(500, () => {}); // keeps the process alive until the failure
  `;

  it('in debug mode names the task and where it was created, then Node reports the rejection as usual', async () => {
    const result = await runScript(script, { env: { IOREACTOR_DEBUG: '1' } });
    expect(result.stderr).toMatch(/\[IOR_WARN_UNOBSERVED_TASK\] IoreactorWarning: Task 'lonely' failed and nothing awaited it or asked for its result: Error: boom; the task was created at:\n.*at startWork/);
    expect(result.stderr.indexOf('IOR_WARN_UNOBSERVED_TASK')).toBeLessThan(result.stderr.lastIndexOf('Error: boom'));
    expect(result.status).not.toBe(0); // Node's default for an unhandled rejection
  });

  it('without debug mode names the task too (no creation site), and the process still fails', async () => {
    const result = await runScript(script, { env: { IOREACTOR_DEBUG: '0' } });
    expect(result.stderr).toMatch(/\[IOR_WARN_UNOBSERVED_TASK\] IoreactorWarning: Task 'lonely' failed .*: Error: boom \(with IOREACTOR_DEBUG=1/);
    expect(result.stderr).not.toContain('at startWork');
    expect(result.status).not.toBe(0);
  });

  it('says nothing for a failed task that is awaited, given a done callback, or inspected', async () => {
    const result = await runScript(`
      io.run(async () => {
        const a = io.createTask(async () => { throw new Error('a'); }, { name: 'a' });
        const b = io.createTask(async () => { throw new Error('b'); }, { name: 'b' });
        b.addDoneCallback((t) => t.exception());
        const c = io.createTask(async () => { throw new Error('c'); }, { name: 'c' });
        const settled = Promise.allSettled([a]);
        await io.sleep(5);
        await settled;
        console.log(String(c.exception()));
      });
    `, { env: { IOREACTOR_DEBUG: '1' } });
    expect(result.stdout.trim()).toBe('');
    expect(result.stderr).toMatch(/Task 'c' failed/); // c was looked at too late, as Node sees it too
    expect(result.stderr).not.toMatch(/Task '[ab]' failed/);
  });
});

describe('IOR_WARN_UNCLOSED', () => {
  const script = (setup: string) => `
    ${setup}
    function openAndDrop() { new io.Socket(); }
    openAndDrop();
    setImmediate(() => { gc(); setTimeout(() => {}, 50); });
  `;

  it('a Socket garbage-collected without close() is reported with its creation site in debug mode', async () => {
    const result = await runScript(script(''), { env: { IOREACTOR_DEBUG: '1' }, nodeOptions: ['--expose-gc'] });
    expect(result.stderr).toMatch(/\[IOR_WARN_UNCLOSED\] IoreactorWarning: A Socket \(fd \d+\) was garbage-collected without close\(\); created here:\n.*at openAndDrop/);
  });

  it('loop.setDebug(true) at run time turns the report on; off, nothing is said', async () => {
    const [on, off] = await Promise.all([
      runScript(script('io.getEventLoop().setDebug(true);'), { env: { IOREACTOR_DEBUG: '0' }, nodeOptions: ['--expose-gc'] }),
      runScript(script(''), { env: { IOREACTOR_DEBUG: '0' }, nodeOptions: ['--expose-gc'] }),
    ]);
    expect(on.stderr).toMatch(/IOR_WARN_UNCLOSED[^\n]*\n.*at openAndDrop/);
    expect(off.stderr).toBe('');
  });
});

describe('IOR_WARN_UNCLOSED for transports and selectors', () => {
  const transports = `
    async function openTransports() {
      const loop = io.getEventLoop();
      const [r, w] = sys.pipe();
      await loop.connectReadPipe(() => ({ dataReceived() {}, connectionLost() {} }), r);
      await loop.createDatagramEndpoint(() => ({ datagramReceived() {}, connectionLost() {} }), { localAddress: { host: '127.0.0.1', port: 0 } });
      const srv = require('node:net').createServer().listen(0, '127.0.0.1').unref();
      await require('node:events').once(srv, 'listening');
      await loop.createConnection(() => ({}), { host: '127.0.0.1', port: srv.address().port });
      sys.close(w);
      loop.close();
    }
    openTransports();
  `;

  it('a transport still open when its loop closes is reported with where it was made (debug mode only)', async () => {
    const [on, off] = await Promise.all([
      runScript(transports, { env: { IOREACTOR_DEBUG: '1' } }),
      runScript(transports, { env: { IOREACTOR_DEBUG: '0' } }),
    ]);
    expect(on.stderr).toMatch(/\[IOR_WARN_UNCLOSED\] IoreactorWarning: A ReadPipeTransport \(fd \d+\) was still open when its EventLoop closed; created here:\n\s+at openTransports/);
    expect(on.stderr).toMatch(/A DatagramTransport \(fd \d+\) was still open when its EventLoop closed; created here:\n\s+at async openTransports/);
    expect(on.stderr).toMatch(/A SocketTransport \(fd \d+\) was still open when its EventLoop closed; created here:\n\s+at async openTransports/);
    expect(off.stderr).toBe('');
  });

  it('a selector garbage-collected without close() is reported with its creation site (IOREACTOR_DEBUG=1)', async () => {
    const script = `
      function makeSelector() { new io.DefaultSelector(); }
      makeSelector();
      const closed = new io.DefaultSelector();
      closed.close();
      setImmediate(() => { gc(); setTimeout(() => {}, 50); });
    `;
    const [on, off] = await Promise.all([
      runScript(script, { env: { IOREACTOR_DEBUG: '1' }, nodeOptions: ['--expose-gc'] }),
      runScript(script, { env: { IOREACTOR_DEBUG: '0' }, nodeOptions: ['--expose-gc'] }),
    ]);
    expect(on.stderr).toMatch(/\[IOR_WARN_UNCLOSED\] IoreactorWarning: A (epoll|kqueue) selector was garbage-collected without close\(\); created here:\n(.*\n)*\s+at makeSelector/);
    expect(on.stderr.match(/IOR_WARN_UNCLOSED/g)).toHaveLength(1); // not the closed one
    expect(off.stderr).toBe('');
  });
});
