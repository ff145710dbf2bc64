/**
 * Reads a child process's stdout line by line through a read-pipe transport and a
 * StreamReader. The pipe comes from `sys.pipe`: the read end stays non-blocking for the
 * loop, the write end is made blocking because it becomes the child's stdout (programs
 * rarely expect EAGAIN on their standard streams).
 *
 * Run: npx tsx examples/subprocess-lines.ts
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { getEventLoop, run, StreamReader, StreamReaderProtocol } from '../lib/index.js';
import * as sys from '../lib/sys.js';

const childCode = `
for (let i = 1; i <= 5; i++) console.log('line ' + i + ' from pid ' + process.pid);
`;

run(async () => {
  const loop = getEventLoop();
  const [readEnd, writeEnd] = sys.pipe({ readNonBlocking: true, writeNonBlocking: false });
  const child = spawn(process.execPath, ['-e', childCode], { stdio: ['ignore', writeEnd, 'inherit'] });
  const exited = once(child, 'exit');
  // The child has its own copy now; ours must go, or the reader never sees end of file.
  sys.close(writeEnd);
  const reader = new StreamReader();
  // The transport owns readEnd from here on and closes it after connectionLost.
  await loop.connectReadPipe(() => new StreamReaderProtocol(reader), readEnd);
  let count = 0;
  for await (const line of reader) {
    count++;
    console.log(`got: ${line.toString().trimEnd()}`);
  }
  const [code] = await exited;
  console.log(`subprocess-lines: ${count} lines, child exited with ${code}`);
});
