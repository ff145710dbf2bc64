// Slow (npm run test:slow): cancellation at scale. net-ops.test.ts runs the same check
// with 2,000 tasks.
import { describe, it } from 'vitest';
import { getEventLoop } from '../lib/index.js';
import { cancelBlockedRecvs } from './cancel-many.js';
import { useResources } from './helpers.js';

// Tasks run on the thread's default loop: create it before the fd baseline.
getEventLoop();

describe('awaitable socket operations at scale', () => {
  const res = useResources();

  it('cancelling 100,000 tasks blocked in sockRecv leaves no registration behind', async () => {
    // The open-file limit here is 20000, so the 100,000 tasks come in 10 rounds of
    // 10,000, each task reading one end of one of 5,000 socket pairs.
    const { ms, cancelMs } = await cancelBlockedRecvs(res.loop(), 10, 5000);
    console.log(
      `100,000 tasks blocked in sockRecv: ${ms.toFixed(0)} ms in all (socket pairs included), ` +
        `${cancelMs.toFixed(0)} ms from the cancel to every task settled and unregistered`,
    );
  }, 120_000);
});
