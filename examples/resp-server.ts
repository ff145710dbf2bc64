/**
 * A Redis-protocol (RESP2) server on ioreactor: strings, lists, sets, hashes, sorted sets,
 * expiry, pipelining; real clients (redis-cli, redis-benchmark, ioredis, node-redis) work.
 *
 * Run: npx tsx examples/resp-server.ts [--port 6380] [--host 127.0.0.1] [--transport ioreactor|net]
 * Prints `resp-server: listening on HOST:PORT (TRANSPORT)` and serves until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startIoreactorServer } from './resp/ioreactor.js';
import { startNetServer } from './resp/net.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '6380' },
    host: { type: 'string', default: '127.0.0.1' },
    transport: { type: 'string', default: 'ioreactor' },
  },
});
const transport = values.transport;
if (transport !== 'ioreactor' && transport !== 'net') throw new Error(`--transport: ioreactor or net, not ${transport}`);

async function main(): Promise<void> {
  const start = transport === 'net' ? startNetServer : startIoreactorServer;
  const server = await start({ host: values.host, port: Number(values.port) });
  console.log(`resp-server: listening on ${values.host}:${server.port} (${transport})`);

  const stop = (signal: string): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    server.close().then(
      () => console.log(`resp-server: ${signal}, closed`),
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
