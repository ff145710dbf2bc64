/**
 * The same application on `node:http`, for comparison with `examples/http-server.ts`: same
 * routes, statuses, headers and bodies.
 *
 * Run: npx tsx examples/http/node-http.ts --port 8081
 */
import { createReadStream, fstatSync, openSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { type App, createApp, errorResponse, httpDate, kServerName, pathOf } from './app.js';
import { kDefaultStaticPath } from './server.js';

async function handle(app: App, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  let response = app({ method: req.method ?? 'GET', path: pathOf(req.url ?? '/'), headers: req.headers as Record<string, string>, body: Buffer.concat(chunks) });
  let fd: number | undefined;
  if (response.body.kind === 'file') {
    try {
      fd = openSync(response.body.path, 'r');
    } catch {
      response = errorResponse(404);
    }
  }
  const length = fd !== undefined ? fstatSync(fd).size : response.body.kind === 'bytes' ? response.body.data.length : 0;
  res.writeHead(response.status, ['Server', kServerName, 'Date', httpDate(), ...response.headers.flat(), 'Content-Length', String(length)]);
  if (req.method === 'HEAD') {
    res.end();
    if (fd !== undefined) createReadStream('', { fd }).destroy();
  } else if (fd !== undefined) {
    createReadStream('', { fd }).pipe(res);
  } else {
    res.end(response.body.kind === 'bytes' ? response.body.data : undefined);
  }
}

/** Listens with `node:http` and the example app; resolves with the server and its port. */
export async function startNodeHttpServer(options: { host?: string; port?: number; staticPath?: string } = {}): Promise<{ server: Server; port: number }> {
  const app = createApp({ staticPath: options.staticPath ?? kDefaultStaticPath });
  // The ioreactor server's header limit, so both reject the same requests.
  const server = createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
    handle(app, req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8081' }, host: { type: 'string', default: '127.0.0.1' } } });
  const { server, port } = await startNodeHttpServer({ host: values.host, port: Number(values.port) });
  console.log(`node:http example listening on http://${values.host}:${port}`);
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
