/** Shared by net-ops.test.ts (a small run) and net-ops.slow.test.ts (100,000 tasks). */
import { expect } from 'vitest';
import { CancelledError, type EventLoop, TaskGroup } from '../lib/index.js';
import * as sys from '../lib/sys.js';
import { waitFor } from './helpers.js';

/**
 * Runs `rounds` rounds of 2 × `pairs` tasks, each blocked in sockRecv on one end of a
 * socket pair, cancels each round through its group's own signal and checks that every
 * waiter and registration is gone. Returns the total and the cancel-to-settled times.
 */
export async function cancelBlockedRecvs(
  loop: EventLoop,
  rounds: number,
  pairs: number,
): Promise<{ ms: number; cancelMs: number }> {
  const start = performance.now();
  let cancelMs = 0;
  for (let round = 0; round < rounds; round++) {
    const fds: number[] = [];
    let cancelStart = 0;
    try {
      for (let i = 0; i < pairs; i++) fds.push(...sys.socketpair());
      await TaskGroup.run(async (group) => {
        for (const fd of fds) group.createTask((signal) => loop.sockRecv(fd, 16, { signal }));
        await waitFor(() => loop.waitingFds === fds.length, { timeoutMs: 30_000, what: 'every task waiting' });
        expect(loop.waitingFds).toBe(fds.length);
        expect(loop.registeredFds).toBe(fds.length);
        // Cancel them all through the group's own signal.
        cancelStart = performance.now();
        throw new CancelledError('round over');
      }).catch((e: unknown) => {
        cancelMs += performance.now() - cancelStart;
        expect((e as Error & { failures: { name: string }[] }).failures.map((f) => f.name)).toEqual(['<body>']);
      });
      expect(loop.waitingFds).toBe(0);
      expect(loop.registeredFds).toBe(0);
    } finally {
      for (const fd of fds) sys.close(fd);
    }
  }
  return { ms: performance.now() - start, cancelMs };
}
