// The example HTTP server under load from autocannon and wrk: no errors, only 2xx.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getEventLoop } from '../lib/index.js';
import { type RunningHttpServer, startHttpServer } from '../examples/http/server.js';
import { toolEnv } from './helpers.js';

// autocannon ships no types (and @types/autocannon is not a dependency): the part used here.
interface AutocannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  requests: { average: number };
}
const autocannon = createRequire(__filename)('autocannon') as (options: {
  url: string;
  connections: number;
  duration: number;
}) => Promise<AutocannonResult>;
const run = promisify(execFile);
let server: RunningHttpServer;

beforeAll(async () => {
  getEventLoop();
  server = await startHttpServer({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server?.close();
});

describe.each(['/', '/json'])('load on %s', (route) => {
  it('autocannon: 10 connections for 2 s', async () => {
    const result = await autocannon({ url: `http://127.0.0.1:${server.port}${route}`, connections: 10, duration: 2 });
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(result.non2xx).toBe(0);
    expect(result['2xx']).toBeGreaterThan(100);
    console.log(`autocannon ${route}: ${result['2xx']} responses, ${result.requests.average} req/s`);
  });

  it('wrk -t1 -c10 -d2s', async () => {
    const { stdout } = await run('wrk', ['-t1', '-c10', '-d2s', `http://127.0.0.1:${server.port}${route}`], { timeout: 20_000, env: toolEnv() });
    expect(stdout).not.toMatch(/Socket errors|Non-2xx/);
    const requests = Number(/(\d+) requests in/.exec(stdout)?.[1]);
    expect(requests).toBeGreaterThan(100);
    console.log(`wrk ${route}: ${requests} requests`);
  });
});
