/** Shared test helpers: per-backend selectors and fd bookkeeping that fails on leaks. */
import { existsSync, readdirSync } from 'node:fs';
import { afterEach, beforeEach, expect } from 'vitest';
import {
  availableBackends,
  type BackendName,
  type BaseSelector,
  EpollSelector,
  EventLoop,
  type EventLoopOptions,
  KqueueSelector,
  PollSelector,
  SelectSelector,
} from '../lib/index.js';
import { native } from '../lib/native.js';
import * as sys from '../lib/sys.js';

export const backends = availableBackends();

/** Whether the loaded addon was built with IOR_TEST_HOOKS (fault injection). */
export const hasTestHooks: boolean = (() => {
  const probe = new native.Selector(backends[0]!);
  try {
    return typeof probe.injectFault === 'function';
  } finally {
    probe.close();
  }
})();

export const selectorClasses: Record<BackendName, new () => BaseSelector<unknown>> = {
  epoll: EpollSelector,
  kqueue: KqueueSelector,
  poll: PollSelector,
  select: SelectSelector,
};

// Linux has /proc/self/fd; macOS and the BSDs have /dev/fd. Either lists this process's
// open fds (plus the one the listing itself opens, the same in every count).
const fdDir = existsSync('/proc/self/fd') ? '/proc/self/fd' : '/dev/fd';

/** Number of fds this process has open, portably. */
export function openFdCount(): number {
  return readdirSync(fdDir).length;
}

/**
 * Tracks every fd and selector a test opens and closes them afterwards; the test fails
 * if the process has more fds open after cleanup than before it started.
 */
export function useResources() {
  const fds = new Set<number>();
  const selectors: BaseSelector<unknown>[] = [];
  const loops: EventLoop[] = [];
  let before = 0;

  beforeEach(() => {
    before = openFdCount();
  });

  afterEach(() => {
    for (const sel of selectors.splice(0)) sel.close();
    for (const loop of loops.splice(0)) loop.close();
    for (const fd of fds) {
      sys.close(fd);
    }
    fds.clear();
    expect(openFdCount(), 'fds leaked by the test').toBeLessThanOrEqual(before);
  });

  return {
    selector<TData = unknown>(backend: BackendName): BaseSelector<TData> {
      const sel = new selectorClasses[backend]() as BaseSelector<TData>;
      selectors.push(sel as BaseSelector<unknown>);
      return sel;
    },
    loop(options?: EventLoopOptions): EventLoop {
      const loop = new EventLoop(options);
      loops.push(loop);
      return loop;
    },
    socketpair(): [number, number] {
      const pair = sys.socketpair();
      fds.add(pair[0]);
      fds.add(pair[1]);
      return pair;
    },
    pipe(): [number, number] {
      const pair = sys.pipe();
      fds.add(pair[0]);
      fds.add(pair[1]);
      return pair;
    },
    /** Takes ownership of an fd opened some other way. */
    adopt(fd: number): number {
      fds.add(fd);
      return fd;
    },
    /** Stops tracking an fd that the test closed some other way. */
    forget(fd: number): void {
      fds.delete(fd);
    },
    /** Closes an fd now and stops tracking it (its number may be reused elsewhere). */
    close(fd: number): void {
      fds.delete(fd);
      sys.close(fd);
    },
  };
}

/** A handle object in the style of a Python socket: fileno() is -1 once closed. */
export class FakeSocket {
  #fd: number;
  constructor(fd: number) {
    this.#fd = fd;
  }
  fileno(): number {
    return this.#fd;
  }
  close(): void {
    if (this.#fd >= 0) sys.close(this.#fd);
    this.#fd = -1;
  }
}

/**
 * Occupies every free fd number below `target` with dups of `source`, so the next fd the
 * process opens gets `target` (just closed by the caller). Returns the fillers to close;
 * throws if some other thread took `target` meanwhile, so a test cannot pass without
 * reproducing the case it is about.
 */
export function fillBelow(target: number, source: number): number[] {
  const fillers: number[] = [];
  for (;;) {
    const d = sys.dup(source);
    if (d < target) {
      fillers.push(d);
      continue;
    }
    sys.close(d);
    if (d === target) return fillers;
    for (const fd of fillers) sys.close(fd);
    throw new Error(`fd ${target} was taken by someone else before the test could reuse it`);
  }
}

export function send(fd: number, text: string): number {
  return sys.write(fd, Buffer.from(text));
}

export function recv(fd: number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  const n = sys.read(fd, buf);
  if (n < 0) throw new Error(`read failed: ${n}`);
  return buf.subarray(0, n);
}

/**
 * The environment for external programs a test runs (curl, wrk, redis-cli…): this
 * process's, without the sanitizer runtime `npm run test:asan` preloads into Node (curl
 * with libasan preloaded hangs at start).
 */
export function toolEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  return env;
}

export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Waits until `predicate()` is true, checking after each macrotask turn (setImmediate)
 * for the first few checks and then every `intervalMs`. Throws after `timeoutMs`, naming
 * `what`, so a test waits for the event it needs instead of sleeping a guessed time.
 */
export async function waitFor(
  predicate: () => boolean,
  { timeoutMs = 5000, intervalMs = 2, what = 'condition' }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (let checks = 0; !predicate(); checks++) {
    if (performance.now() > deadline) throw new Error(`waitFor: ${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => (checks < 10 ? setImmediate(resolve) : setTimeout(resolve, intervalMs)));
  }
}

/** Result of {@link runScript}. */
export interface ScriptResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs CommonJS `code` in a fresh Node process with `io` (ioreactor) and `sys`
 * (ioreactor/sys) in scope, loaded from the compiled dist/, and `ROOT` (the project
 * directory). For behaviour that involves
 * process exit, uncaught exceptions or process-wide state.
 */
export async function runScript(
  code: string,
  {
    timeoutMs = 20_000,
    env = {},
    nodeOptions = [],
  }: { timeoutMs?: number; env?: Record<string, string>; nodeOptions?: string[] } = {},
): Promise<ScriptResult> {
  const { spawn } = await import('node:child_process');
  const path = await import('node:path');
  const root = path.resolve(__dirname, '..');
  const prelude =
    `const ROOT = ${JSON.stringify(root)};\n` +
    `const io = require(${JSON.stringify(path.join(root, 'dist/index.js'))});\n` +
    `const sys = require(${JSON.stringify(path.join(root, 'dist/sys.js'))});\n`;
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [...nodeOptions, '-e', prelude + code], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [status, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  return { status, signal, stdout, stderr, ms: elapsedMs(start) };
}
