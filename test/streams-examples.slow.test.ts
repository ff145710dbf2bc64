// Slow (npm run test:slow): the streams examples run to completion and print what they
// promise. Kept apart from examples.slow.test.ts, which is being reorganised elsewhere.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

const runExample = (name: string, args: string[] = []): string =>
  execFileSync(tsx, [path.join(root, 'examples', name), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('streams examples', () => {
  it('streams-echo: startServer + openConnection echo lines and a block, then EOF', () => {
    expect(runExample('streams-echo.ts')).toContain('echoed 100 lines and a 262144-byte block over 1 connection; EOF after: true');
  });

  it('chat-server --demo: lines broadcast to the others; a client that never reads is dropped at the cap', () => {
    const out = runExample('chat-server.ts', ['--port', '0', '--demo']);
    expect(out).toContain('alice got: bob: hello from bob | carol: hello from carol');
    expect(out).toContain('carol got: alice: hello from alice | bob: hello from bob');
    expect(out).toMatch(/dropped: slow; members left: 3/);
    expect(out).toContain('chat demo done: write buffers stayed bounded');
  });
});
