// Slow (npm run test:slow): redis-benchmark's own command mix against the RESP server
// example, on the ioreactor transport and on the node:net one; every test must report
// a rate and no error.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startIoreactorServer, type RespServer } from '../examples/resp/ioreactor.js';
import { startNetServer } from '../examples/resp/net.js';
import { toolEnv } from './helpers.js';

const TESTS = 'ping,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,lrange,mset';

/** Runs redis-benchmark asynchronously (the server runs in this process's loop). */
function redisBenchmark(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const args = ['-p', String(port), '-t', TESTS, '-q', '-n', '2000', '-c', '10'];
    const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'], env: toolEnv() });
    let out = '';
    const timer = setTimeout(() => child.kill(), 60_000);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`redis-benchmark exited with ${code}: ${out}`));
    });
  });
}

const transports: [string, () => Promise<RespServer>][] = [
  ['ioreactor', () => startIoreactorServer({ port: 0 })],
  ['node:net', () => startNetServer({ port: 0 })],
];

describe('redis-benchmark', () => {
  for (const [name, start] of transports) {
    it(`completes every test without an error (${name})`, async () => {
      const server = await start();
      try {
        const out = await redisBenchmark(server.port);
        // -q redraws progress with \r; the final line of each test ends with \n.
        const lines = out.split(/[\r\n]+/).filter((line) => line.includes('requests per second'));
        const names = lines.map((line) => line.split(':')[0]);
        for (const test of ['PING_INLINE', 'PING_MBULK', 'SET', 'GET', 'INCR', 'LPUSH', 'RPUSH', 'LPOP', 'RPOP', 'SADD', 'HSET', 'SPOP', 'LRANGE_100 (first 100 elements)', 'LRANGE_600 (first 600 elements)', 'MSET (10 keys)']) {
          expect(names).toContain(test);
        }
        expect(out).not.toMatch(/ERR|WARNING|Error/);
      } finally {
        await server.close();
      }
    });
  }
});
