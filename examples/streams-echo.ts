/**
 * An echo server and client on the streams API (asyncio's `start_server` and
 * `open_connection`): the server echoes line by line with back-pressure (`drain()`), the
 * client sends lines and a binary block, half-closes, and reads everything back.
 *
 * Run: npx tsx examples/streams-echo.ts
 */
import { openConnection, run, startServer } from '../lib/index.js';
import type { InetAddress } from '../lib/sys.js';

run(async (signal) => {
  let served = 0;
  const server = await startServer(
    async (reader, writer) => {
      served++;
      // Lines until EOF, each echoed; drain() keeps a slow client from growing our buffer.
      for await (const line of reader) {
        writer.write(line);
        await writer.drain({ signal });
      }
      writer.close();
      await writer.waitClosed();
    },
    // A line may be up to 1 MiB here (the default limit, 64 KiB, would refuse the block).
    { host: '127.0.0.1', port: 0, limit: 1024 * 1024 },
  );
  const port = (server.sockets[0]!.localAddress as InetAddress).port;

  const [reader, writer] = await openConnection({ host: 'localhost', port, signal });
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i}: ${'x'.repeat(i)}\n`);
  for (const line of lines) writer.write(line);
  const block = Buffer.alloc(256 * 1024, 'y');
  writer.writeLines([block, '\n']);
  await writer.drain({ signal });
  writer.writeEof(); // the server sees EOF after our last line, and closes

  let echoedLines = 0;
  for (const line of lines) {
    const echoed = await reader.readLine({ signal });
    if (echoed.toString() !== line) throw new Error(`echo mismatch on ${JSON.stringify(line)}`);
    echoedLines++;
  }
  const echoedBlock = await reader.readExactly(block.length + 1, { signal });
  if (!echoedBlock.subarray(0, block.length).equals(block)) throw new Error('block mismatch');
  const rest = await reader.read(-1, { signal });
  writer.close();
  await writer.waitClosed();
  server.close();
  await server.waitClosed();
  console.log(
    `echoed ${echoedLines} lines and a ${block.length}-byte block over ${served} connection; ` +
      `EOF after: ${reader.atEof() && rest.length === 0}`,
  );
}).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
