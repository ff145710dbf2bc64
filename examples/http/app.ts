/**
 * The example HTTP application: a tiny router shared by the ioreactor server
 * (`examples/http-server.ts`) and the `node:http` one (`examples/http/node-http.ts`), so
 * both answer every request with the same status, headers and body.
 */
import { STATUS_CODES } from 'node:http';

/** A parsed request, as the router sees it. */
export interface AppRequest {
  /** Upper-case method, e.g. `GET`. */
  method: string;
  /** The request target without the query string. */
  path: string;
  /** Header names lower-cased; repeated headers joined with `, `. */
  headers: Readonly<Record<string, string>>;
  /** The whole request body (empty when there is none). */
  body: Buffer;
}

/** A response body: bytes in memory, or a file the server sends (with `sendfile` where it can). */
export type AppBody = { kind: 'bytes'; data: Buffer } | { kind: 'file'; path: string };

/** What the router answers; the server adds `Content-Length`, `Date`, `Server` and `Connection`. */
export interface AppResponse {
  status: number;
  headers: [name: string, value: string][];
  body: AppBody;
}

/** Options of {@link createApp}. */
export interface AppOptions {
  /** The file `GET /static` (and `/file`) serves. */
  staticPath: string;
}

/** A router: one request in, one response out, synchronously. */
export type App = (request: AppRequest) => AppResponse;

/** The `Server` header both implementations send. */
export const kServerName = 'ioreactor-example';

const kHelloText = Buffer.from('Hello, World!');
const kHelloJson = Buffer.from(JSON.stringify({ message: 'Hello, World!' }));

/** A response with an in-memory body. */
export function textResponse(status: number, data: Buffer | string, contentType = 'text/plain; charset=utf-8'): AppResponse {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  return { status, headers: [['Content-Type', contentType]], body: { kind: 'bytes', data: body } };
}

/** A plain-text error response whose body is the status line's reason phrase. */
export function errorResponse(status: number, extra: [string, string][] = []): AppResponse {
  const response = textResponse(status, `${STATUS_CODES[status] ?? 'Error'}\n`);
  response.headers.push(...extra);
  return response;
}

/** The reason phrase for `status`. */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}

let dateSecond = -1;
let dateValue = '';

/** The `Date` header value (RFC 9110 IMF-fixdate), formatted at most once a second. */
export function httpDate(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(second * 1000).toUTCString();
  }
  return dateValue;
}

interface Route {
  methods: readonly string[];
  handle(request: AppRequest): AppResponse;
}

/**
 * Builds the router: `GET /` (text), `GET /json`, `POST /echo` (the body back, same
 * content type), `GET /static` and `/file` (the file at `staticPath`). `HEAD` is allowed
 * wherever `GET` is (the server drops the body). Unknown paths are 404; known paths with
 * another method are 405 with an `Allow` header.
 *
 * @example
 * ```ts
 * const app = createApp({ staticPath: '/etc/hostname' });
 * app({ method: 'GET', path: '/json', headers: {}, body: Buffer.alloc(0) }).status; // 200
 * ```
 */
export function createApp(options: AppOptions): App {
  const staticRoute: Route = {
    methods: ['GET', 'HEAD'],
    handle: () => ({
      status: 200,
      headers: [['Content-Type', 'application/octet-stream']],
      body: { kind: 'file', path: options.staticPath },
    }),
  };
  const routes = new Map<string, Route>([
    ['/', { methods: ['GET', 'HEAD'], handle: () => textResponse(200, kHelloText) }],
    ['/json', { methods: ['GET', 'HEAD'], handle: () => textResponse(200, kHelloJson, 'application/json') }],
    [
      '/echo',
      {
        methods: ['POST'],
        handle: (request) => textResponse(200, request.body, request.headers['content-type'] ?? 'application/octet-stream'),
      },
    ],
    ['/static', staticRoute],
    ['/file', staticRoute],
  ]);
  return (request) => {
    const route = routes.get(request.path);
    if (route === undefined) return errorResponse(404);
    if (!route.methods.includes(request.method)) return errorResponse(405, [['Allow', route.methods.join(', ')]]);
    return route.handle(request);
  };
}

/** Splits a request target into its path (the query string is dropped). */
export function pathOf(target: string): string {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}
