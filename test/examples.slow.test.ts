// Slow (npm run test:slow): every example runs to completion and prints what it
// promises (each through tsx, about a second apiece).
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

describe('examples', () => {
  it('echo-selector echoes every byte', () => {
    const out = execFileSync(tsx, [path.join(root, 'examples', 'echo-selector.ts')], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(out).toContain('echoed 7160 bytes, received 7160 bytes over 4 connections');
  });

  it('loop-echo serves a node:net client from the EventLoop', () => {
    const out = execFileSync(tsx, [path.join(root, 'examples', 'loop-echo.ts')], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(out).toContain('1000 round trips of 1024 bytes echoed; fds still registered: 0');
  });

  const runExample = (name: string, ...args: string[]): string =>
    execFileSync(tsx, [path.join(root, 'examples', name), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

  it('tcp-echo-server serves ten clients, one task per connection', () => {
    expect(runExample('tcp-echo-server.ts')).toContain('served 10 connections, echoed 9900 bytes');
  });

  it('crawler: bounded concurrency, timeouts, retries, failures reported', () => {
    const out = runExample('crawler.ts');
    expect(out).toMatch(/fetched 29\/30, \d+ retries, at most 5 in flight, 0 wrong; failed: 13 \(timed out\)/);
  });

  it('pipeline moves every item through the queues', () => {
    expect(runExample('pipeline.ts')).toMatch(/collected 100 results, sum 10100, per worker \d+\/\d+\/\d+/);
  });

  it('udp-echo: a connected client hears every datagram back', () => {
    expect(runExample('udp-echo.ts')).toMatch(/udp-echo: 5 datagrams echoed on port \d+\n/);
  });

  it('subprocess-lines reads a child\'s stdout line by line through a read pipe', () => {
    expect(runExample('subprocess-lines.ts')).toContain('subprocess-lines: 5 lines, child exited with 0');
  });

  it('reuseport-workers: two worker threads serve one port (SO_REUSEPORT)', () => {
    const out = runExample('reuseport-workers.ts', '--workers', '2', '--clients', '40');
    expect(out).toContain('40 replies from 2 worker(s)');
    expect(out).toMatch(/worker 0 served [1-9]\d* connection\(s\)/);
    expect(out).toMatch(/worker 1 served [1-9]\d* connection\(s\)/);
  });
});
