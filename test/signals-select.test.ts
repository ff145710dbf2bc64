// A JavaScript signal handler cannot run while select() blocks the thread; the two
// patterns the README gives for signals and blocking selects, checked in child processes
// (signal handlers are process-wide state).
import { describe, expect, it } from 'vitest';
import { runScript } from './helpers.js';

describe('signals and a blocking select', () => {
  it('a handler does not run while the main thread is blocked in select(); it runs once select returns', async () => {
    const result = await runScript(`
      let returnedAt = 0;
      let ready = -1;
      let waited = 0;
      process.once('SIGUSR2', () => {
        const handledAt = performance.now();
        console.log(JSON.stringify({ ready, waited, selectHadReturned: returnedAt !== 0 && handledAt >= returnedAt }));
        sel.close(); sys.close(a); sys.close(b);
      });
      const sel = new io.DefaultSelector();
      const [a, b] = sys.socketpair();
      sel.register(a, io.EVENT_READ);
      const { spawn } = require('node:child_process');
      spawn('sh', ['-c', 'sleep 0.1; kill -USR2 ' + process.pid], { stdio: 'ignore' });
      const start = performance.now();
      ready = sel.select(800).length;            // the signal arrives 0.1 s in
      returnedAt = performance.now();
      waited = returnedAt - start;
    `);
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout);
    // The wait is not cut short (EINTR is retried) and the handler waits for it to end.
    expect(out).toMatchObject({ ready: 0, selectHadReturned: true });
    expect(out.waited).toBeGreaterThanOrEqual(800);
  });

  it("pattern 1: the blocking select() lives in a worker; the main thread's handler wakes it with its Waker", async () => {
    const result = await runScript(`
      const { Worker } = require('node:worker_threads');
      const worker = new Worker(\`
        const { parentPort } = require('node:worker_threads');
        const io = require(\${JSON.stringify(ROOT + '/dist/index.js')});
        const sel = new io.DefaultSelector();
        const waker = sel.waker('signal');
        parentPort.postMessage(waker.handle);
        const ready = sel.select();               // no timeout: only the waker ends it
        parentPort.postMessage(ready.map(([key]) => key.data));
        sel.close();
      \`, { eval: true });
      let signalledAt = 0;
      worker.once('message', (handle) => {
        const waker = io.Waker.fromHandle(handle);
        process.once('SIGUSR2', () => { waker.wake(); });
        worker.once('message', (data) => {
          console.log(JSON.stringify({ data, ms: performance.now() - signalledAt }));
        });
        signalledAt = performance.now();
        require('node:child_process').spawn('kill', ['-USR2', String(process.pid)], { stdio: 'ignore' });
      });
    `);
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout);
    expect(out.data).toEqual(['signal']);
    expect(out.ms).toBeLessThan(5000);
  });

  it('pattern 2: the main thread selects with a timeout and yields to Node between calls; the handler runs within one timeout', async () => {
    const result = await runScript(`
      const sel = new io.DefaultSelector();
      const [a, b] = sys.socketpair();
      sel.register(a, io.EVENT_READ);
      let stop = false;
      let selectsAfterSignal = -1;
      process.once('SIGUSR2', () => { stop = true; });
      (async () => {
        let calls = 0;
        require('node:child_process').spawn('sh', ['-c', 'sleep 0.2; kill -USR2 ' + process.pid], { stdio: 'ignore' });
        const start = performance.now();
        while (!stop) {
          sel.select(50);                           // at most 50 ms with signals held back
          calls++;
          await new Promise((resolve) => setImmediate(resolve));  // the handler runs here
        }
        console.log(JSON.stringify({ calls, ms: performance.now() - start }));
        sel.close(); sys.close(a); sys.close(b);
      })();
    `);
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout);
    // Signalled after 0.2 s: stopped after a few 50 ms waits, not at the 20 s script limit.
    expect(out.calls).toBeGreaterThanOrEqual(2);
    expect(out.ms).toBeLessThan(5000);
  });
});
