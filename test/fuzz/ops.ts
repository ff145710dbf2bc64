/**
 * The operations the fuzz performs: one entry per public API call (plus resource
 * creation and "let the loop turn"), each with the arbitraries for its arguments and the
 * model update that follows success. Calls go through `invoke` with `unknown` arguments on
 * purpose: the point is to pass what the types forbid.
 */
import { openSync, readdirSync, readlinkSync } from 'node:fs';
import fc from 'fast-check';
import {
  Barrier,
  BoundedSemaphore,
  Condition,
  createTask,
  DefaultSelector,
  EpollSelector,
  Event,
  EventLoop,
  Future,
  asCompleted,
  Lock,
  PollSelector,
  PriorityQueue,
  Queue,
  SelectSelector,
  Semaphore,
  shield,
  sleep,
  Socket,
  SystemError,
  TaskGroup,
  timeout,
  timeoutAt,
  type BaseSelector,
  type SelectorKey,
  Waker,
} from '../../lib/index.js';
import * as sys from '../../lib/sys.js';
import { failure } from './oracle.js';
import type { FdEntry, LoopModel, World } from './world.js';
import {
  addrArb, bufArb, HostileTrap, bufOrJunkArb, cbArb, countArb, delayArb, eventsArb, fdArb, fileObjArb, junkArb,
  lookFdArb, nonBlockingTimeoutArb, optCountArb, optsArb, type Spec,
} from './values.js';

/** What an op's run returns; a Promise is tracked and its rejection judged. */
export interface OpDef {
  name: string;
  args: fc.Arbitrary<Spec>[];
  run(w: World, a: Spec[]): unknown;
  /** For async ops: whether closing everything must settle the Promise. */
  mustSettle?: boolean;
}

export interface Op {
  op: string;
  args: Spec[];
}

/** Calls `target[method](...args)` whatever the declared types say. */
export function invoke(target: unknown, method: string, args: unknown[]): unknown {
  const fn = (target as Record<string, unknown>)[method];
  if (typeof fn !== 'function') throw new Error(`fuzz harness: no method ${method}`);
  return (fn as (...a: unknown[]) => unknown).apply(target, args);
}

const slot = (n = 15): fc.Arbitrary<Spec> => fc.nat({ max: n }).map((v): Spec => ({ k: 'num', v }));
const idx = (s: Spec | undefined): number => (s?.k === 'num' && Number.isInteger(s.v) ? Math.abs(s.v) : 0);
const pick = <T>(list: readonly T[], s: Spec | undefined): T | undefined => (list.length === 0 ? undefined : list[idx(s) % list.length]);
const kMaxFds = 24;
const selectorClasses: (new () => BaseSelector<unknown>)[] = [DefaultSelector, EpollSelector, PollSelector, SelectSelector];

function thing<T>(w: World, kind: string, s: Spec | undefined): T | undefined {
  return pick((w.things.get(kind) ?? []) as T[], s);
}
function keep(w: World, kind: string, value: unknown): unknown {
  const list = w.things.get(kind) ?? [];
  list.push(value);
  if (list.length > 8) list.shift();
  w.things.set(kind, list);
  return value;
}

/** Keeps the model's fd population bounded: the oldest harness-owned fd goes first. */
function makeRoom(w: World): void {
  while (w.fds.length >= kMaxFds) w.closeOwned(w.fds[0]!);
}

function adoptSocketIfAny(w: World, value: unknown): void {
  const s = Array.isArray(value) ? value[0] : undefined;
  if (!(s instanceof Socket)) return;
  if (w.cleaned) {
    s.close();
    return;
  }
  w.sockets.push(s);
  w.addFd(s.fileno(), 'tcp', s);
}

/** After any Socket call: a Socket that closed itself leaves the model. */
function syncSockets(w: World): void {
  for (const e of [...w.fds]) if (e.socket?.closed) w.dropFd(e.fd);
}

function loopOf(w: World, s: Spec | undefined): LoopModel | undefined {
  return pick(w.loops, s);
}

/** The fd a file-object spec names, without calling anything on it. */
function intendedFd(w: World, s: Spec): number | undefined {
  if (s.k === 'fd' || s.k === 'stale') return w.resolve(s) as number;
  if (s.k === 'fdObj' && s.how !== 'filenoThrows' && s.how !== 'filenoNaN') return w.fdAt(s.slot)?.fd;
  return undefined;
}

function ioAdd(w: World, a: Spec[], reader: boolean): void {
  const l = loopOf(w, a[0]);
  if (l === undefined) return;
  const fd = w.resolve(a[1]!);
  const cb = w.resolve(a[2]!, { loop: l, fd: typeof fd === 'number' ? fd : undefined });
  try {
    invoke(l.loop, reader ? 'addReader' : 'addWriter', [fd, cb]);
  } catch (error) {
    // A kernel refusal on the modify path drops the whole fd (both directions).
    if (error instanceof SystemError && typeof fd === 'number') l.io.delete(fd);
    throw error;
  }
  const n = fd as number;
  const io = l.io.get(n) ?? { r: false, w: false, entry: w.fds.find((e) => e.fd === n) };
  if (reader) io.r = true;
  else io.w = true;
  l.io.set(n, io);
}

function ioRemove(w: World, a: Spec[], reader: boolean): unknown {
  const l = loopOf(w, a[0]);
  if (l === undefined) return undefined;
  const fd = w.resolve(a[1]!);
  const removed = invoke(l.loop, reader ? 'removeReader' : 'removeWriter', [fd]);
  const io = typeof fd === 'number' ? l.io.get(fd) : undefined;
  if (removed === true && io !== undefined) {
    if (reader) io.r = false;
    else io.w = false;
    // The other direction survives only if the kernel still knows this same file.
    const sameFile = io.entry !== undefined && w.fds.includes(io.entry);
    if ((!io.r && !io.w) || !sameFile) l.io.delete(fd as number);
  }
  return removed;
}

function selOp(w: World, a: Spec[], method: 'register' | 'modify' | 'unregister' | 'getKey'): unknown {
  const s = pick(w.selectors, a[0]);
  if (s === undefined) return undefined;
  const target = intendedFd(w, a[1]!);
  const args = a.slice(1).map((x) => w.resolve(x));
  let key: SelectorKey<unknown>;
  try {
    key = invoke(s.sel, method, args) as SelectorKey<unknown>;
  } catch (error) {
    // modify() that the kernel refuses removes the registration (bpo-30014).
    if (method === 'modify' && error instanceof SystemError && target !== undefined) s.regs.delete(target);
    throw error;
  }
  if (method === 'register' || method === 'modify') s.regs.set(key.fd, key.events);
  else if (method === 'unregister') s.regs.delete(key.fd);
  return key;
}

const optFlag = fc.option(fc.boolean(), { nil: undefined });
/** Registration options for register/modify: well-formed (any flag mix) or junk. */
const regOptionsArb: fc.Arbitrary<Spec> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ edge: optFlag, oneshot: optFlag, exclusive: optFlag }, { requiredKeys: [] }).map((v): Spec => ({ k: 'flags', ...v })),
  },
  { weight: 1, arbitrary: junkArb },
);

const socketOf = (w: World, s: Spec | undefined): Socket | undefined => pick(w.sockets, s);

function sockCall(w: World, a: Spec[], method: string): unknown {
  const s = socketOf(w, a[0]);
  if (s === undefined) return undefined;
  // Socket operations wait through their loop's readers: its count is no longer predictable.
  for (const l of w.loops) if (l.loop === s.loop) l.exact = false;
  try {
    const r = invoke(s, method, a.slice(1).map((x) => w.resolve(x)));
    if (r instanceof Promise) return r.then((v: unknown) => (adoptSocketIfAny(w, v), v));
    return r;
  } finally {
    syncSockets(w);
  }
}

function loopCall(w: World, a: Spec[], method: string): unknown {
  const l = loopOf(w, a[0]);
  if (l === undefined) return undefined;
  l.exact = false;
  const r = invoke(l.loop, method, a.slice(1).map((x) => w.resolve(x, { loop: l })));
  if (r instanceof Promise) return r.then((v: unknown) => (adoptSocketIfAny(w, v), v));
  return r;
}

const optNames: fc.Arbitrary<Spec> = fc.oneof(
  fc.constantFrom('SO_REUSEADDR', 'SO_KEEPALIVE', 'SO_RCVBUF', 'SO_SNDBUF', 'SO_ERROR', 'SO_TYPE', 'TCP_NODELAY', 'IPV6_V6ONLY', 'SO_BROADCAST', 'SO_LINGER').map((v): Spec => ({ k: 'str', v })),
  junkArb,
);
const optValue: fc.Arbitrary<Spec> = fc.oneof(fc.constantFrom(0, 1, 4096, 2 ** 31 - 1).map((v): Spec => ({ k: 'num', v })), fc.boolean().map((v): Spec => ({ k: 'bool', v })), junkArb);
const familyArb: fc.Arbitrary<Spec> = fc.oneof(fc.constantFrom(sys.AF_INET, sys.AF_INET6, sys.AF_UNIX, 2 ** 32 + sys.AF_INET, 9999).map((v): Spec => ({ k: 'num', v })), junkArb);
const typeArb: fc.Arbitrary<Spec> = fc.oneof(fc.constantFrom(sys.SOCK_STREAM, sys.SOCK_DGRAM, sys.SOCK_SEQPACKET, 2 ** 32 + 1, 0).map((v): Spec => ({ k: 'num', v })), junkArb);
const strOr = (...v: string[]): fc.Arbitrary<Spec> => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...v).map((s): Spec => ({ k: 'str', v: s })) }, { weight: 1, arbitrary: junkArb });
const bufsArb: fc.Arbitrary<Spec[]> = fc.array(bufArb, { maxLength: 4 });

/**
 * `new Socket(options)`, checking that a constructor that throws after creating its
 * socket closes it. A leak is reported as its own failure and closed here, so the run's
 * leak check stays meaningful.
 */
function constructSocket(w: World, options: unknown, api: string): Socket {
  // By link target, not number: listing /proc/self/fd uses an fd the socket may then reuse.
  const before = new Set(readdirSync('/proc/self/fd').map((fd) => `${fd}:${readlinkOr(fd)}`));
  try {
    return new Socket(options as ConstructorParameters<typeof Socket>[0]);
  } catch (error) {
    const leaked = readdirSync('/proc/self/fd').filter((fd) => !before.has(`${fd}:${readlinkOr(fd)}`) && readlinkOr(fd).startsWith('socket:'));
    for (const fd of leaked) sys.close(Number(fd));
    if (leaked.length > 0) w.failures.push({ ...failure('fd-leak', api, 'the constructor threw and left its new socket fd open'), detail: `the constructor threw (${String(error)}) and left its new socket fd open\n      in ${w.current}` });
    throw error;
  }
}

function newSocket(w: World, family: unknown, type: unknown, loop: LoopModel | undefined): unknown {
  makeRoom(w);
  const options = { family, type, ...(loop === undefined ? {} : { loop: loop.loop }) };
  const s = constructSocket(w, options, 'Socket.new');
  w.sockets.push(s);
  if (w.sockets.length > 12) w.sockets.shift();
  w.addFd(s.fileno(), s.type === 'dgram' ? 'udp' : 'tcp', s);
  return s;
}

export const OPS: readonly OpDef[] = [
  // ---- resources -------------------------------------------------------------------
  { name: 'pipe', args: [], run: (w) => (makeRoom(w), ((p) => (w.addFd(p[0], 'pipeR'), w.addFd(p[1], 'pipeW')))(sys.pipe())) },
  { name: 'socketpair', args: [], run: (w) => (makeRoom(w), ((p) => (w.addFd(p[0], 'unix'), w.addFd(p[1], 'unix')))(sys.socketpair())) },
  {
    name: 'tcpListener',
    args: [fc.boolean().map((v): Spec => ({ k: 'bool', v }))],
    run: (w, [v6]) => {
      makeRoom(w);
      const ipv6 = v6?.k === 'bool' && v6.v;
      const e = w.addFd(sys.socket(ipv6 ? sys.AF_INET6 : sys.AF_INET, sys.SOCK_STREAM), ipv6 ? 'listen6' : 'listen4');
      sys.bind(e.fd, ipv6 ? { family: 'IPv6', address: '::1', port: 0 } : { family: 'IPv4', address: '127.0.0.1', port: 0 });
      sys.listen(e.fd, 8);
    },
  },
  { name: 'tcpConnect', args: [addrArb], run: (w, [addr]) => (makeRoom(w), sys.connect(w.addFd(sys.socket(sys.AF_INET, sys.SOCK_STREAM), 'tcp').fd, w.resolve(addr!) as sys.SocketAddress)) },
  { name: 'udp', args: [], run: (w) => (makeRoom(w), sys.bind(w.addFd(sys.socket(sys.AF_INET, sys.SOCK_DGRAM), 'udp').fd, { family: 'IPv4', address: '127.0.0.1', port: 0 })) },
  { name: 'openFile', args: [], run: (w) => (makeRoom(w), w.addFd(openSync(w.filePath, 'r'), 'file')) },
  { name: 'closeFd', args: [fdArb], run: (w, [fd]) => closeFd(w, fd!) },
  { name: 'tick', args: [fc.boolean().map((v): Spec => ({ k: 'bool', v }))], run: (_w, [t]) => new Promise((r) => (t?.k === 'bool' && t.v ? setTimeout(r, 2) : setImmediate(() => setImmediate(r)))), mustSettle: true },
  { name: 'abortSignal', args: [slot()], run: (w, [s]) => pick(w.controllers, s)?.abort(new HostileTrap('fuzz abort')) },
  // ---- ioreactor/sys ---------------------------------------------------------------
  { name: 'sys.read', args: [fdArb, bufOrJunkArb, optCountArb, optCountArb], run: (w, a) => sys.read(...(a.map((x) => w.resolve(x)) as [number, Buffer])) },
  { name: 'sys.write', args: [fdArb, bufOrJunkArb, optCountArb, optCountArb], run: (w, a) => sys.write(...(a.map((x) => w.resolve(x)) as [number, Buffer])) },
  { name: 'sys.dup', args: [fdArb], run: (w, [fd]) => dupFd(w, fd!) },
  { name: 'sys.dup2', args: [fdArb, fdArb], run: (w, [a, b]) => dup2Fd(w, a!, b!) },
  { name: 'sys.setNonBlocking', args: [fdArb, fc.oneof(fc.boolean().map((v): Spec => ({ k: 'bool', v })), junkArb)], run: (w, [fd, on]) => setNonBlocking(w, fd!, on!) },
  { name: 'sys.getrlimitNofile', args: [], run: () => sys.getrlimitNofile() },
  // Only values that must be refused: a lower limit would break the process running the fuzz.
  { name: 'sys.setrlimitNofile', args: [junkArb], run: (w, [v]) => setrlimitRefused(w, v!) },
  { name: 'sys.socket', args: [familyArb, typeArb, fc.oneof(fc.constant<Spec>({ k: 'num', v: 0 }), junkArb)], run: (w, a) => socketCall(w, a) },
  { name: 'sys.bind', args: [fdArb, addrArb], run: (w, a) => sys.bind(...(a.map((x) => w.resolve(x)) as [number, sys.SocketAddress])) },
  { name: 'sys.listen', args: [fdArb, optCountArb], run: (w, a) => sys.listen(...(a.map((x) => w.resolve(x)) as [number, number])) },
  { name: 'sys.accept', args: [fdArb], run: (w, [fd]) => acceptCall(w, fd!) },
  { name: 'sys.connect', args: [fdArb, addrArb], run: (w, a) => sys.connect(...(a.map((x) => w.resolve(x)) as [number, sys.SocketAddress])) },
  { name: 'sys.getsockname', args: [lookFdArb], run: (w, [fd]) => sys.getsockname(w.resolve(fd!) as number) },
  { name: 'sys.getpeername', args: [lookFdArb], run: (w, [fd]) => sys.getpeername(w.resolve(fd!) as number) },
  { name: 'sys.recv', args: [fdArb, countArb], run: (w, a) => sys.recv(...(a.map((x) => w.resolve(x)) as [number, number])) },
  { name: 'sys.recvInto', args: [fdArb, bufOrJunkArb, optCountArb, optCountArb], run: (w, a) => sys.recvInto(...(a.map((x) => w.resolve(x)) as [number, Buffer])) },
  { name: 'sys.send', args: [fdArb, bufOrJunkArb, optCountArb, optCountArb], run: (w, a) => sys.send(...(a.map((x) => w.resolve(x)) as [number, Buffer])) },
  {
    name: 'sys.sendv',
    args: [fdArb, fc.oneof({ weight: 4, arbitrary: bufsArb.map((items): Spec => ({ k: 'list', items })) }, { weight: 1, arbitrary: junkArb })],
    run: (w, [fd, b]) => sys.sendv(w.resolve(fd!) as number, w.resolve(b!) as Buffer[]),
  },
  { name: 'sys.shutdown', args: [fdArb, fc.oneof(fc.constantFrom(0, 1, 2, 3, -1).map((v): Spec => ({ k: 'num', v })), junkArb)], run: (w, a) => sys.shutdown(...(a.map((x) => w.resolve(x)) as [number, number])) },
  { name: 'sys.getsockopt', args: [lookFdArb, optNames], run: (w, a) => sys.getsockopt(...(a.map((x) => w.resolve(x)) as [number, 'SO_ERROR'])) },
  { name: 'sys.setsockopt', args: [fdArb, optNames, optValue], run: (w, a) => sys.setsockopt(...(a.map((x) => w.resolve(x)) as [number, 'SO_ERROR', number])) },
  { name: 'sys.recvFrom', args: [fdArb, bufOrJunkArb, optCountArb, optCountArb], run: (w, a) => sys.recvFrom(...(a.map((x) => w.resolve(x)) as [number, Buffer])) },
  { name: 'sys.sendTo', args: [fdArb, addrArb, bufOrJunkArb, optCountArb, optCountArb], run: (w, a) => sys.sendTo(...(a.map((x) => w.resolve(x)) as [number, sys.SocketAddress, Buffer])) },
  { name: 'sys.sendFile', args: [fdArb, fdArb, countArb, countArb], run: (w, a) => sys.sendFile(...(a.map((x) => w.resolve(x)) as [number, number, number, number])) },
  // ---- selectors -------------------------------------------------------------------
  {
    name: 'selector.new',
    args: [slot(3)],
    run: (w, [b]) => {
      const open = w.selectors.filter((s) => !s.closed);
      if (open.length >= 4) (open[0]!.sel.close(), (open[0]!.closed = true), open[0]!.regs.clear());
      w.selectors.push({ sel: new selectorClasses[idx(b) % selectorClasses.length]!(), regs: new Map(), closed: false });
    },
  },
  { name: 'selector.register', args: [slot(), fileObjArb, eventsArb, fc.integer().map((v): Spec => ({ k: 'num', v }))], run: (w, a) => selOp(w, a, 'register') },
  { name: 'selector.modify', args: [slot(), fileObjArb, eventsArb, fc.integer().map((v): Spec => ({ k: 'num', v }))], run: (w, a) => selOp(w, a, 'modify') },
  // register/modify with registration options (edge/oneshot/exclusive), valid or junk.
  { name: 'selector.registerWith', args: [slot(), fileObjArb, eventsArb, junkArb, regOptionsArb], run: (w, a) => selOp(w, a, 'register') },
  { name: 'selector.modifyWith', args: [slot(), fileObjArb, eventsArb, junkArb, regOptionsArb], run: (w, a) => selOp(w, a, 'modify') },
  {
    name: 'selector.waker',
    args: [slot()],
    run: (w, [s]) => {
      const m = pick(w.selectors, s);
      if (m === undefined) return undefined;
      const waker = m.sel.waker();
      m.regs.set(-1, 1); // the waker's key, under fd -1 in getMap()
      return waker.wake();
    },
  },
  // Any handle: junk, or small ids (those of this process's selectors, open or closed).
  {
    name: 'Waker.wake',
    args: [fc.oneof(junkArb, fc.integer({ min: -2, max: 64 }).map((v): Spec => ({ k: 'num', v })))],
    run: (w, [h]) => Waker.fromHandle(w.resolve(h!) as number).wake(),
  },
  { name: 'selector.unregister', args: [slot(), fileObjArb], run: (w, a) => selOp(w, a, 'unregister') },
  { name: 'selector.getKey', args: [slot(), fileObjArb], run: (w, a) => selOp(w, a, 'getKey') },
  { name: 'selector.select', args: [slot(), nonBlockingTimeoutArb], run: (w, [s, t]) => pick(w.selectors, s)?.sel.select(w.resolve(t!) as number) },
  {
    name: 'selector.getMap',
    args: [slot(), fileObjArb],
    run: (w, [s, f]) => {
      const map = pick(w.selectors, s)?.sel.getMap();
      if (map == null) return undefined;
      const x = w.resolve(f!) as number;
      return [map.size, map.has(x), map.get(x), [...map.keys()], [...map.entries()]];
    },
  },
  {
    name: 'selector.close',
    args: [slot(), fc.boolean().map((v): Spec => ({ k: 'bool', v }))],
    run: (w, [s, dispose]) => {
      const m = pick(w.selectors, s);
      if (m === undefined) return;
      if (dispose?.k === 'bool' && dispose.v) m.sel[Symbol.dispose]();
      else m.sel.close();
      m.closed = true;
      m.regs.clear();
    },
  },
  // ---- EventLoop -------------------------------------------------------------------
  {
    name: 'loop.new',
    args: [fc.oneof(optsArb, fc.constantFrom('epoll', 'poll', 'select', 'kqueue', 'nope').map((v): Spec => ({ k: 'str', v })), junkArb)],
    run: (w, [o]) => {
      const open = w.loops.filter((l) => !l.closed);
      if (open.length >= 3) (open[0]!.loop.close(), (open[0]!.closed = true), open[0]!.io.clear());
      const raw = w.resolve(o!);
      const loop = new EventLoop((typeof raw === 'string' ? { backend: raw } : raw) as ConstructorParameters<typeof EventLoop>[0]);
      w.loops.push({ loop, closed: false, io: new Map(), exact: true });
      installHandler(w, loop);
    },
  },
  { name: 'loop.addReader', args: [slot(), lookFdArb, cbArb], run: (w, a) => ioAdd(w, a, true) },
  { name: 'loop.addWriter', args: [slot(), lookFdArb, cbArb], run: (w, a) => ioAdd(w, a, false) },
  { name: 'loop.removeReader', args: [slot(), lookFdArb], run: (w, a) => ioRemove(w, a, true) },
  { name: 'loop.removeWriter', args: [slot(), lookFdArb], run: (w, a) => ioRemove(w, a, false) },
  { name: 'loop.callSoon', args: [slot(), cbArb], run: (w, [l, cb]) => w.handles.push(invoke(loopOf(w, l)?.loop, 'callSoon', [w.resolve(cb!, { loop: loopOf(w, l) })]) as { cancel(): void }) },
  { name: 'loop.callLater', args: [slot(), delayArb, cbArb], run: (w, [l, d, cb]) => w.handles.push(invoke(loopOf(w, l)?.loop, 'callLater', [w.resolve(d!), w.resolve(cb!, { loop: loopOf(w, l) })]) as { cancel(): void }) },
  { name: 'loop.callAt', args: [slot(), delayArb, cbArb], run: (w, [l, d, cb]) => w.handles.push(invoke(loopOf(w, l)?.loop, 'callAt', [w.resolve(d!), w.resolve(cb!, { loop: loopOf(w, l) })]) as { cancel(): void }) },
  { name: 'handle.cancel', args: [slot()], run: (w, [h]) => pick(w.handles, h)?.cancel() },
  { name: 'loop.setExceptionHandler', args: [slot(), junkArb], run: (w, [l, h]) => setHandler(w, loopOf(w, l), h!) },
  { name: 'loop.refUnref', args: [slot(), fc.boolean().map((v): Spec => ({ k: 'bool', v }))], run: (w, [l, r]) => (r?.k === 'bool' && r.v ? loopOf(w, l)?.loop.ref() : loopOf(w, l)?.loop.unref()) },
  { name: 'loop.close', args: [slot()], run: (w, [l]) => ((m) => m && (m.loop.close(), (m.closed = true), m.io.clear()))(loopOf(w, l)) },
  { name: 'loop.notifyClosing', args: [slot(), lookFdArb], run: (w, a) => loopCall(w, a, 'notifyClosing') },
  { name: 'loop.waitReadable', args: [slot(), lookFdArb, optsArb], run: (w, a) => loopCall(w, a, 'waitReadable'), mustSettle: true },
  { name: 'loop.waitWritable', args: [slot(), lookFdArb, optsArb], run: (w, a) => loopCall(w, a, 'waitWritable'), mustSettle: true },
  { name: 'loop.sockRecv', args: [slot(), fileObjArb, countArb, optsArb], run: (w, a) => loopCall(w, a, 'sockRecv'), mustSettle: true },
  { name: 'loop.sockRecvInto', args: [slot(), fileObjArb, bufOrJunkArb, optsArb], run: (w, a) => loopCall(w, a, 'sockRecvInto'), mustSettle: true },
  { name: 'loop.sockSendAll', args: [slot(), fileObjArb, bufOrJunkArb, optsArb], run: (w, a) => loopCall(w, a, 'sockSendAll'), mustSettle: true },
  { name: 'loop.sockAccept', args: [slot(), fileObjArb, optsArb], run: (w, a) => loopCall(w, a, 'sockAccept'), mustSettle: true },
  { name: 'loop.sockConnect', args: [slot(), fileObjArb, addrArb, optsArb], run: (w, a) => loopCall(w, a, 'sockConnect'), mustSettle: true },
  { name: 'loop.sockRecvFrom', args: [slot(), fileObjArb, countArb, optsArb], run: (w, a) => loopCall(w, a, 'sockRecvFrom'), mustSettle: true },
  { name: 'loop.sockSendTo', args: [slot(), fileObjArb, bufOrJunkArb, addrArb, optsArb], run: (w, a) => loopCall(w, a, 'sockSendTo'), mustSettle: true },
  {
    name: 'loop.sockSendFile',
    args: [slot(), fileObjArb, fdArb, fc.oneof(optsArb, fc.record({ offset: countArb, count: optCountArb }).map(({ offset, count }): Spec => ({ k: 'range', offset, count })))],
    run: (w, a) => loopCall(w, a, 'sockSendFile'),
    mustSettle: true,
  },
  // ---- Socket ----------------------------------------------------------------------
  { name: 'Socket.new', args: [strOr('IPv4', 'IPv6', 'unix'), strOr('stream', 'dgram'), slot()], run: (w, [f, t, l]) => newSocket(w, w.resolve(f!), w.resolve(t!), idx(l) % 3 === 0 ? undefined : loopOf(w, l)) },
  {
    name: 'Socket.adopt',
    args: [fdArb, slot()],
    run: (w, [fd, l]) => {
      // Never a second Socket over an fd a live Socket owns: when one closes it, the other
      // would later close whatever reuses the number (possibly one of Node's own fds).
      // Reported separately as socket-adopt-double-owner.
      if (w.fds.some((x) => x.fd === w.resolve(fd!) && x.socket !== undefined)) return;
      const e = w.fds.find((x) => x.fd === w.resolve(fd!) && x.socket === undefined);
      const raw = e?.fd ?? w.resolve(fd!);
      const loop = loopOf(w, l)?.loop;
      const s = constructSocket(w, { fd: raw, family: e?.kind === 'listen6' ? 'IPv6' : e?.kind === 'unix' ? 'unix' : 'IPv4', ...(loop ? { loop } : {}) }, 'Socket.new');
      w.sockets.push(s);
      if (e !== undefined) e.socket = s;
      else if (raw === undefined) w.addFd(s.fileno(), 'tcp', s); // no fd given: it made its own
    },
  },
  { name: 'Socket.bind', args: [slot(), addrArb], run: (w, a) => sockCall(w, a, 'bind') },
  { name: 'Socket.listen', args: [slot(), optCountArb], run: (w, a) => sockCall(w, a, 'listen') },
  { name: 'Socket.connect', args: [slot(), addrArb, optsArb], run: (w, a) => sockCall(w, a, 'connect'), mustSettle: true },
  { name: 'Socket.accept', args: [slot(), optsArb], run: (w, a) => sockCall(w, a, 'accept'), mustSettle: true },
  { name: 'Socket.recv', args: [slot(), countArb, optsArb], run: (w, a) => sockCall(w, a, 'recv'), mustSettle: true },
  { name: 'Socket.recvInto', args: [slot(), bufOrJunkArb, optsArb], run: (w, a) => sockCall(w, a, 'recvInto'), mustSettle: true },
  { name: 'Socket.send', args: [slot(), bufOrJunkArb, optsArb], run: (w, a) => sockCall(w, a, 'send'), mustSettle: true },
  { name: 'Socket.sendAll', args: [slot(), bufOrJunkArb, optsArb], run: (w, a) => sockCall(w, a, 'sendAll'), mustSettle: true },
  { name: 'Socket.recvFrom', args: [slot(), countArb, optsArb], run: (w, a) => sockCall(w, a, 'recvFrom'), mustSettle: true },
  { name: 'Socket.sendTo', args: [slot(), bufOrJunkArb, addrArb, optsArb], run: (w, a) => sockCall(w, a, 'sendTo'), mustSettle: true },
  { name: 'Socket.shutdown', args: [slot(), strOr('read', 'write', 'both')], run: (w, a) => sockCall(w, a, 'shutdown') },
  { name: 'Socket.setOption', args: [slot(), optNames, optValue], run: (w, a) => sockCall(w, a, 'setOption') },
  { name: 'Socket.getOption', args: [slot(), optNames], run: (w, a) => sockCall(w, a, 'getOption') },
  { name: 'Socket.addresses', args: [slot()], run: (w, [s]) => ((x) => x && [x.localAddress, x.remoteAddress])(socketOf(w, s)) },
  { name: 'Socket.close', args: [slot()], run: (w, a) => sockCall(w, a, 'close') },
  // ---- tasks, futures, time ----------------------------------------------------------
  { name: 'sleep', args: [delayArb, optsArb], run: (w, [d, o]) => sleep(w.resolve(d!) as number, w.resolve(o!) as {}), mustSettle: true },
  { name: 'timeout', args: [delayArb, cbArb, optsArb], run: (w, [d, f, o]) => timeout(w.resolve(d!) as number, w.resolve(f!) as () => Promise<void>, w.resolve(o!) as {}) },
  { name: 'timeoutAt', args: [delayArb, cbArb, optsArb], run: (w, [d, f, o]) => timeoutAt(w.resolve(d!) as number, w.resolve(f!) as () => Promise<void>, w.resolve(o!) as {}) },
  { name: 'shield', args: [cbArb, optsArb], run: (w, [f, o]) => shield(promiseFrom(w, f!), w.resolve(o!) as {}) },
  { name: 'asCompleted', args: [fc.oneof(fc.array(cbArb, { maxLength: 3 }).map((items): Spec => ({ k: 'list', items })), junkArb)], run: (w, [x]) => asCompletedCall(w, x!) },
  { name: 'createTask', args: [cbArb, fc.oneof(optsArb, junkArb)], run: (w, [f, o]) => keep(w, 'task', createTask(w.resolve(f!) as () => void, w.resolve(o!) as {})) },
  { name: 'task.cancel', args: [slot(), junkArb], run: (w, [t, r]) => ((reason) => (w.userValues.add(reason), thing<Future<unknown>>(w, 'task', t)?.cancel(reason)))(w.resolve(r!)) },
  { name: 'task.result', args: [slot(), fc.boolean().map((v): Spec => ({ k: 'bool', v }))], run: (w, [t, e]) => ((x) => x && (e?.k === 'bool' && e.v ? x.exception() : x.result()))(thing<Future<unknown>>(w, 'task', t)) },
  { name: 'future.new', args: [], run: (w) => keep(w, 'task', new Future<unknown>()) },
  { name: 'future.set', args: [slot(), junkArb, slot(2)], run: (w, [t, v, how]) => futureSet(w, thing<Future<unknown>>(w, 'task', t), w.resolve(v!), idx(how)) },
  { name: 'future.addDoneCallback', args: [slot(), cbArb], run: (w, [t, cb]) => thing<Future<unknown>>(w, 'task', t)?.addDoneCallback(w.resolve(cb!) as () => void) },
  { name: 'TaskGroup.new', args: [fc.oneof(optsArb, junkArb)], run: (w, [o]) => keep(w, 'group', new TaskGroup(w.resolve(o!) as {})) },
  { name: 'TaskGroup.createTask', args: [slot(), cbArb, fc.oneof(optsArb, junkArb)], run: (w, [g, f, o]) => thing<TaskGroup>(w, 'group', g)?.createTask(w.resolve(f!) as () => void, w.resolve(o!) as {}) },
  { name: 'TaskGroup.wait', args: [slot()], run: (w, [g]) => thing<TaskGroup>(w, 'group', g)?.wait() },
  // ---- sync primitives -------------------------------------------------------------
  { name: 'sync.new', args: [slot(7), fc.oneof(fc.constantFrom(0, 1, 2).map((v): Spec => ({ k: 'num', v })), junkArb)], run: (w, [k, v]) => newSync(w, idx(k), w.resolve(v!)) },
  { name: 'sync.call', args: [slot(), fc.constantFrom('acquire', 'release', 'wait', 'set', 'clear', 'notify', 'notifyAll', 'put', 'get', 'putNowait', 'getNowait', 'taskDone', 'join', 'shutdown', 'reset', 'abort', 'waitFor', 'withLock').map((v): Spec => ({ k: 'str', v })), fc.oneof(optsArb, junkArb, cbArb)], run: (w, [s, m, arg]) => syncCall(w, s!, m!, arg!) },
];

// ---- helpers the table uses ---------------------------------------------------------

function readlinkOr(fd: string): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return '';
  }
}

function closeFd(w: World, spec: Spec): void {
  const value = w.resolve(spec);
  const entry = w.fds.find((e) => e.fd === value);
  if (entry === undefined) return sys.close(value as number); // junk or never-open: must be refused
  w.closeOwned(entry);
}

function dupFd(w: World, spec: Spec): number {
  makeRoom(w);
  const value = w.resolve(spec);
  const fd = sys.dup(value as number);
  const src = w.fds.find((e) => e.fd === value);
  w.addFd(fd, src?.kind ?? 'raw');
  return fd;
}

function dup2Fd(w: World, a: Spec, b: Spec): number {
  const from = w.resolve(a);
  const to = w.resolve(b);
  const src = w.fds.find((e) => e.fd === from);
  const dst = w.fds.find((e) => e.fd === to);
  // Only onto an fd the harness owns and no Socket holds (or onto junk, which must be refused).
  if (typeof to === 'number' && Number.isInteger(to) && to >= 0 && to < 1_000_000 && (dst === undefined || dst.socket !== undefined)) return -1;
  const r = sys.dup2(from as number, to as number);
  if (dst !== undefined && src !== undefined && dst !== src) {
    // Same number, new file: a new model entry, so loops see the file changed.
    w.fds.splice(w.fds.indexOf(dst), 1, { fd: dst.fd, kind: src.kind });
  }
  return r;
}

function setNonBlocking(w: World, fdSpec: Spec, on: Spec): void {
  const fd = w.resolve(fdSpec);
  try {
    sys.setNonBlocking(fd as number, w.resolve(on) as boolean);
  } finally {
    // Never leave a harness fd blocking: a later read would hang the fuzz.
    const e = w.fds.find((x) => x.fd === fd);
    if (e !== undefined && e.kind !== 'file') sys.setNonBlocking(e.fd, true);
  }
}

function setrlimitRefused(w: World, v: Spec): void {
  const value = w.resolve(v);
  const before = sys.getrlimitNofile();
  // Numbers that are valid limits are skipped: only refusals are exercised here.
  if (typeof value === 'number' && (value === Infinity || (Number.isInteger(value) && value >= 0))) return;
  try {
    sys.setrlimitNofile(value as number);
  } finally {
    const after = sys.getrlimitNofile();
    if (after.soft !== before.soft) {
      sys.setrlimitNofile(before.soft);
      throw new TypeError(`setrlimitNofile(${String(value)}) changed the limit to ${after.soft}`);
    }
  }
}

function socketCall(w: World, a: Spec[]): unknown {
  makeRoom(w);
  const r = sys.socket(...(a.map((x) => w.resolve(x)) as [number, number, number]));
  if (typeof r === 'number' && r >= 0) w.addFd(r, 'raw');
  return r;
}

function acceptCall(w: World, spec: Spec): unknown {
  makeRoom(w);
  const r = sys.accept(w.resolve(spec) as number);
  if (Array.isArray(r)) w.addFd(r[0], 'tcp');
  return r;
}

function promiseFrom(w: World, s: Spec): PromiseLike<unknown> {
  const f = w.resolve(s);
  if (typeof f !== 'function') return f as PromiseLike<unknown>;
  const c = new AbortController();
  w.controllers.push(c);
  const p = Promise.resolve().then(() => (f as (s: AbortSignal) => unknown)(c.signal));
  p.catch(() => undefined);
  return p;
}

function asCompletedCall(w: World, s: Spec): unknown {
  const inputs = s.k === 'list' ? s.items.map((x) => promiseFrom(w, x)) : w.resolve(s);
  const outs = asCompleted(inputs as PromiseLike<unknown>[]);
  outs.forEach((p, i) => w.track(p, `asCompleted[${i}]`, false, (e) => w.judge(e, 'asCompleted')));
  return outs;
}

function futureSet(w: World, f: Future<unknown> | undefined, value: unknown, how: number): unknown {
  if (f === undefined) return undefined;
  if (how === 0) return f.setResult(value);
  w.userValues.add(value);
  if (how === 1) return f.setException(value);
  return f.cancel(value);
}

function newSync(w: World, kind: number, v: unknown): unknown {
  const make = [
    () => new Lock(), () => new Event(), () => new Condition(v as Lock), () => new Semaphore(v as number), () => new BoundedSemaphore(v as number),
    () => new Queue(v as number), () => new PriorityQueue(v as number), () => new Barrier(v as number),
  ];
  return keep(w, 'sync', make[kind % make.length]!());
}

function syncCall(w: World, s: Spec, m: Spec, arg: Spec): unknown {
  const target = thing<object>(w, 'sync', s);
  const method = m.k === 'str' ? m.v : '';
  if (target === undefined || typeof (target as Record<string, unknown>)[method] !== 'function') return undefined;
  return invoke(target, method, [w.resolve(arg)]);
}

export function installHandler(w: World, loop: EventLoop): void {
  loop.setExceptionHandler((context) => w.judge(context.exception, `loop exception handler (${context.message.replace(/\d+/g, 'N')})`));
}

function setHandler(w: World, l: LoopModel | undefined, h: Spec): void {
  if (l === undefined) return;
  try {
    invoke(l.loop, 'setExceptionHandler', [w.resolve(h)]);
  } finally {
    // A junk handler that was accepted must not stay: the harness needs to see errors.
    installHandler(w, l.loop);
  }
}

export type { FdEntry };
