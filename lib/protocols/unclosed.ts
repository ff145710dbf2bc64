/** Debug-mode reports for transports still open when their loop closes. */
import path from 'node:path';
import type { BaseEventLoop } from '../loop/base-event-loop.js';

// The package's own frames (lib/ or dist/) are left out of creation sites.
const kOwnFrames = path.dirname(__dirname);

/**
 * @internal Wraps the `settle` a transport registers with `loop.trackPending`: in debug
 * mode (when the transport is made), closing the loop while the transport is still open
 * first reports it — `IOR_WARN_UNCLOSED`, naming the transport, its fd and where it was
 * made — then settles it as usual. A transport cannot be garbage-collected while its
 * loop is open (the loop holds it), so the loop's close is where a forgotten one shows.
 * Without debug mode `settle` is returned as is and nothing is captured.
 */
export function reportIfOpenAtClose<E extends Error>(loop: BaseEventLoop, kind: string, fd: number, settle: (error: E) => void): (error: E) => void {
  if (!loop.debug) return settle;
  const site = (new Error().stack ?? '')
    .split('\n')
    .slice(1)
    .filter((line) => !line.includes(kOwnFrames))
    .slice(0, 6)
    .join('\n');
  return (error) => {
    process.emitWarning(`A ${kind} (fd ${fd}) was still open when its EventLoop closed; created here:\n${site}`, {
      type: 'IoreactorWarning',
      code: 'IOR_WARN_UNCLOSED',
    });
    settle(error);
  };
}
