/**
 * The fuzz model: what the harness believes is open (fds, selectors and their
 * registrations, loops and their readers/writers, sockets) and what is still pending.
 * Every resource the fuzz creates is recorded here first, so `cleanup()` can close it all
 * whatever the library did, and `checkInvariants()` can compare the library's state with
 * the model after each step.
 */
import { fstatSync } from 'node:fs';
import type { BaseSelector, EventLoop, Socket } from '../../lib/index.js';
import { getEventLoop } from '../../lib/index.js';
import * as sys from '../../lib/sys.js';
import type { Failure } from './oracle.js';
import {
  type AddrSpec,
  type CbSpec,
  HostileTrap,
  kNeverOpenFd,
  makeBuffer,
  makeHostile,
  type OptsSpec,
  type Spec,
} from './values.js';

export type FdKind = 'pipeR' | 'pipeW' | 'unix' | 'tcp' | 'listen4' | 'listen6' | 'udp' | 'file' | 'raw';

export interface FdEntry {
  fd: number;
  kind: FdKind;
  /** Set when a Socket object owns the fd: it must be closed through the Socket. */
  socket?: Socket;
}

export interface SelectorModel {
  sel: BaseSelector<unknown>;
  /** fd → events, as the model expects `getMap()` to show it. */
  regs: Map<number, number>;
  closed: boolean;
}

export interface LoopModel {
  loop: EventLoop;
  closed: boolean;
  /** fd → directions added with addReader/addWriter. */
  io: Map<number, { r: boolean; w: boolean; entry?: FdEntry | undefined }>;
  /**
   * False once awaitable operations used this loop: they add and remove readers
   * internally, so `registeredFds` can no longer be predicted exactly.
   */
  exact: boolean;
}

export interface Pending {
  promise: Promise<unknown>;
  what: string;
  /** True when closing every loop, socket and fd must settle it (DESIGN.md decision 13). */
  mustSettle: boolean;
  settled: boolean;
}

export interface RunLimits {
  /** Whether SharedArrayBuffer-backed views may be passed to the addon. */
  sabSafe: boolean;
  /** How long pending operations get to settle after cleanup. */
  settleMs: number;
}

/**
 * Values the harness handed to the library as reasons or results (abort reasons,
 * `cancel(reason)`, `setException(value)`): the library may rethrow them unchanged.
 */
export class UserValues {
  #objects = new WeakSet<object>();
  #primitives = new Set<unknown>();
  add(value: unknown): void {
    if ((typeof value === 'object' && value !== null) || typeof value === 'function') this.#objects.add(value);
    else this.#primitives.add(value);
  }
  has(value: unknown): boolean {
    if ((typeof value === 'object' && value !== null) || typeof value === 'function') return this.#objects.has(value);
    // NaN-safe: Set uses SameValueZero.
    return this.#primitives.has(value);
  }
}

/** The harness's view of one fuzz run. */
export class World {
  readonly fds: FdEntry[] = [];
  /** Numbers the model closed; they may have been handed out again since. */
  readonly stale: number[] = [];
  readonly selectors: SelectorModel[] = [];
  readonly loops: LoopModel[] = [];
  readonly pending: Pending[] = [];
  readonly controllers: AbortController[] = [];
  /** Every Socket created in the run, open or closed (closed ones test use-after-close). */
  readonly sockets: Socket[] = [];
  /** Handles from callSoon/callLater/callAt, to cancel later. */
  readonly handles: { cancel(): void }[] = [];
  /** Futures, tasks, groups and sync primitives, by kind. */
  readonly things = new Map<string, unknown[]>();
  /** Set once cleanup started: late results (an accepted Socket) are closed at once. */
  cleaned = false;
  /** Values the harness itself created that the library may legitimately rethrow. */
  readonly userValues = new UserValues();
  readonly failures: Failure[] = [];
  readonly log: string[] = [];
  /** The op being executed, for failures reported from callbacks. */
  current = '';
  /** The name of the op being executed: the stable part of a failure's identity. */
  currentApi = '';
  opsDone = 0;

  constructor(readonly limits: RunLimits, readonly filePath: string) {}

  addFd(fd: number, kind: FdKind, socket?: Socket): FdEntry {
    // A number the model believed closed is open again: it is no longer stale.
    const i = this.stale.indexOf(fd);
    if (i >= 0) this.stale.splice(i, 1);
    const entry: FdEntry = socket === undefined ? { fd, kind } : { fd, kind, socket };
    this.fds.push(entry);
    return entry;
  }

  /** Forgets an fd the library or harness just closed. */
  dropFd(fd: number): void {
    const i = this.fds.findIndex((e) => e.fd === fd);
    if (i >= 0) this.fds.splice(i, 1);
    if (!this.stale.includes(fd)) this.stale.push(fd);
    if (this.stale.length > 16) this.stale.shift();
  }

  fdAt(slot: number): FdEntry | undefined {
    return this.fds.length === 0 ? undefined : this.fds[slot % this.fds.length];
  }

  ownsFd(fd: number): boolean {
    return this.fds.some((e) => e.fd === fd);
  }

  /** Closes an fd the harness owns, through its Socket if it has one. */
  closeOwned(entry: FdEntry): void {
    this.dropFd(entry.fd);
    if (entry.socket !== undefined) entry.socket.close();
    else sys.close(entry.fd);
  }

  track(promise: Promise<unknown>, what: string, mustSettle: boolean, onReject: (error: unknown) => void): void {
    const pending: Pending = { promise, what, mustSettle, settled: false };
    this.pending.push(pending);
    promise.then(
      () => {
        pending.settled = true;
      },
      (error: unknown) => {
        pending.settled = true;
        onReject(error);
      },
    );
  }

  /** Turns a spec into a value. `sel`/`loop` name the object a callback belongs to. */
  resolve(spec: Spec, ctx: { loop?: LoopModel; fd?: number } = {}): unknown {
    switch (spec.k) {
      case 'num':
      case 'str':
      case 'bool':
      case 'nil':
        return spec.v;
      case 'fd':
        return this.fdAt(spec.slot)?.fd ?? kNeverOpenFd;
      case 'stale':
        return this.stale.length === 0 ? kNeverOpenFd : this.stale[spec.slot % this.stale.length]!;
      case 'fdObj':
        return this.#fileObject(spec.how, spec.slot);
      case 'hostile':
        return makeHostile(spec.h);
      case 'buf':
        return makeBuffer(spec.spec);
      case 'cb':
        return this.makeCallback(spec.cb, ctx);
      case 'opts':
        return this.#options(spec.o);
      case 'addr':
        return this.#address(spec.spec);
      case 'list':
        return spec.items.map((item) => this.resolve(item, ctx));
      case 'range':
        return { offset: this.resolve(spec.offset), count: this.resolve(spec.count) };
      case 'flags': {
        const { k: _, ...options } = spec;
        return options;
      }
    }
  }

  #fileObject(how: 'fd' | 'fileno' | 'filenoThrows' | 'filenoNaN' | 'filenoFlips' | 'socket', slot: number): unknown {
    const entry = this.fdAt(slot);
    const fd = entry?.fd ?? kNeverOpenFd;
    switch (how) {
      case 'fd':
        return { fd };
      case 'fileno':
        return { fileno: () => fd };
      case 'filenoThrows':
        return {
          fileno: () => {
            throw new HostileTrap('fileno');
          },
        };
      case 'filenoNaN':
        return { fileno: () => NaN };
      case 'filenoFlips': {
        // A handle that is "closed" after its first use: fileno() then returns -1.
        let calls = 0;
        return { fileno: () => (calls++ === 0 ? fd : -1) };
      }
      case 'socket':
        return this.fds.find((e, i) => e.socket !== undefined && i >= slot % Math.max(1, this.fds.length))?.socket ??
          this.fds.find((e) => e.socket !== undefined)?.socket ?? { fd };
    }
  }

  #options(o: OptsSpec): unknown {
    switch (o) {
      case 'undefined':
        return undefined;
      case 'empty':
        return {};
      case 'null':
        return null;
      case 'liveSignal': {
        const c = new AbortController();
        this.controllers.push(c);
        return { signal: c.signal };
      }
      case 'abortedSignal': {
        const reason = new HostileTrap('abort reason');
        return { signal: AbortSignal.abort(reason) };
      }
      case 'abortedNoReason': {
        const signal = AbortSignal.abort();
        this.userValues.add(signal.reason);
        return { signal };
      }
      case 'fakeSignal':
        return { signal: {} };
      case 'signalGetterThrows':
        return makeHostile('getterThrows');
      case 'proxyThrows':
        return makeHostile('proxyThrows');
      case 'nullProto':
        return Object.create(null) as object;
      case 'string':
        return 'options';
      case 'number':
        return 42;
    }
  }

  #address(a: AddrSpec): unknown {
    switch (a.a) {
      case 'listener': {
        const listeners = this.fds.filter((e) => e.kind === 'listen4' || e.kind === 'listen6');
        const l = listeners.length === 0 ? undefined : listeners[a.slot % listeners.length]!;
        if (l === undefined) return { family: 'IPv4', address: '127.0.0.1', port: 1 };
        try {
          return sys.getsockname(l.fd);
        } catch {
          return { family: 'IPv4', address: '127.0.0.1', port: 1 };
        }
      }
      case 'lo4':
        return { family: 'IPv4', address: '127.0.0.1', port: a.port };
      case 'lo6':
        return { family: 'IPv6', address: '::1', port: a.port };
      case 'any4':
        return { family: 'IPv4', address: '0.0.0.0', port: 0 };
      case 'abstractUnix':
        return { family: 'unix', path: `\0ioreactor-fuzz-${process.pid}-${a.n}` };
      case 'badFamily':
        return { family: 'IPX', address: '127.0.0.1', port: 0 };
      case 'badAddress':
        return { family: 'IPv4', address: a.s, port: 0 };
      case 'badPort':
        return { family: 'IPv4', address: '127.0.0.1', port: a.port };
      case 'missingFields':
        return { family: 'IPv4' };
      case 'hostLocal':
        return { host: 'localhost', port: 1 };
      case 'hostBadType':
        return { host: 42, port: 1 };
      case 'portGetterThrows': {
        const o = { family: 'IPv4', address: '127.0.0.1' };
        Object.defineProperty(o, 'port', {
          get: () => {
            throw new HostileTrap('port getter');
          },
          enumerable: true,
        });
        return o;
      }
      case 'hostile':
        return makeHostile(a.h);
    }
  }

  /**
   * A callback with a behaviour. Everything it does is guarded: errors it catches are
   * judged by `judge` (set by the op runner), so a defect inside a re-entrant call is
   * reported against the op that installed the callback.
   */
  makeCallback(cb: CbSpec, ctx: { loop?: LoopModel; fd?: number }): (...args: unknown[]) => unknown {
    const where = `${this.currentApi} callback ${cb}`;
    const guard = (what: string, fn: () => void): void => {
      try {
        fn();
      } catch (error) {
        this.judge(error, `${where}: ${what}`);
      }
    };
    switch (cb) {
      case 'noop':
        return () => undefined;
      case 'throwTrap':
        return () => {
          throw new HostileTrap('callback');
        };
      case 'closeLoop':
        return () => {
          const l = ctx.loop;
          if (l === undefined) return;
          guard('loop.close()', () => {
            l.loop.close();
            l.closed = true;
            l.io.clear();
          });
        };
      case 'removeSelf':
        return (fd: unknown) => {
          const l = ctx.loop;
          if (l === undefined || typeof fd !== 'number') return;
          guard('removeReader/removeWriter(self)', () => {
            l.loop.removeReader(fd);
            l.loop.removeWriter(fd);
            l.io.delete(fd);
          });
        };
      case 'closeOwnFd':
        return (fd: unknown) => {
          // Only an fd the harness owns: never one the library or Node holds.
          const entry = this.fds.find((e) => e.fd === fd && e.socket === undefined);
          if (entry === undefined) return;
          guard('close(own fd) behind the loop', () => this.closeOwned(entry));
        };
      case 'notifyAndClose':
        return (fd: unknown) => {
          const l = ctx.loop;
          const entry = this.fds.find((e) => e.fd === fd && e.socket === undefined);
          if (l === undefined || entry === undefined) return;
          guard('notifyClosing + close(own fd)', () => {
            if (!l.closed) l.loop.notifyClosing(entry.fd);
            l.io.delete(entry.fd);
            l.exact = false;
            this.closeOwned(entry);
          });
        };
      case 'addAnother':
        return () => {
          const l = ctx.loop;
          const other = this.fds.find((e) => e.kind !== 'file' && e.fd !== ctx.fd);
          if (l === undefined || other === undefined || l.closed) return;
          guard('addReader(other fd)', () => {
            l.loop.addReader(other.fd, () => undefined);
            const io = l.io.get(other.fd) ?? { r: false, w: false };
            io.r = true;
            l.io.set(other.fd, io);
          });
        };
      case 'rejectTrap':
        return () => {
          const p = Promise.resolve().then(() => {
            throw new HostileTrap('async callback');
          });
          // Marked handled so a caller that ignores the result (a done callback) is not
          // reported; a caller that awaits it still sees the rejection.
          p.catch(() => undefined);
          return p;
        };
      case 'waitAbort':
        return (signal: unknown) =>
          new Promise((_resolve, reject) => {
            if (!(signal instanceof AbortSignal)) return;
            if (signal.aborted) reject(signal.reason);
            else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
          });
      case 'sleep1':
        return () =>
          new Promise<void>((resolve) => {
            // Plain Node timer: a task function should not depend on the loop under test.
            setTimeout(resolve, 1);
          });
    }
  }

  /** Set by the op runner: classifies an error; `api` names where it surfaced. */
  judge: (error: unknown, api: string) => void = () => undefined;

  /**
   * Cheap checks after every step: selector maps match the model, loops with only
   * addReader/addWriter use have the predicted registration count, and every fd the model
   * owns is still open (the library closed nothing it does not own).
   */
  checkInvariants(): string | undefined {
    for (const [i, s] of this.selectors.entries()) {
      if (s.closed !== s.sel.closed) return `selector #${i}: closed is ${s.sel.closed}, model says ${s.closed}`;
      if (s.closed) continue;
      const map = s.sel.getMap();
      if (map === null) return `selector #${i}: getMap() is null while open`;
      if (map.size !== s.regs.size) {
        return `selector #${i} (${s.sel.backend}): getMap().size is ${map.size}, model has ${s.regs.size} registrations [${[...s.regs.keys()].join(',')}] vs [${[...map.keys()].join(',')}]`;
      }
      for (const fd of s.regs.keys()) if (!map.has(fd)) return `selector #${i}: fd ${fd} missing from getMap()`;
    }
    for (const [i, l] of this.loops.entries()) {
      if (l.closed !== l.loop.closed) return `loop #${i}: closed is ${l.loop.closed}, model says ${l.closed}`;
      if (l.closed || !l.exact) continue;
      if (l.loop.registeredFds !== l.io.size) {
        return `loop #${i}: registeredFds is ${l.loop.registeredFds}, model has ${l.io.size} [${[...l.io.keys()].join(',')}]`;
      }
    }
    for (const e of this.fds) {
      try {
        fstatSync(e.fd);
      } catch {
        return `fd ${e.fd} (${e.kind}${e.socket ? ', Socket' : ''}) owned by the model is no longer open`;
      }
    }
    return undefined;
  }

  /**
   * Closes everything: Sockets, loops (and the default loop), selectors, then the fds.
   * Returns the pending operations that must settle but have not yet.
   */
  async cleanup(): Promise<Pending[]> {
    this.cleaned = true;
    for (const e of [...this.fds]) {
      if (e.socket === undefined) continue;
      try {
        this.closeOwned(e);
      } catch (error) {
        this.judge(error, 'cleanup: Socket.close()');
      }
    }
    for (const l of this.loops) {
      try {
        l.loop.close();
      } catch (error) {
        this.judge(error, 'cleanup: loop.close()');
      }
      l.closed = true;
    }
    try {
      getEventLoop().close();
    } catch (error) {
      this.judge(error, 'cleanup: default loop close()');
    }
    for (const s of this.selectors) {
      try {
        s.sel.close();
      } catch (error) {
        this.judge(error, 'cleanup: selector.close()');
      }
    }
    for (const e of [...this.fds]) {
      try {
        this.closeOwned(e);
      } catch (error) {
        this.judge(error, `cleanup: close(${e.fd})`);
      }
    }
    const deadline = Date.now() + this.limits.settleMs;
    const waiting = (): Pending[] => this.pending.filter((p) => p.mustSettle && !p.settled);
    while (waiting().length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const stuck = waiting();
    // Free whatever waits only on a harness signal (sync primitives, task functions).
    for (const c of this.controllers) c.abort(new HostileTrap('cleanup abort'));
    return stuck;
  }
}
