// A signal during select() does not end the wait: the selector retries and returns the
// event that comes later. The full-timeout variant is in eintr.slow.test.ts.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_READ } from '../lib/index.js';
import { backends, elapsedMs, useResources } from './helpers.js';

// Without a listener SIGALRM's default action would kill this process. This file runs
// in its own process (pool: forks), so the listener affects no other test.
const onAlarm = (): void => undefined;
beforeAll(() => {
  process.on('SIGALRM', onAlarm);
});
afterAll(() => {
  process.off('SIGALRM', onAlarm);
});

describe.each(backends)('%s selector interrupted by a signal', (backend) => {
  const res = useResources();

  it('keeps waiting after the signal and reports the event that follows it', async () => {
    const sel = res.selector(backend);
    const [rd, wr] = res.socketpair();
    sel.register(rd, EVENT_READ);
    // A JavaScript timer cannot fire while this thread blocks in select(), so a child
    // process sends the signal and then, 0.2 s later, writes to the socket as its stdout.
    const child = spawn('sh', ['-c', `sleep 0.2; kill -ALRM ${process.pid}; sleep 0.2; printf x`], {
      stdio: ['ignore', wr, 'ignore'],
    });
    const exited = once(child, 'exit');
    const start = process.hrtime.bigint();
    // The timeout only bounds a broken run; the write ends the wait.
    const ready = sel.select(20_000);
    const dt = elapsedMs(start);
    await exited;
    expect(ready.map(([key, events]) => [key.fd, events])).toEqual([[rd, EVENT_READ]]);
    expect(dt).toBeLessThan(15_000);
    // The kernel wait really was interrupted (the signal went to this thread).
    expect(sel.eintrRetries()).toBeGreaterThanOrEqual(1);
  });
});
