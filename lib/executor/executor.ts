/**
 * Executors: run a function exported by a module in a pool of worker threads and await
 * its result, as asyncio's `run_in_executor` / `to_thread` run a function in a thread.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Transferable } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { CancelledError, ClosedError, InvalidArgumentError } from '../errors.js';
import { optionOf, signalOf } from '../internal/args.js';
import { describeValue } from '../internal/fd.js';
import type { BaseEventLoop } from '../loop/base-event-loop.js';
import { currentLoop } from '../loop/default-loop.js';

/**
 * What to run in a worker thread: the export `name` of the module `filename`, plus the
 * options of this one call.
 *
 * Functions cannot cross threads, so a call names a module and an export instead; the
 * worker loads the module once and keeps it. Since JavaScript has no keyword arguments,
 * the options of a call (`signal`, `transferList`) travel with the task rather than after
 * the arguments: `toThread({ ...fib, signal }, 40)`.
 *
 * @example
 * ```ts
 * const fib = { filename: new URL('./fib.mjs', import.meta.url), name: 'fib' };
 * const n = await toThread(fib, 40);
 * ```
 */
export interface ExecutorTask {
  /**
   * The module: an absolute path, a `file:` URL (string or `URL`). `.mjs` is imported;
   * anything else is `require()`d first (CommonJS, or TypeScript when the pool's
   * `execArgv` installs a require hook such as `tsx/cjs`) and imported if it is ES.
   */
  filename: string | URL;
  /** The export to call. @defaultValue `'default'` */
  name?: string;
  /**
   * Cancels the call: the promise rejects with `signal.reason` at once. A call still
   * queued never runs; a running one has its worker thread terminated (and replaced).
   */
  signal?: AbortSignal;
  /**
   * Objects among the arguments to move to the worker rather than copy (`ArrayBuffer`s,
   * `MessagePort`s); they are unusable in the calling thread afterwards.
   */
  transferList?: readonly Transferable[];
}

/** Options for {@link ThreadPoolExecutor}. */
export interface ThreadPoolExecutorOptions {
  /** Most threads. @defaultValue `os.availableParallelism()` */
  maxThreads?: number;
  /** Threads kept even when idle. @defaultValue 0 */
  minThreads?: number;
  /** Milliseconds an idle thread above `minThreads` lives. @defaultValue 1000 */
  idleTimeout?: number;
  /**
   * Node options of the worker threads, e.g. `['--require', 'tsx/cjs']` to run
   * TypeScript modules. @defaultValue the process's `execArgv`
   */
  execArgv?: string[];
}

/** Options for {@link ThreadPoolExecutor.shutdown}. */
export interface ShutdownOptions {
  /**
   * Reject the calls that have not started with a {@link CancelledError} (they never
   * run) instead of running them. Running calls finish either way.
   * @defaultValue false
   */
  cancelPending?: boolean;
}

interface Call {
  call: WorkerCall;
  transferList: Transferable[] | undefined;
  /** Set once handed to a thread; a call without it has not started. */
  controller: AbortController | null;
  settle(ok: boolean, value: unknown): void;
}

interface WorkerCall {
  filename: string;
  name: string;
  args: unknown[];
}

const kWorker = path.join(__dirname, 'worker.cjs');
const kBadTask = '[IOR_ERR_INVALID_ARG] ';

function positiveInt(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidArgumentError(`ThreadPoolExecutor: ${name} must be an integer >= ${min}, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * A pool of worker threads running module functions ({@link ExecutorTask}), on
 * [piscina](https://github.com/piscinajs/piscina). Calls queue when every thread is
 * busy. Each thread has its own module instances and its own ioreactor default loop.
 *
 * Cancellation (the task's `signal`, or the calling loop closing): a call that has not
 * started is dropped and never runs; a call that has started has its worker thread
 * terminated — the function stops mid-way and the pool starts a fresh thread — so the
 * work does not go on in the background.
 *
 * @example
 * ```ts
 * const pool = new ThreadPoolExecutor({ maxThreads: 2 });
 * const digest = await runInExecutor(pool, { filename: '/app/hash.js', name: 'sha256' }, data);
 * await pool.shutdown();
 * ```
 */
export class ThreadPoolExecutor {
  #pool: Piscina;
  #max: number;
  #closed = false;
  // Calls not handed to a thread yet, oldest first. Only as many calls as there are
  // threads are given to piscina, so a call here has certainly not started, and
  // cancelling it is only a matter of dropping it.
  #queue: Call[] = [];
  #running = new Set<Call>();
  #idle: (() => void)[] = [];

  /** @throws {InvalidArgumentError} for bad options. */
  constructor(options?: ThreadPoolExecutorOptions) {
    const where = 'ThreadPoolExecutor';
    const max = positiveInt(optionOf(options, 'maxThreads', where), 'maxThreads', 1) ?? availableParallelism();
    const min = positiveInt(optionOf(options, 'minThreads', where), 'minThreads', 0) ?? 0;
    const idle = positiveInt(optionOf(options, 'idleTimeout', where), 'idleTimeout', 0) ?? 1000;
    const execArgv = optionOf(options, 'execArgv', where);
    if (execArgv !== undefined && !(Array.isArray(execArgv) && execArgv.every((a) => typeof a === 'string'))) {
      throw new InvalidArgumentError(`${where}: execArgv must be an array of strings, got ${describeValue(execArgv)}`);
    }
    if (min > max) throw new InvalidArgumentError(`${where}: minThreads (${min}) exceeds maxThreads (${max})`);
    this.#max = max;
    // Loaded on first use: most programs never make a pool, and piscina costs start-up time.
    const { Piscina: Pool } = require('piscina') as typeof import('piscina');
    this.#pool = new Pool({
      filename: kWorker,
      maxThreads: max,
      minThreads: min,
      idleTimeout: idle,
      ...(execArgv !== undefined ? { execArgv: execArgv as string[] } : {}),
    });
  }

  /** Most threads the pool runs at once. */
  get maxThreads(): number {
    return this.#max;
  }

  /** Threads alive now. */
  get threadCount(): number {
    return this.#pool.threads.length;
  }

  /** Calls submitted and not settled yet (queued or running). */
  get pendingCalls(): number {
    return this.#queue.length + this.#running.size;
  }

  /** Whether {@link ThreadPoolExecutor.shutdown} (or the loop's close) has happened. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Stops taking calls (new ones reject with {@link ClosedError}), lets the running ones
   * finish — and the queued ones too, unless `cancelPending` — then ends the threads.
   * Resolves once every call has settled and the threads are gone. Idempotent.
   */
  async shutdown(options?: ShutdownOptions): Promise<void> {
    const cancel = optionOf(options, 'cancelPending', 'shutdown');
    if (cancel !== undefined && typeof cancel !== 'boolean') {
      throw new InvalidArgumentError(`shutdown: cancelPending must be a boolean, got ${describeValue(cancel)}`);
    }
    this.#closed = true;
    if (cancel === true) {
      for (const entry of this.#queue.splice(0)) {
        entry.settle(false, new CancelledError('The call was cancelled: its executor was shut down before it started'));
      }
    }
    if (this.pendingCalls > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    await this.#pool.destroy();
  }

  /**
   * @internal Ends everything now: pending calls reject with `error`, running functions
   * are stopped with their threads. For a loop that closes with its default executor.
   */
  terminate(error: Error): void {
    this.#closed = true;
    for (const entry of [...this.#queue, ...this.#running]) entry.settle(false, error);
    void this.#pool.destroy();
  }

  /** @internal Runs one call; the arguments were checked by {@link checkTask}. */
  submit(loop: BaseEventLoop, call: WorkerCall, signal: AbortSignal | undefined, transferList: Transferable[] | undefined): Promise<unknown> {
    if (this.#closed) return Promise.reject(new ClosedError('The executor was shut down'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (loop.closed) return Promise.reject(new ClosedError('EventLoop is closed'));
    return new Promise((resolve, reject) => {
      let settled = false;
      let untrack = (): void => undefined;
      const onAbort = (): void => entry.settle(false, signal!.reason);
      const entry: Call = {
        call,
        transferList,
        controller: null,
        settle: (ok, value) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          untrack();
          if (entry.controller === null) {
            const at = this.#queue.indexOf(entry);
            if (at >= 0) this.#queue.splice(at, 1); // never started: it never will
          } else {
            this.#running.delete(entry);
            entry.controller.abort(); // still running: piscina terminates its thread
          }
          if (ok) resolve(value);
          else reject(value);
          this.#pump();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      untrack = loop.trackPending((error) => entry.settle(false, error));
      this.#queue.push(entry);
      this.#pump();
    });
  }

  /** Hands queued calls to piscina while a thread is free; reports idleness to shutdown. */
  #pump(): void {
    while (this.#running.size < this.#max && this.#queue.length > 0) {
      const entry = this.#queue.shift()!;
      const controller = new AbortController();
      entry.controller = controller;
      this.#running.add(entry);
      const options = { signal: controller.signal, ...(entry.transferList !== undefined ? { transferList: entry.transferList as never } : {}) };
      this.#pool.run(entry.call, options).then(
        (value) => entry.settle(true, value),
        (error: unknown) => entry.settle(false, translate(error)),
      );
    }
    if (this.pendingCalls === 0 && this.#idle.length > 0) for (const resolve of this.#idle.splice(0)) resolve();
  }
}

function translate(error: unknown): unknown {
  if (error instanceof Error) {
    if (error.message.startsWith(kBadTask)) {
      return new InvalidArgumentError(error.message.slice(kBadTask.length), { cause: error });
    }
  }
  return error;
}

const knownModules = new Set<string>();

/** @internal Validates a task and returns what the worker needs. */
export function checkTask(
  task: unknown,
  args: unknown[],
  where: string,
): { call: WorkerCall; signal: AbortSignal | undefined; transferList: Transferable[] | undefined } {
  if (typeof task !== 'object' || task === null) {
    throw new InvalidArgumentError(`${where}: task must be an object { filename, name? }, got ${describeValue(task)}`);
  }
  const file = optionOf(task, 'filename', where);
  let filename: string;
  if (file instanceof URL || (typeof file === 'string' && file.startsWith('file:'))) {
    try {
      filename = fileURLToPath(file as string | URL);
    } catch (cause) {
      throw new InvalidArgumentError(`${where}: task.filename is not a file URL: ${String(file)}`, { cause });
    }
  } else if (typeof file === 'string') {
    if (!path.isAbsolute(file)) {
      throw new InvalidArgumentError(
        `${where}: task.filename must be an absolute path or a file: URL (a worker has no notion of the caller's directory), got '${file}'`,
      );
    }
    filename = file;
  } else {
    throw new InvalidArgumentError(`${where}: task.filename must be a path or a file: URL, got ${describeValue(file)}`);
  }
  // Checked once per module (a stat per call cost more than the rest of the call's
  // bookkeeping); a module removed later fails in the worker with the loader's error.
  let isFile = knownModules.has(filename);
  if (!isFile) {
    try {
      isFile = statSync(filename).isFile();
    } catch {
      // reported below
    }
    if (isFile && knownModules.size < 1000) knownModules.add(filename);
  }
  if (!isFile) throw new InvalidArgumentError(`${where}: task.filename ${filename} is not a file`);
  const name = optionOf(task, 'name', where) ?? 'default';
  if (typeof name !== 'string' || name === '') {
    throw new InvalidArgumentError(`${where}: task.name must be a non-empty string, got ${describeValue(name)}`);
  }
  const signal = signalOf(task, where);
  const transferList = optionOf(task, 'transferList', where);
  if (transferList !== undefined && !Array.isArray(transferList)) {
    throw new InvalidArgumentError(`${where}: task.transferList must be an array, got ${describeValue(transferList)}`);
  }
  return { call: { filename, name, args }, signal, transferList: transferList as Transferable[] | undefined };
}

// Each loop's default executor, made on first use and ended when the loop closes.
const defaults = new WeakMap<BaseEventLoop, { executor: ThreadPoolExecutor; untrack: () => void }>();

/**
 * The default executor of `loop` (the thread's default loop by default): a
 * {@link ThreadPoolExecutor} with `os.availableParallelism()` threads, made on first use.
 * Closing the loop terminates it (pending calls reject with {@link ClosedError}).
 */
export function getDefaultExecutor(loop: BaseEventLoop = currentLoop()): ThreadPoolExecutor {
  let entry = defaults.get(loop);
  if (entry === undefined || entry.executor.closed) {
    if (loop.closed) throw new ClosedError('EventLoop is closed');
    const executor = new ThreadPoolExecutor();
    defaults.set(loop, { executor, untrack: loop.trackPending((error) => executor.terminate(error)) });
    return executor;
  }
  return entry.executor;
}

/**
 * Replaces the default executor of `loop` (asyncio's `set_default_executor`). The
 * previous one is not shut down. Closing the loop terminates the new one.
 */
export function setDefaultExecutor(executor: ThreadPoolExecutor, loop: BaseEventLoop = currentLoop()): void {
  if (!(executor instanceof ThreadPoolExecutor)) {
    throw new InvalidArgumentError(`setDefaultExecutor: executor must be a ThreadPoolExecutor, got ${describeValue(executor)}`);
  }
  if (loop.closed) throw new ClosedError('EventLoop is closed');
  defaults.get(loop)?.untrack();
  defaults.set(loop, { executor, untrack: loop.trackPending((error) => executor.terminate(error)) });
}

/**
 * Shuts the default executor of `loop` down (asyncio's `shutdown_default_executor`):
 * queued and running calls finish, then its threads end. A later call makes a new one.
 */
export async function shutdownDefaultExecutor(loop: BaseEventLoop = currentLoop(), options?: ShutdownOptions): Promise<void> {
  const entry = defaults.get(loop);
  if (entry === undefined) return;
  defaults.delete(loop);
  entry.untrack();
  await entry.executor.shutdown(options);
}

/** @internal runInExecutor on a given loop. */
export function runOn<T>(loop: BaseEventLoop, executor: ThreadPoolExecutor | null | undefined, task: ExecutorTask, args: unknown[]): Promise<T> {
  try {
    if (executor != null && !(executor instanceof ThreadPoolExecutor)) {
      throw new InvalidArgumentError(`runInExecutor: executor must be a ThreadPoolExecutor or null, got ${describeValue(executor)}`);
    }
    const { call, signal, transferList } = checkTask(task, args, 'runInExecutor');
    const pool = executor ?? getDefaultExecutor(loop);
    return pool.submit(loop, call, signal, transferList) as Promise<T>;
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Calls the function `task` names with `args` in a worker thread of `executor` (the
 * loop's default executor when `null`) and resolves with its result — asyncio's
 * `loop.run_in_executor`. Arguments and result are copied with the structured-clone
 * algorithm (list `task.transferList` to move buffers instead); an error thrown by the
 * function rejects the promise with that error, stack from the worker included (own
 * properties such as `code` do not survive the copy).
 *
 * Cancelling — `task.signal` aborting, e.g. the signal of the task that awaits — rejects
 * at once with the signal's reason (a {@link CancelledError} for a cancelled task): a
 * call not yet started never runs; a started one has its worker thread terminated.
 * If the current loop closes first, the call rejects with {@link ClosedError} and is
 * cancelled the same way.
 *
 * @throws {InvalidArgumentError} (as a rejection) for a bad `task` or `executor`, or when
 *   the module has no such exported function.
 * @throws {ClosedError} (as a rejection) once the executor was shut down.
 */
export function runInExecutor<T = unknown>(executor: ThreadPoolExecutor | null, task: ExecutorTask, ...args: unknown[]): Promise<T> {
  let loop: BaseEventLoop;
  try {
    loop = currentLoop();
  } catch (error) {
    return Promise.reject(error);
  }
  return runOn<T>(loop, executor, task, args);
}

/**
 * Calls the function `task` names with `args` in a worker thread of the default executor
 * — asyncio's `to_thread`. See {@link runInExecutor}.
 *
 * @example
 * ```ts
 * await run(async (signal) => {
 *   const task = { filename: require.resolve('./primes.js'), name: 'countPrimes', signal };
 *   console.log(await toThread(task, 10_000_000));
 * });
 * ```
 */
export function toThread<T = unknown>(task: ExecutorTask, ...args: unknown[]): Promise<T> {
  return runInExecutor<T>(null, task, ...args);
}
