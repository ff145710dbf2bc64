/**
 * The streams entry points (asyncio's `open_connection`, `start_server` and their Unix
 * variants): a transport from the loop, a {@link StreamReaderProtocol} on it, and a task
 * per accepted connection.
 */
import { ClosedError } from '../errors.js';
import { checkFunction } from '../internal/args.js';
import type {
  CreateConnectionOptions,
  CreateServerOptions,
  CreateUnixConnectionOptions,
  CreateUnixServerOptions,
} from '../protocols/connect.js';
import { getEventLoop } from '../protocols/event-loop.js';
import type { Server } from '../protocols/server.js';
import { createTask } from '../tasks/task.js';
import { StreamReaderProtocol } from './stream-protocol.js';
import { limitOf, StreamReader, type StreamReaderOptions } from './stream-reader.js';
import type { StreamWriter } from './stream-writer.js';

/**
 * Handles one accepted connection; runs as a task. `signal` is the task's: cancelling the
 * task (e.g. `run()` shutting down) aborts the connection, and pending reads reject with
 * the cancellation reason.
 */
export type ClientConnectedCallback = (reader: StreamReader, writer: StreamWriter, signal: AbortSignal) => Promise<void> | void;

/** Options of {@link startServer}: `loop.createServer`'s, plus the readers' `limit`. */
export interface StartServerOptions extends CreateServerOptions, StreamReaderOptions {}

/** Options of {@link openConnection}: `loop.createConnection`'s, plus the reader's `limit`. */
export interface OpenConnectionOptions extends CreateConnectionOptions, StreamReaderOptions {}

/** Options of {@link startUnixServer}. */
export interface StartUnixServerOptions extends CreateUnixServerOptions, StreamReaderOptions {}

/** Options of {@link openUnixConnection}. */
export interface OpenUnixConnectionOptions extends CreateUnixConnectionOptions, StreamReaderOptions {}

/** A protocol factory whose connections each run `callback` in a task. */
function serverFactory(callback: ClientConnectedCallback, limit: number): () => StreamReaderProtocol {
  const loop = getEventLoop();
  // One function for every connection of the server (not a closure per connection).
  const onConnected = (reader: StreamReader, writer: StreamWriter): void => {
    const task = createTask((signal) => callback(reader, writer, signal), { name: 'stream connection' });
    task.onCancel((reason) => {
      reader.setException(reason instanceof Error ? reason : new ClosedError('the connection task was cancelled'));
      writer.transport.abort();
    });
    task.addDoneCallback((done) => {
      if (done.cancelled()) return;
      const error = done.exception();
      // The loop closing ends every connection with ClosedError: a shutdown, not a bug.
      if (error === undefined || (loop.closed && error instanceof ClosedError)) return;
      // A failing handler costs its connection only; the server goes on.
      loop.callExceptionHandler({ message: 'the startServer client callback failed', exception: error });
      writer.close();
    });
  };
  return () => new StreamReaderProtocol(new StreamReader({ limit }), onConnected);
}

/** Opens a connection with `open` and returns its reader and writer. */
async function open(limit: number, connect: (factory: () => StreamReaderProtocol) => Promise<unknown>): Promise<[StreamReader, StreamWriter]> {
  const reader = new StreamReader({ limit });
  const protocol = new StreamReaderProtocol(reader);
  await connect(() => protocol);
  return [reader, protocol.writer!];
}

/**
 * Listens on `host`/`port` and runs `callback(reader, writer)` in a task for each
 * connection. A callback that throws is reported to the loop's exception handler and its
 * connection is closed; the server goes on. Resolves with the listening {@link Server}.
 *
 * @example
 * ```ts
 * const server = await startServer(async (reader, writer) => {
 *   for await (const line of reader) {
 *     writer.write(line);
 *     await writer.drain();
 *   }
 *   writer.close();
 * }, { host: '127.0.0.1', port: 0 });
 * const port = (server.sockets[0]!.localAddress as InetAddress).port;
 * ```
 */
export async function startServer(callback: ClientConnectedCallback, options?: StartServerOptions): Promise<Server> {
  checkFunction(callback, 'startServer: callback');
  const limit = limitOf(options, 'startServer');
  return getEventLoop().createServer(serverFactory(callback, limit), options);
}

/**
 * Connects to `host`/`port` (a name is resolved; each address is tried in turn) and
 * resolves with the connection's reader and writer.
 *
 * @example
 * ```ts
 * const [reader, writer] = await openConnection({ host: 'localhost', port, signal });
 * writer.write('ping\n');
 * console.log((await reader.readLine()).toString());
 * await using _ = writer;
 * ```
 */
export async function openConnection(options: OpenConnectionOptions): Promise<[StreamReader, StreamWriter]> {
  const limit = limitOf(options, 'openConnection');
  const loop = getEventLoop();
  return open(limit, (factory) => loop.createConnection(factory, options));
}

/**
 * {@link startServer} on a Unix-domain socket `path`.
 *
 * @example
 * ```ts
 * const server = await startUnixServer(handle, { path: '/tmp/app.sock' });
 * ```
 */
export async function startUnixServer(callback: ClientConnectedCallback, options: StartUnixServerOptions): Promise<Server> {
  checkFunction(callback, 'startUnixServer: callback');
  const limit = limitOf(options, 'startUnixServer');
  return getEventLoop().createUnixServer(serverFactory(callback, limit), options);
}

/**
 * {@link openConnection} to a Unix-domain socket `path`.
 *
 * @example
 * ```ts
 * const [reader, writer] = await openUnixConnection({ path: '/tmp/app.sock' });
 * ```
 */
export async function openUnixConnection(options: OpenUnixConnectionOptions): Promise<[StreamReader, StreamWriter]> {
  const limit = limitOf(options, 'openUnixConnection');
  const loop = getEventLoop();
  return open(limit, (factory) => loop.createUnixConnection(factory, options));
}
