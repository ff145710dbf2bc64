// The RESP server example (examples/resp-server.ts) driven by clients nobody here wrote:
// ioredis, node-redis, redis-cli; Redis's protocol errors on bad input; expiry; binary
// safety; pipelines split at every byte; write flow control.
import { spawn } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIoreactorServer, type RespServer } from '../examples/resp/ioreactor.js';
import { RespParser } from '../examples/resp/parser.js';
import { toolEnv } from './helpers.js';

let server: RespServer;
beforeAll(async () => {
  server = await startIoreactorServer({ port: 0 });
});
afterAll(async () => {
  await server.close();
});

/** Sends `request` on a raw socket and collects every byte until the server closes it (or `untilBytes`). */
function rawExchange(request: Buffer | string, { untilBytes = Infinity, timeoutMs = 5000 } = {}): Promise<{ reply: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const socket = netConnect({ host: '127.0.0.1', port: server.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 200))}`));
    }, timeoutMs);
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ reply: Buffer.concat(chunks), closed });
    };
    socket.on('data', (data: Buffer) => {
      chunks.push(data);
      length += data.length;
      if (length >= untilBytes) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => {});
    socket.write(request);
  });
}

/** Runs redis-cli with `args`, `stdin` piped in; resolves with stdout. */
function redisCli(args: string[], stdin = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', ['-p', String(server.port), ...args], { stdio: ['pipe', 'pipe', 'inherit'], env: toolEnv() });
    let out = '';
    const timer = setTimeout(() => child.kill(), 10_000);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`redis-cli exited with ${code}: ${out}`));
    });
    child.stdin.end(stdin);
  });
}

describe('real clients', () => {
  it('ioredis: connects (INFO ready check), runs commands and a pipeline', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: server.port, connectionName: 'ioredis-test', maxRetriesPerRequest: 0 });
    try {
      expect(await redis.ping()).toBe('PONG');
      expect(await redis.set('io:k', 'v1')).toBe('OK');
      expect(await redis.get('io:k')).toBe('v1');
      expect(await redis.set('io:k', 'v2', 'NX')).toBeNull();
      expect(await redis.set('io:missing', 'x', 'XX')).toBeNull();
      expect(await redis.incrby('io:n', 41)).toBe(41);
      expect(await redis.incr('io:n')).toBe(42);
      expect(await redis.decr('io:n')).toBe(41);
      expect(await redis.mset('io:a', '1', 'io:b', '2')).toBe('OK');
      expect(await redis.mget('io:a', 'io:b', 'io:none')).toEqual(['1', '2', null]);
      expect(await redis.rpush('io:l', 'a', 'b', 'c')).toBe(3);
      expect(await redis.lpush('io:l', 'z')).toBe(4);
      expect(await redis.lrange('io:l', 0, -1)).toEqual(['z', 'a', 'b', 'c']);
      expect(await redis.lpop('io:l')).toBe('z');
      expect(await redis.rpop('io:l')).toBe('c');
      expect(await redis.llen('io:l')).toBe(2);
      expect(await redis.sadd('io:s', 'x', 'y', 'x')).toBe(2);
      expect(['x', 'y']).toContain(await redis.spop('io:s'));
      expect(await redis.hset('io:h', 'f', 'v', 'g', 'w')).toBe(2);
      expect(await redis.hget('io:h', 'g')).toBe('w');
      expect(await redis.zadd('io:z', 2, 'two', 1, 'one', 1.5, 'half')).toBe(3);
      expect(await redis.zpopmin('io:z', 2)).toEqual(['one', '1', 'half', '1.5']);
      expect(await redis.exists('io:k', 'io:a', 'io:nope')).toBe(2);
      expect(await redis.del('io:k', 'io:nope')).toBe(1);
      expect(await redis.client('GETNAME')).toBe('ioredis-test');
      await expect(redis.call('lpush', 'io:a', 'x')).rejects.toThrow('WRONGTYPE Operation against a key holding the wrong kind of value');
      await expect(redis.call('get')).rejects.toThrow("ERR wrong number of arguments for 'get' command");
      await expect(redis.call('incr', 'io:h')).rejects.toThrow('WRONGTYPE');
      await expect(redis.call('nosuch', 'a', 'b')).rejects.toThrow("ERR unknown command 'nosuch', with args beginning with: 'a' 'b' ");
      await expect(redis.call('hello', '3')).rejects.toThrow('NOPROTO');
      const results = await redis.pipeline().set('io:p', '1').incr('io:p').get('io:p').ping().exec();
      expect(results).toEqual([[null, 'OK'], [null, 2], [null, '2'], [null, 'PONG']]);
      expect(await redis.select(0)).toBe('OK');
      await expect(redis.select(1)).rejects.toThrow('ERR DB index is out of range');
      expect(await redis.quit()).toBe('OK');
    } finally {
      redis.disconnect();
    }
  });

  it('node-redis: connects (CLIENT SETINFO), runs commands, pipelines', async () => {
    const client = createClient({ socket: { host: '127.0.0.1', port: server.port, reconnectStrategy: false } });
    client.on('error', () => {});
    await client.connect();
    try {
      expect(await client.ping()).toBe('PONG');
      expect(await client.set('nr:k', 'v', { PX: 10_000 })).toBe('OK');
      expect(await client.get('nr:k')).toBe('v');
      const ttl = await client.ttl('nr:k');
      expect(ttl).toBeGreaterThan(8);
      expect(ttl).toBeLessThanOrEqual(10);
      expect(await client.hSet('nr:h', { a: '1', b: '2' })).toBe(2);
      expect(await client.hGet('nr:h', 'b')).toBe('2');
      const replies = await client.multi().set('nr:p', '5').incrBy('nr:p', 5).get('nr:p').execAsPipeline();
      expect(replies).toEqual(['OK', 10, '10']);
      // Commands issued in the same tick go out as one pipelined write.
      const auto = await Promise.all([client.incr('nr:c'), client.incr('nr:c'), client.incr('nr:c')]);
      expect(auto).toEqual([1, 2, 3]);
      expect(await client.dbSize()).toBeGreaterThan(0);
    } finally {
      await client.quit();
    }
  });

  it('redis-cli: arguments and a script piped through stdin', async () => {
    expect(await redisCli(['ping'])).toBe('PONG\n');
    expect(await redisCli(['set', 'cli:k', 'hello world'])).toBe('OK\n');
    const out = await redisCli([], 'GET cli:k\nRPUSH cli:l a b\nLRANGE cli:l 0 -1\nINCR cli:k\nTTL cli:k\nECHO "two words"\nfoo bar\n');
    expect(out.split('\n')).toEqual([
      'hello world',
      '2',
      'a',
      'b',
      // redis-cli (non-tty) follows an error with an empty line, against real Redis too.
      'ERR value is not an integer or out of range',
      '',
      '-1',
      'two words',
      "ERR unknown command 'foo', with args beginning with: 'bar' ",
      '',
      '',
    ]);
  });
});

describe('bad input: the error reply, then the connection closes; the server lives on', () => {
  const cases: [string, Buffer | string, string][] = [
    ['a non-numeric bulk length', '*1\r\n$abc\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
    ['a bulk length above 512 MiB', '*1\r\n$536870913\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
    ['a multibulk over 1M elements', '*1048577\r\n', '-ERR Protocol error: invalid multibulk length\r\n'],
    ['a malformed multibulk length', '*x1\r\n', '-ERR Protocol error: invalid multibulk length\r\n'],
    ['an inline line over 64 KiB without CRLF', Buffer.alloc(64 * 1024 + 1, 'a'), '-ERR Protocol error: too big inline request\r\n'],
    ['an element that is not a bulk', '*2\r\n$4\r\nECHO\r\nx\r\n', "-ERR Protocol error: expected '$', got 'x'\r\n"],
    ['unbalanced quotes inline', 'SET k "v\r\n', '-ERR Protocol error: unbalanced quotes in request\r\n'],
    ['a good command before the bad frame', 'PING\r\n*1\r\n$-5\r\n', '+PONG\r\n-ERR Protocol error: invalid bulk length\r\n'],
  ];
  for (const [name, request, expected] of cases) {
    it(name, async () => {
      const bystander = await rawExchange('PING\r\n', { untilBytes: 7 });
      const { reply, closed } = await rawExchange(request);
      expect(reply.toString('latin1')).toBe(expected);
      expect(closed).toBe(true);
      expect(bystander.reply.toString()).toBe('+PONG\r\n');
      const after = await rawExchange('*2\r\n$4\r\nECHO\r\n$2\r\nok\r\n', { untilBytes: 8 });
      expect(after.reply.toString()).toBe('$2\r\nok\r\n');
    });
  }
});

describe('protocol', () => {
  it('parses a pipeline split at every byte', () => {
    const request = Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\nv\r\nv\r\nPING\r\n\r\n*1\r\n$4\r\nPING\r\n*0\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n');
    const whole = new RespParser().feed(request).map((argv) => argv.map((b) => b.toString()));
    expect(whole).toEqual([['SET', 'k', 'v\r\nv'], ['PING'], ['PING'], ['ECHO', '']]);
    for (let cut = 1; cut < request.length; cut++) {
      const parser = new RespParser();
      const parts = [...parser.feed(request.subarray(0, cut)), ...parser.feed(request.subarray(cut))];
      expect(parts.map((argv) => argv.map((b) => b.toString()))).toEqual(whole);
    }
    const parser = new RespParser();
    const bytes = [...request].flatMap((b) => parser.feed(Buffer.from([b])));
    expect(bytes.map((argv) => argv.map((b) => b.toString()))).toEqual(whole);
  });

  it('answers every command of a pipelined chunk, in order', async () => {
    const request = 'PING\r\n'.repeat(100) + '*2\r\n$4\r\nECHO\r\n$3\r\nend\r\n';
    const expected = '+PONG\r\n'.repeat(100) + '$3\r\nend\r\n';
    const { reply } = await rawExchange(request, { untilBytes: expected.length });
    expect(reply.toString()).toBe(expected);
  });

  it('QUIT replies +OK and closes', async () => {
    const { reply, closed } = await rawExchange('QUIT\r\nPING\r\n');
    expect(reply.toString()).toBe('+OK\r\n');
    expect(closed).toBe(true);
  });

  it('keys and values are binary-safe', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: server.port });
    try {
      const key = Buffer.from([0, 255, 13, 10, 0x2a, 0x24, 128]);
      const value = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
      expect(await redis.set(key, value)).toBe('OK');
      expect((await redis.getBuffer(key))!.equals(value)).toBe(true);
      expect(await redis.get(Buffer.from([0, 255, 13, 10, 0x2a, 0x24, 129]))).toBeNull();
      await redis.rpush(key.subarray(1), value, Buffer.alloc(0));
      const items = await redis.lrangeBuffer(key.subarray(1), 0, -1);
      expect(items.map((b) => b.length)).toEqual([512, 0]);
      expect(items[0]!.equals(value)).toBe(true);
    } finally {
      redis.disconnect();
    }
  });

  it('a client that pipelines without reading gets every reply (flow control)', async () => {
    const value = Buffer.alloc(64 * 1024, 'x');
    const redis = new Redis({ host: '127.0.0.1', port: server.port });
    try {
      await redis.set('big', value);
    } finally {
      redis.disconnect();
    }
    const perReply = `$${value.length}\r\n`.length + value.length + 2;
    const { reply } = await rawExchange('GET big\r\n'.repeat(200), { untilBytes: perReply * 200, timeoutMs: 10_000 });
    expect(reply.length).toBe(perReply * 200);
  });
});

describe('expiry', () => {
  it('PX 50: GET returns nil once the deadline passes; TTL and PTTL report what is left', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: server.port });
    try {
      expect(await redis.set('ex:short', 'v', 'PX', 50)).toBe('OK');
      const pttl = await redis.pttl('ex:short');
      // On a loaded machine the 50 ms may already be over (-2); never -1 (no expiry) or > 50.
      if (pttl !== -2) {
        expect(pttl).toBeGreaterThan(0);
        expect(pttl).toBeLessThanOrEqual(50);
      }
      const deadline = Date.now() + 2000;
      while ((await redis.get('ex:short')) !== null) {
        expect(Date.now()).toBeLessThan(deadline);
      }
      expect(await redis.ttl('ex:short')).toBe(-2);
      await redis.set('ex:long', 'v', 'EX', 100);
      expect(await redis.ttl('ex:long')).toBeGreaterThanOrEqual(99);
      expect(await redis.ttl('ex:long')).toBeLessThanOrEqual(100);
      await redis.set('ex:none', 'v');
      expect(await redis.ttl('ex:none')).toBe(-1);
      expect(await redis.expire('ex:none', 5)).toBe(1);
      expect(await redis.ttl('ex:none')).toBe(5);
      expect(await redis.expire('ex:absent', 5)).toBe(0);
      await expect(redis.set('ex:bad', 'v', 'EX', 0)).rejects.toThrow("ERR invalid expire time in 'set' command");
    } finally {
      redis.disconnect();
    }
  });

  it('the periodic sweep removes expired keys nobody reads', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: server.port });
    try {
      const pipeline = redis.pipeline();
      for (let i = 0; i < 50; i++) pipeline.set(`sweep:${i}`, 'v', 'PX', 20);
      await pipeline.exec();
      const before = server.engine.db.expiredBySweep;
      const deadline = Date.now() + 3000;
      while (server.engine.db.expiredBySweep - before < 50) {
        expect(Date.now()).toBeLessThan(deadline);
        await redis.ping();
      }
    } finally {
      redis.disconnect();
    }
  });
});
