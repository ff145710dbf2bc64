/**
 * An HTTP/1.1 connection as an ioreactor `Protocol`: keep-alive, pipelining (responses in
 * request order), `Content-Length` and chunked bodies, `Expect: 100-continue`, `HEAD`, and
 * static files sent with `loop.sockSendFile` on the transport's socket.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type EventLoop, type Protocol, Socket, type Transport } from '../../lib/index.js';
import { type App, type AppResponse, errorResponse, httpDate, kServerName, pathOf, reasonPhrase } from './app.js';
import { HttpError, type RequestHead, RequestParser } from './parser.js';

/** Options of {@link HttpProtocol}. */
export interface HttpProtocolOptions {
  /** The largest request body accepted (413 beyond it). Default 8 MiB. */
  maxBodyBytes?: number;
  /** The largest request line plus headers (431 beyond it). Default 64 KiB. */
  maxHeaderBytes?: number;
}

// What is waiting to go out, in order: bytes for the transport, a file for sendfile, or the end.
type Output = { kind: 'bytes'; chunks: Buffer[] } | { kind: 'file'; fd: number; size: number } | { kind: 'close' };

const kContinue = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n');

/**
 * One HTTP connection. Requests are answered synchronously by the {@link App}; a file
 * response is sent with `sendfile(2)` once everything before it has left the transport's
 * buffer, and the transport is neither written nor read until the file is out.
 *
 * @example
 * ```ts
 * const server = await getEventLoop().createServer(() => new HttpProtocol(loop, app), { host: '127.0.0.1', port: 8080 });
 * ```
 */
export class HttpProtocol implements Protocol {
  readonly #loop: EventLoop;
  readonly #app: App;
  readonly #maxBodyBytes: number;
  readonly #parser: RequestParser;
  #transport: Transport | undefined;
  #head: RequestHead | undefined;
  #body: Buffer[] = [];
  #bodyBytes = 0;
  #outputs: Output[] = [];
  #sendingFile = false;
  #writePaused = false;
  #waitingForDrain: (() => void) | undefined;
  #ended = false;
  #lost = false;

  constructor(loop: EventLoop, app: App, options: HttpProtocolOptions = {}) {
    this.#loop = loop;
    this.#app = app;
    this.#maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
    this.#parser = new RequestParser(
      {
        onHead: (head) => this.#onHead(head),
        onBody: (chunk) => this.#onBody(chunk),
        onComplete: () => this.#onComplete(),
      },
      options.maxHeaderBytes,
    );
  }

  connectionMade(transport: Transport): void {
    this.#transport = transport;
  }

  dataReceived(data: Buffer): void {
    if (this.#ended) return;
    try {
      this.#parser.execute(data);
    } catch (error) {
      this.#reject(error);
    }
  }

  eofReceived(): boolean {
    if (!this.#ended) {
      try {
        this.#parser.finish();
      } catch {
        // A request cut short by end of file gets no response (node:http does the same).
      }
      this.#end();
    }
    // Stay open for writing until the responses already queued are out.
    return true;
  }

  connectionLost(): void {
    this.#lost = true;
    this.#ended = true;
    for (const output of this.#outputs) if (output.kind === 'file') closeSync(output.fd);
    this.#outputs = [];
    this.#resumeAfterDrain();
  }

  pauseWriting(): void {
    this.#writePaused = true;
    this.#transport?.pauseReading();
  }

  resumeWriting(): void {
    this.#writePaused = false;
    this.#resumeAfterDrain();
    if (!this.#sendingFile && !this.#ended) this.#transport?.resumeReading();
  }

  // After a response that closes the connection, the rest of the chunk is parsed but ignored.
  #onHead(head: RequestHead): void {
    if (this.#ended) return;
    this.#head = head;
    this.#body = [];
    this.#bodyBytes = 0;
    if (!head.hasBody) return;
    const expect = head.headers.expect;
    if (expect !== undefined) {
      if (expect.toLowerCase() !== '100-continue') throw new HttpError(417, 'unsupported Expect');
      // The client waits for this before sending the body; it goes out after earlier responses.
      if (head.versionMinor === 1) this.#push({ kind: 'bytes', chunks: [kContinue] });
    }
  }

  #onBody(chunk: Buffer): void {
    if (this.#ended) return;
    this.#bodyBytes += chunk.length;
    if (this.#bodyBytes > this.#maxBodyBytes) throw new HttpError(413, 'request body too large');
    this.#body.push(chunk);
  }

  #onComplete(): void {
    if (this.#ended) return;
    const head = this.#head!;
    this.#head = undefined;
    const body = this.#body.length === 1 ? this.#body[0]! : Buffer.concat(this.#body);
    this.#body = [];
    const response = this.#app({ method: head.method, path: pathOf(head.target), headers: head.headers, body });
    this.#respond(response, head.method === 'HEAD', head.keepAlive, head.versionMinor);
    if (!head.keepAlive) this.#end();
  }

  #reject(error: unknown): void {
    if (this.#ended) return;
    const status = error instanceof HttpError ? error.status : 500;
    this.#respond(errorResponse(status), false, false, 1);
    this.#end();
  }

  // Stops reading requests; the connection closes once what is queued has gone out.
  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#transport?.pauseReading();
    this.#push({ kind: 'close' });
  }

  #respond(response: AppResponse, head: boolean, keepAlive: boolean, versionMinor: number): void {
    let file: Output | undefined;
    let length: number;
    let chunks: Buffer[] = [];
    if (response.body.kind === 'file') {
      let fd: number;
      try {
        fd = openSync(response.body.path, 'r');
      } catch {
        this.#respond(errorResponse(404), head, keepAlive, versionMinor);
        return;
      }
      length = fstatSync(fd).size;
      if (head || length === 0) closeSync(fd);
      else file = { kind: 'file', fd, size: length };
    } else {
      length = response.body.data.length;
      if (!head && length > 0) chunks = [response.body.data];
    }
    let text = `HTTP/1.1 ${response.status} ${reasonPhrase(response.status)}\r\nServer: ${kServerName}\r\nDate: ${httpDate()}\r\n`;
    for (const [name, value] of response.headers) text += `${name}: ${value}\r\n`;
    text += `Content-Length: ${length}\r\n`;
    if (!keepAlive) text += 'Connection: close\r\n';
    else if (versionMinor === 0) text += 'Connection: keep-alive\r\n';
    this.#push({ kind: 'bytes', chunks: [Buffer.from(`${text}\r\n`, 'latin1'), ...chunks] });
    if (file !== undefined) this.#push(file);
  }

  #push(output: Output): void {
    if (this.#lost) {
      if (output.kind === 'file') closeSync(output.fd);
      return;
    }
    this.#outputs.push(output);
    this.#flush();
  }

  #flush(): void {
    const transport = this.#transport!;
    while (!this.#sendingFile && this.#outputs.length > 0) {
      const output = this.#outputs.shift()!;
      if (output.kind === 'bytes') transport.writeLines(output.chunks);
      else if (output.kind === 'close') transport.close();
      else void this.#sendFile(transport, output.fd, output.size);
    }
  }

  async #sendFile(transport: Transport, fd: number, size: number): Promise<void> {
    this.#sendingFile = true;
    transport.pauseReading();
    try {
      await this.#drain(transport);
      if (this.#lost) return;
      const socket = transport.getExtraInfo('socket');
      if (socket instanceof Socket) await this.#loop.sockSendFile(socket, fd, { offset: 0, count: size });
      else await this.#copyFile(transport, fd, size); // another transport (examples/http/net.ts)
    } catch {
      // The peer went away mid-file; the transport reports the loss to connectionLost.
      if (!this.#lost) transport.abort();
      return;
    } finally {
      closeSync(fd);
      this.#sendingFile = false;
    }
    if (this.#lost) return;
    if (!this.#ended && !this.#writePaused) transport.resumeReading();
    this.#flush();
  }

  // Without sendfile: the file through the transport in 64 KiB pieces, each after the last drained.
  async #copyFile(transport: Transport, fd: number, size: number): Promise<void> {
    for (let offset = 0; offset < size && !this.#lost; ) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, size - offset));
      const n = readSync(fd, chunk, 0, chunk.length, offset);
      if (n === 0) throw new Error('the file shrank while it was being sent');
      transport.write(chunk.subarray(0, n));
      offset += n;
      await this.#drain(transport);
    }
  }

  // Resolves once the transport's write buffer is empty: with both watermarks at 0 the
  // transport calls pauseWriting while anything is buffered and resumeWriting when it is not.
  async #drain(transport: Transport): Promise<void> {
    if (transport.getWriteBufferSize() === 0) return;
    const limits = transport.getWriteBufferLimits();
    try {
      await new Promise<void>((resolve) => {
        this.#waitingForDrain = resolve;
        transport.setWriteBufferLimits({ high: 0, low: 0 });
      });
    } finally {
      if (!this.#lost) transport.setWriteBufferLimits(limits);
    }
  }

  #resumeAfterDrain(): void {
    const resolve = this.#waitingForDrain;
    this.#waitingForDrain = undefined;
    resolve?.();
  }
}
