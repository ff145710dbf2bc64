// Slow (npm run test:slow): CPython's test_select_interrupt_noraise: a signal during
// select() does not end the wait, which goes on for the full timeout. eintr.test.ts has
// a fast variant.
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

  it('retries with the remaining time and still waits the full timeout', async () => {
    const sel = res.selector(backend);
    const [rd] = res.socketpair();
    sel.register(rd, EVENT_READ);
    // A JavaScript timer cannot fire while this thread blocks in select(), so the
    // signal comes from a child process.
    // It fires after ~0.5 s, well inside the 2 s wait even on a loaded machine.
    const child = spawn('sh', ['-c', `sleep 0.5; kill -ALRM ${process.pid}`], { stdio: 'ignore' });
    const exited = once(child, 'exit');
    const start = process.hrtime.bigint();
    const ready = sel.select(2000);
    const dt = elapsedMs(start);
    await exited;
    expect(ready).toEqual([]);
    expect(dt).toBeGreaterThanOrEqual(1900);
    expect(dt).toBeLessThan(6000);
    // The kernel wait really was interrupted (the signal went to this thread).
    expect(sel.eintrRetries()).toBeGreaterThanOrEqual(1);
  });
});
