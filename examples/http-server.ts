/**
 * An HTTP/1.1 server on ioreactor's transports and protocols, parsing with http-parser-js:
 * `GET /`, `GET /json`, `POST /echo`, `GET /static` (sendfile). Serves until SIGINT or
 * SIGTERM, then stops accepting, closes the connections and exits.
 *
 * Run: npx tsx examples/http-server.ts --port 8080 [--host 127.0.0.1] [--static FILE]
 * The same app on node:http: npx tsx examples/http/node-http.ts --port 8081
 */
import { parseArgs } from 'node:util';
import { startHttpServer } from './http/server.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      static: { type: 'string' },
    },
  });

  const running = await startHttpServer({ host: values.host, port: Number(values.port), staticPath: values.static });
  console.log(`listening on http://${values.host}:${running.port}`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    running.close().then(
      () => console.log('closed'),
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
