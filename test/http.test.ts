// The example HTTP/1.1 server (examples/http-server.ts) driven by clients nobody here wrote:
// curl, Node's fetch, and raw node:net bytes for pipelining, 100-continue and malformed input.
// Every case runs twice: on ioreactor's transports, and with the same connection code over
// node:net (examples/http/net.ts, the benchmark's "same parser" baseline), which must behave
// identically for the comparison to mean anything.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket as NetSocket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getEventLoop } from '../lib/index.js';
import { startNetHttpServer } from '../examples/http/net.js';
import { startHttpServer } from '../examples/http/server.js';
import { toolEnv } from './helpers.js';

const run = promisify(execFile);
let server: { port: number; close(): Promise<void> };
let dir: string;
let file: Buffer;
let base: string;

beforeAll(() => {
  getEventLoop();
  dir = mkdtempSync(path.join(tmpdir(), 'ioreactor-http-'));
  file = randomBytes(1024 * 1024 + 123);
  writeFileSync(path.join(dir, 'static.bin'), file);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function curl(...args: string[]): Promise<string> {
  const { stdout } = await run('curl', ['-sS', '--max-time', '5', ...args], { encoding: 'latin1', maxBuffer: 8 << 20, env: toolEnv() });
  return stdout;
}

/** Sends `request` on a fresh connection and resolves with all it reads until the server closes. */
function exchange(request: string | Buffer, options: { end?: boolean } = {}): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: false });
    }, 3000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true });
    });
    socket.write(request);
    if (options.end === true) socket.end();
  });
}

/** Reads from `socket` until `predicate` holds on everything read so far. */
function readUntil(socket: NetSocket, predicate: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => done(new Error(`timed out; read so far: ${JSON.stringify(text)}`)), 3000);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (predicate(text)) done();
    };
    const done = (error?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', done);
      if (error) reject(error);
      else resolve(text);
    };
    socket.on('data', onData);
    socket.on('error', done);
  });
}

const count = (text: string, needle: string): number => text.split(needle).length - 1;

const variants = [
  ['ioreactor transports', startHttpServer],
  ['the same protocol over node:net', startNetHttpServer],
] as const;

describe.each(variants)('%s', (_label, start) => {
  beforeAll(async () => {
    server = await start({ host: '127.0.0.1', port: 0, staticPath: path.join(dir, 'static.bin') });
    base = `http://127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    await server?.close();
  });

  describe('curl', () => {
    it('GET / and /json', async () => {
      const hello = await curl('-i', `${base}/`);
      expect(hello).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(hello).toMatch(/\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
      expect(hello).toMatch(/\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
      expect(hello).toMatch(/\r\nServer: ioreactor-example\r\n/);
      expect(hello.endsWith('\r\n\r\nHello, World!')).toBe(true);
      expect(JSON.parse(await curl(`${base}/json`))).toEqual({ message: 'Hello, World!' });
    });

    it('POST /echo with -d', async () => {
      expect(await curl('-d', 'some=data&more', `${base}/echo`)).toBe('some=data&more');
    });

    it('HEAD with -I: headers, no body', async () => {
      const head = await curl('-I', `${base}/json`);
      expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(head).toMatch(/\r\nContent-Length: 27\r\n/);
      expect(head.endsWith('\r\n\r\n')).toBe(true);
    });

    it('keeps the connection alive across two URLs', async () => {
      const { stderr } = await run('curl', ['-sS', '-v', '--max-time', '5', `${base}/`, `${base}/json`], { env: toolEnv() });
      expect(stderr).toMatch(/Re-using existing connection|Reusing existing/);
    });

    it('--http1.0 gets a response and a closed connection', async () => {
      const text = await curl('-i', '--http1.0', `${base}/`);
      expect(text).toMatch(/\r\nConnection: close\r\n/);
      expect(text.endsWith('Hello, World!')).toBe(true);
    });

    it('404 and 405', async () => {
      expect(await curl('-o', '/dev/null', '-w', '%{http_code}', `${base}/nowhere`)).toBe('404');
      expect(await curl('-o', '/dev/null', '-w', '%{http_code}', '-X', 'DELETE', `${base}/`)).toBe('405');
    });
  });

  describe('fetch', () => {
    it('GET and POST, on kept-alive connections', async () => {
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${base}/json`);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('application/json');
        expect(await response.json()).toEqual({ message: 'Hello, World!' });
        const echoed = await fetch(`${base}/echo`, { method: 'POST', body: `body ${i}` });
        expect(await echoed.text()).toBe(`body ${i}`);
      }
    });
  });

  describe('raw HTTP/1.1', () => {
    it('answers three pipelined requests in one write, in order', async () => {
      const socket = connect(server.port, '127.0.0.1');
      try {
        socket.write(
          'GET /json HTTP/1.1\r\nHost: x\r\n\r\n' +
            'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nsecond' +
            'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
        );
        const text = await readUntil(socket, (t) => t.endsWith('Hello, World!'));
        const json = text.indexOf('{"message"');
        const second = text.indexOf('\r\n\r\nsecond');
        const hello = text.indexOf('\r\n\r\nHello, World!');
        expect(count(text, 'HTTP/1.1 200 OK')).toBe(3);
        expect(json).toBeGreaterThan(0);
        expect(second).toBeGreaterThan(json);
        expect(hello).toBeGreaterThan(second);
      } finally {
        socket.destroy();
      }
    });

    it('reads a chunked request body', async () => {
      const { text } = await exchange(
        'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
          '5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: yes\r\n\r\n',
      );
      expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(text).toMatch(/\r\nContent-Length: 12\r\n/);
      expect(text.endsWith('\r\n\r\nhello, world')).toBe(true);
    });

    it('sends 100 Continue before reading the body', async () => {
      const socket = connect(server.port, '127.0.0.1');
      try {
        socket.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
        expect(await readUntil(socket, (t) => t.endsWith('\r\n\r\n'))).toBe('HTTP/1.1 100 Continue\r\n\r\n');
        socket.write('ping');
        expect(await readUntil(socket, (t) => t.endsWith('ping'))).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      } finally {
        socket.destroy();
      }
    });

    it('closes after Connection: close', async () => {
      const { text, closed } = await exchange('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(closed).toBe(true);
      expect(count(text, 'HTTP/1.1 200 OK')).toBe(1);
      expect(text).toMatch(/\r\nConnection: close\r\n/);
    });

    it('answers what was sent before a half-close', async () => {
      const { text, closed } = await exchange('GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /json HTTP/1.1\r\nHost: x\r\n\r\n', { end: true });
      expect(closed).toBe(true);
      expect(count(text, 'HTTP/1.1 200 OK')).toBe(2);
    });

    it('serves the static file with sendfile, byte for byte', async () => {
      const response = await fetch(`${base}/static`);
      expect(response.headers.get('content-length')).toBe(String(file.length));
      expect(Buffer.from(await response.arrayBuffer()).equals(file)).toBe(true);
      // Pipelined behind and ahead of other responses, which must not interleave with the file.
      const { text } = await exchange('GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /file HTTP/1.1\r\nHost: x\r\n\r\nGET /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      const bytes = Buffer.from(text, 'latin1');
      const start = bytes.indexOf('\r\n\r\n', bytes.indexOf('application/octet-stream')) + 4;
      expect(bytes.subarray(start, start + file.length).equals(file)).toBe(true);
      expect(bytes.subarray(start + file.length).toString('latin1')).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\{"message":"Hello, World!"\}$/);
    });
  });

  describe('malformed input and smuggling: 400 and a closed connection', () => {
    const cases: [string, string, number?][] = [
      ['Content-Length with Transfer-Encoding', 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
      ['two different Content-Lengths', 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'],
      ['a Content-Length that is not digits', 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1e1\r\n\r\n0123456789'],
      ['a bad chunk size', 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'],
      ['Transfer-Encoding other than chunked', 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n'],
      ['bare LF line endings', 'GET / HTTP/1.1\nHost: x\n\n'],
      ['a bare LF after a header', 'GET / HTTP/1.1\r\nHost: x\nX-Smuggle: 1\r\n\r\n'],
      ['obs-fold', 'GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n  b\r\n\r\n'],
      ['a header name with a space before the colon', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello'],
      ['an over-long header block', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`, 431],
      ['a request line of garbage', 'this is not http\r\n\r\n'],
      ['an unknown method', 'BREW / HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\n\r\n'],
    ];
    for (const [name, request, status = 400] of cases) {
      it(name, async () => {
        const { text, closed } = await exchange(request);
        expect(text).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
        expect(text).toMatch(/\r\nConnection: close\r\n/);
        expect(count(text, 'HTTP/1.1 ')).toBe(1);
        expect(closed).toBe(true);
      });
    }

    it('answers the good requests before a bad one in the same write', async () => {
      const { text, closed } = await exchange('GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\nHost: x\n\n');
      expect(closed).toBe(true);
      expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Hello, World!HTTP\/1\.1 400 Bad Request\r\n/);
    });
  });
});
