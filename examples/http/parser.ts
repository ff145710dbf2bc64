/**
 * HTTP/1.1 request parsing on `http-parser-js`, made as strict as `node:http` (llhttp) where
 * it matters for request smuggling.
 *
 * http-parser-js 0.5 is lenient in ways a server must not be, so a few of its steps are
 * replaced on each parser instance (the hooks below name the internal fields they touch;
 * they were written against 0.5.10):
 * - bare LF line endings are accepted everywhere: lines must end in CRLF here (llhttp
 *   rejects a bare LF in the request line and header lines too);
 * - an obs-fold line (leading whitespace) is merged into the previous header, and a line
 *   with no valid name is silently dropped: both are errors here;
 * - a chunk size is read with `parseInt`, so `zz` is 0 (end of body) and `5zz` is 5:
 *   here it must be hex digits, optionally followed by `;extensions`;
 * - `Content-Length` with `Transfer-Encoding: chunked` lets chunked win: rejected here,
 *   as is any `Transfer-Encoding` other than a single `chunked`, and a `Content-Length`
 *   that is not plain digits (the parser reads it with unary `+`, so `1e3` is 1000);
 * - its header-size limit counts every byte of a chunk that ends in a header state,
 *   including earlier pipelined requests, so it is disabled and the limit counted per line.
 * A request without `Content-Length` or `Transfer-Encoding` has no body (RFC 9112 6.3);
 * the parser would read to end of file, so the body is skipped for it.
 */
import { HTTPParser, methods } from 'http-parser-js';

/** A request's start line and headers. */
export interface RequestHead {
  method: string;
  target: string;
  versionMinor: number;
  /** Header names lower-cased; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** Whether the connection stays open after this request (version and `Connection`). */
  keepAlive: boolean;
  /** Whether a body follows (`Content-Length` > 0 or chunked). */
  hasBody: boolean;
}

/** What the parser reports, in order, per request. */
export interface RequestParserCallbacks {
  onHead(head: RequestHead): void;
  onBody(chunk: Buffer): void;
  onComplete(): void;
}

/** A request the server rejects; `status` is the response (400, 431, 505, …). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The default limit on a request line plus headers (and on trailers), in bytes. */
export const kMaxHeaderBytes = 64 * 1024;

// The fields and steps of http-parser-js 0.5 the strict hooks read or replace.
interface ParserInternals {
  chunk: Buffer;
  offset: number;
  end: number;
  line: string;
  state: string;
  body_bytes: number | null;
  maxHeaderSize: number;
  consumeLine(): string | undefined;
  parseHeader(line: string, headers: string[]): void;
  BODY_CHUNKHEAD(): void;
}

interface HeadInfo {
  versionMajor: number;
  versionMinor: number;
  headers: string[];
  method: number;
  url: string;
  upgrade: boolean;
}

const kHeaderLine = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/;
const kFieldValue = /^[\t\x20-\x7e\x80-\xff]*$/;
const kTarget = /^[\x21-\x7e]+$/;
const kChunkSize = /^([0-9A-Fa-f]{1,8})[ \t]*(?:;[\t\x20-\x7e\x80-\xff]*)?$/;
const kDigits = /^\d{1,15}$/;

function hasToken(value: string | undefined, token: string): boolean {
  return value !== undefined && value.split(',').some((t) => t.trim().toLowerCase() === token);
}

/**
 * One connection's request parser. Feed it each chunk with {@link RequestParser.execute};
 * it calls back synchronously, and throws {@link HttpError} for a request to reject (after
 * which it must not be fed again).
 */
export class RequestParser {
  readonly #parser: InstanceType<typeof HTTPParser>;
  readonly #callbacks: RequestParserCallbacks;
  readonly #maxHeaderBytes: number;
  #lineBytes = 0;

  constructor(callbacks: RequestParserCallbacks, maxHeaderBytes = kMaxHeaderBytes) {
    this.#callbacks = callbacks;
    this.#maxHeaderBytes = maxHeaderBytes;
    const parser = new HTTPParser(HTTPParser.REQUEST);
    this.#parser = parser;
    const internals = parser as unknown as ParserInternals;
    internals.maxHeaderSize = Number.MAX_SAFE_INTEGER;
    const self = this;
    internals.consumeLine = function (this: ParserInternals) {
      return self.#consumeLine(this);
    };
    internals.parseHeader = (line, headers) => RequestParser.#parseHeader(line, headers);
    internals.BODY_CHUNKHEAD = function (this: ParserInternals) {
      self.#chunkHead(this);
    };
    parser[HTTPParser.kOnHeadersComplete] = ((info: HeadInfo) => this.#headersComplete(info)) as never;
    parser[HTTPParser.kOnBody] = (chunk: Buffer, offset: number, length: number) => {
      if (length > 0) callbacks.onBody(chunk.subarray(offset, offset + length));
    };
    parser[HTTPParser.kOnMessageComplete] = () => {
      this.#lineBytes = 0;
      callbacks.onComplete();
    };
  }

  /** Parses `chunk`, calling back for every request part in it. @throws {HttpError} */
  execute(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      let result: number | Error;
      try {
        result = this.#parser.execute(chunk, start, chunk.length - start);
      } catch (error) {
        // Errors thrown by the callbacks (and the hooks, when called from them) come out here.
        result = error as Error;
      }
      if (result instanceof Error) throw RequestParser.#toHttpError(result);
      // The parser stops after an upgrade request's head; the caller closes after it.
      if (result === 0) return;
      start += result;
    }
  }

  /** The peer sent end of file: an error if it stopped inside a request. @throws {HttpError} */
  finish(): void {
    const internals = this.#parser as unknown as ParserInternals;
    if (internals.state !== 'REQUEST_LINE' || internals.line !== '') throw new HttpError(400, 'end of file inside a request');
  }

  static #toHttpError(error: Error): HttpError {
    if (error instanceof HttpError) return error;
    const code = (error as { code?: unknown }).code;
    return new HttpError(400, typeof code === 'string' ? `${code}: ${error.message}` : error.message);
  }

  #count(bytes: number): void {
    this.#lineBytes += bytes;
    if (this.#lineBytes > this.#maxHeaderBytes) throw new HttpError(431, `header block over ${this.#maxHeaderBytes} bytes`);
  }

  #consumeLine(p: ParserInternals): string | undefined {
    const { chunk, end, offset } = p;
    const lf = chunk.indexOf(0x0a, offset);
    if (lf === -1 || lf >= end) {
      this.#count(end - offset);
      p.line += chunk.toString('latin1', offset, end);
      p.offset = end;
      return undefined;
    }
    this.#count(lf + 1 - offset);
    const line = p.line + chunk.toString('latin1', offset, lf);
    p.line = '';
    p.offset = lf + 1;
    if (!line.endsWith('\r')) throw new HttpError(400, 'bare LF line ending');
    const text = line.slice(0, -1);
    if (text.includes('\r')) throw new HttpError(400, 'bare CR in a line');
    return text;
  }

  static #parseHeader(line: string, headers: string[]): void {
    if (line[0] === ' ' || line[0] === '\t') throw new HttpError(400, 'obsolete line folding');
    const match = kHeaderLine.exec(line);
    if (match === null) throw new HttpError(400, 'invalid header line');
    const value = match[2]!;
    if (!kFieldValue.test(value)) throw new HttpError(400, 'invalid character in a header value');
    headers.push(match[1]!, value);
  }

  #chunkHead(p: ParserInternals): void {
    const line = p.consumeLine();
    if (line === undefined) return;
    this.#lineBytes = 0;
    const match = kChunkSize.exec(line);
    if (match === null) throw new HttpError(400, 'invalid chunk size');
    const size = parseInt(match[1]!, 16);
    p.body_bytes = size;
    p.state = size === 0 ? 'BODY_CHUNKTRAILERS' : 'BODY_CHUNK';
  }

  // Returns skipBody as http-parser-js reads it: 1 skips the body.
  #headersComplete(info: HeadInfo): number {
    this.#lineBytes = 0;
    const method = methods[info.method];
    if (method === undefined) throw new HttpError(400, 'unknown method');
    if (info.versionMajor !== 1 || info.versionMinor > 1) throw new HttpError(505, 'unsupported HTTP version');
    if (!kTarget.test(info.url)) throw new HttpError(400, 'invalid request target');
    const headers: Record<string, string> = {};
    let contentLengths = 0;
    let transferEncodings = 0;
    let hosts = 0;
    for (let i = 0; i < info.headers.length; i += 2) {
      const name = info.headers[i]!.toLowerCase();
      const value = info.headers[i + 1]!;
      if (name === 'content-length') {
        contentLengths++;
        if (!kDigits.test(value)) throw new HttpError(400, 'invalid Content-Length');
        if (headers[name] !== undefined && headers[name] !== value) throw new HttpError(400, 'conflicting Content-Length');
        headers[name] = value;
        continue;
      }
      if (name === 'transfer-encoding') transferEncodings++;
      if (name === 'host') hosts++;
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const chunked = transferEncodings > 0;
    if (chunked) {
      if (contentLengths > 0) throw new HttpError(400, 'Content-Length with Transfer-Encoding');
      if (headers['transfer-encoding']!.toLowerCase() !== 'chunked') throw new HttpError(400, 'unsupported Transfer-Encoding');
      if (info.versionMinor === 0) throw new HttpError(400, 'Transfer-Encoding in HTTP/1.0');
    }
    if (info.versionMinor === 1 && hosts !== 1) throw new HttpError(400, 'HTTP/1.1 needs exactly one Host header');
    const length = contentLengths > 0 ? Number(headers['content-length']) : 0;
    const connection = headers.connection;
    const keepAlive =
      !info.upgrade && (info.versionMinor === 1 ? !hasToken(connection, 'close') : hasToken(connection, 'keep-alive'));
    const hasBody = chunked || length > 0;
    this.#callbacks.onHead({ method, target: info.url, versionMinor: info.versionMinor, headers, keepAlive, hasBody });
    return hasBody ? 0 : 1;
  }
}
