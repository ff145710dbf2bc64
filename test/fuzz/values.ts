/**
 * Argument *specs*: small, printable descriptions of the values the fuzz passes to the
 * public API. fast-check generates and shrinks specs; `materialise` turns one into the
 * real value just before a call. Keeping specs plain data means a shrunk counterexample
 * prints as something a person can read and retype, and hostile objects (Proxies,
 * detached buffers, throwing getters) are created fresh for every call, never shared.
 */
import fc from 'fast-check';

/** Thrown by every hostile trap; the oracle accepts it only when propagated unchanged. */
export class HostileTrap extends Error {
  constructor(where: string) {
    super(`fuzz trap: ${where}`);
    this.name = 'HostileTrap';
  }
}

/**
 * An fd number that is a valid integer but never open: above any open-file limit the
 * harness runs with, so even a library that mis-handled it could not touch a real fd.
 */
export const kNeverOpenFd = 1_000_000;

export type Hostile =
  | 'nullProto' // Object.create(null)
  | 'emptyObject'
  | 'proxyThrows' // every trap throws
  | 'proxyEmpty' // transparent Proxy over {}
  | 'getterThrows' // every interesting property is a throwing getter
  | 'valueOfThrows'
  | 'toStringThrows'
  | 'toPrimitiveThrows'
  | 'toPrimitiveNeverOpen' // coerces to kNeverOpenFd
  | 'bigint'
  | 'symbol'
  | 'function'
  | 'array'
  | 'arrayOfNeverOpen'
  | 'date'
  | 'arrayBuffer' // an ArrayBuffer is not a view
  | 'string';

/** Numbers chosen to hit range checks, integer checks and int32/uint32 wrap-around. */
export const adversarialNumbers: readonly number[] = [
  NaN, Infinity, -Infinity, -0, -1, 0.5, 1.5, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53,
  -(2 ** 31) - 1, -(2 ** 53), Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON, kNeverOpenFd + 0.5,
];

/** What a buffer argument can be. */
export type BufSpec =
  | { b: 'buffer'; len: number }
  | { b: 'u8'; len: number; off: number } // Uint8Array over a larger ArrayBuffer at byteOffset
  | { b: 'u16'; len: number }
  | { b: 'f64'; len: number }
  | { b: 'dataview'; len: number; off: number }
  | { b: 'zero' } // zero-length view at a non-zero offset
  | { b: 'detached' } // its ArrayBuffer was transferred away
  | { b: 'sab'; len: number; off: number } // SharedArrayBuffer-backed view, large byteOffset
  | { b: 'proxyView' } // Proxy around a Buffer: not a view to ArrayBuffer.isView
  | { b: 'resizable'; len: number }; // view over a resizable ArrayBuffer, later shrunk

/** Callback behaviours for loop readers/writers, callSoon/callLater and task functions. */
export type CbSpec =
  | 'noop'
  | 'throwTrap'
  | 'closeLoop' // re-entrant: closes the loop that called it
  | 'removeSelf' // re-entrant: removes its own reader/writer
  | 'closeOwnFd' // re-entrant: closes its fd behind the loop's back (model updated)
  | 'notifyAndClose' // re-entrant: notifyClosing then close, the documented protocol
  | 'addAnother' // re-entrant: registers a reader on another fd
  | 'rejectTrap' // async: rejects (task functions)
  | 'waitAbort' // async: settles only when its signal aborts
  | 'sleep1'; // async: sleeps 1 ms on the default loop

export type OptsSpec =
  | 'undefined'
  | 'empty'
  | 'null'
  | 'liveSignal' // a signal the harness aborts later (or never)
  | 'abortedSignal'
  | 'abortedNoReason' // aborted with the default DOMException reason
  | 'fakeSignal' // { signal: {} }
  | 'signalGetterThrows'
  | 'proxyThrows'
  | 'nullProto'
  | 'string'
  | 'number';

export type AddrSpec =
  | { a: 'listener'; slot: number } // the address of one of the model's listening sockets
  | { a: 'lo4'; port: number }
  | { a: 'lo6'; port: number }
  | { a: 'any4' } // 0.0.0.0:0 for bind
  | { a: 'abstractUnix'; n: number } // Linux abstract socket: no file left behind
  | { a: 'badFamily' }
  | { a: 'badAddress'; s: string }
  | { a: 'badPort'; port: number }
  | { a: 'missingFields' }
  | { a: 'hostLocal' } // { host: 'localhost', port } for sockConnect (resolves via /etc/hosts)
  | { a: 'hostBadType' }
  | { a: 'portGetterThrows' }
  | { a: 'hostile'; h: Hostile };

/** One argument. Slots are resolved modulo the model's current population at run time. */
export type Spec =
  | { k: 'num'; v: number }
  | { k: 'str'; v: string }
  | { k: 'bool'; v: boolean }
  | { k: 'nil'; v: null | undefined }
  | { k: 'fd'; slot: number } // an fd the model owns (kNeverOpenFd if none)
  | { k: 'stale'; slot: number } // a number the model closed earlier (maybe reused since)
  | { k: 'fdObj'; how: 'fd' | 'fileno' | 'filenoThrows' | 'filenoNaN' | 'filenoFlips' | 'socket'; slot: number }
  | { k: 'hostile'; h: Hostile }
  | { k: 'buf'; spec: BufSpec }
  | { k: 'cb'; cb: CbSpec }
  | { k: 'opts'; o: OptsSpec }
  | { k: 'addr'; spec: AddrSpec }
  | { k: 'list'; items: Spec[] } // an array of the items' values
  | { k: 'range'; offset: Spec; count: Spec } // { offset, count } options (sockSendFile)
  | { k: 'flags'; edge?: boolean; oneshot?: boolean; exclusive?: boolean }; // selector register/modify options

const hostileKinds: readonly Hostile[] = [
  'nullProto', 'emptyObject', 'proxyThrows', 'proxyEmpty', 'getterThrows', 'valueOfThrows', 'toStringThrows',
  'toPrimitiveThrows', 'toPrimitiveNeverOpen', 'bigint', 'symbol', 'function', 'array', 'arrayOfNeverOpen',
  'date', 'arrayBuffer', 'string',
];

const slot = fc.nat({ max: 15 });

export const hostileArb: fc.Arbitrary<Spec> = fc.constantFrom(...hostileKinds).map((h) => ({ k: 'hostile', h }));
export const nilArb: fc.Arbitrary<Spec> = fc.constantFrom<Spec>({ k: 'nil', v: null }, { k: 'nil', v: undefined });
const advNumArb: fc.Arbitrary<Spec> = fc.constantFrom(...adversarialNumbers).map((v) => ({ k: 'num', v }));
const junkStrArb: fc.Arbitrary<Spec> = fc
  .constantFrom('', '1', '0x10', 'abc', '\0', 'SO_REUSEADDR\0x', 'constructor', '__proto__', 'x'.repeat(300))
  .map((v) => ({ k: 'str', v }));
const boolArb: fc.Arbitrary<Spec> = fc.boolean().map((v) => ({ k: 'bool', v }));

/** Anything at all that is not a meaningful value for the position. */
export const junkArb: fc.Arbitrary<Spec> = fc.oneof(hostileArb, nilArb, advNumArb, junkStrArb, boolArb);

/**
 * An fd position for a call that may act on the fd (close, write, dup2 target…): either
 * an fd the model owns or junk. Never a small integer the harness does not own, so a
 * defect cannot close or scribble on Node's own fds.
 */
export const fdArb: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 6, arbitrary: slot.map((s): Spec => ({ k: 'fd', slot: s })) },
  { weight: 1, arbitrary: fc.constant<Spec>({ k: 'num', v: kNeverOpenFd }) },
  { weight: 2, arbitrary: junkArb },
);

/** An fd position for calls that only look (selector register, getsockname): stale numbers too. */
export const lookFdArb: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 4, arbitrary: fdArb },
  { weight: 1, arbitrary: slot.map((s): Spec => ({ k: 'stale', slot: s })) },
);

/** A selectors file object: an fd, `{ fd }`, `{ fileno() }` (well- or ill-behaved), a Socket. */
export const fileObjArb: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 3, arbitrary: lookFdArb },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('fdObj' as const),
      how: fc.constantFrom('fd' as const, 'fileno' as const, 'filenoThrows' as const, 'filenoNaN' as const, 'filenoFlips' as const, 'socket' as const),
      slot,
    }),
  },
);

/** A non-negative count, size, offset or length: sane values and every adversarial one. */
export const countArb: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 3, arbitrary: fc.nat({ max: 70_000 }).map((v): Spec => ({ k: 'num', v })) },
  { weight: 2, arbitrary: junkArb },
);

/** An optional count: often omitted. */
export const optCountArb: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Spec>({ k: 'nil', v: undefined }) },
  { weight: 2, arbitrary: fc.nat({ max: 64 }).map((v): Spec => ({ k: 'num', v })) },
  { weight: 1, arbitrary: junkArb },
);

export const eventsArb: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(1, 2, 3).map((v): Spec => ({ k: 'num', v })) },
  { weight: 2, arbitrary: fc.constantFrom(0, 4, 5, 7, -1, -2, 2 ** 32, 2 ** 32 + 1, 2 ** 32 + 3, 2 ** 33 + 2, 1.5).map((v): Spec => ({ k: 'num', v })) },
  { weight: 1, arbitrary: junkArb },
);

/**
 * A select() timeout that never blocks: zero, negative or not a number at all. A
 * positive timeout, `Infinity`, `null` or `undefined` could block the thread, which the
 * fuzz must not do (each operation bounded).
 */
export const nonBlockingTimeoutArb: fc.Arbitrary<Spec> = fc.oneof(
  fc.constantFrom(0, -0, -1, -Infinity, NaN, -(2 ** 53), Number.MIN_VALUE * 0).map((v): Spec => ({ k: 'num', v })),
  hostileArb,
  junkStrArb,
);

/** A delay in ms for callLater/sleep/timeout: short real delays and junk. */
export const delayArb: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 2, 5, -1, -Infinity, 2 ** 31, 2 ** 53, Infinity, 1e12).map((v): Spec => ({ k: 'num', v })) },
  { weight: 1, arbitrary: junkArb },
);

export const bufArb: fc.Arbitrary<Spec> = fc
  .oneof(
    { weight: 4, arbitrary: fc.nat({ max: 4096 }).map((len): BufSpec => ({ b: 'buffer', len })) },
    { weight: 2, arbitrary: fc.record({ b: fc.constant('u8' as const), len: fc.nat({ max: 512 }), off: fc.nat({ max: 4096 }) }) },
    { weight: 1, arbitrary: fc.nat({ max: 64 }).map((len): BufSpec => ({ b: 'u16', len })) },
    { weight: 1, arbitrary: fc.nat({ max: 64 }).map((len): BufSpec => ({ b: 'f64', len })) },
    { weight: 1, arbitrary: fc.record({ b: fc.constant('dataview' as const), len: fc.nat({ max: 512 }), off: fc.nat({ max: 512 }) }) },
    { weight: 1, arbitrary: fc.constant<BufSpec>({ b: 'zero' }) },
    { weight: 2, arbitrary: fc.constant<BufSpec>({ b: 'detached' }) },
    { weight: 2, arbitrary: fc.record({ b: fc.constant('sab' as const), len: fc.nat({ max: 256 }), off: fc.constantFrom(0, 8, 4096, 65536, 1 << 20) }) },
    { weight: 1, arbitrary: fc.constant<BufSpec>({ b: 'proxyView' }) },
    { weight: 1, arbitrary: fc.nat({ max: 256 }).map((len): BufSpec => ({ b: 'resizable', len })) },
  )
  .map((spec): Spec => ({ k: 'buf', spec }));

/** A buffer position: mostly buffers, sometimes junk. */
export const bufOrJunkArb: fc.Arbitrary<Spec> = fc.oneof({ weight: 5, arbitrary: bufArb }, { weight: 1, arbitrary: junkArb });

export const cbArb: fc.Arbitrary<Spec> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .constantFrom<CbSpec>('noop', 'throwTrap', 'closeLoop', 'removeSelf', 'closeOwnFd', 'notifyAndClose', 'addAnother', 'rejectTrap', 'waitAbort', 'sleep1')
      .map((cb): Spec => ({ k: 'cb', cb })),
  },
  { weight: 1, arbitrary: junkArb },
);

export const optsArb: fc.Arbitrary<Spec> = fc
  .constantFrom<OptsSpec>(
    'undefined', 'empty', 'liveSignal', 'liveSignal', 'liveSignal', 'abortedSignal', 'abortedNoReason', 'null', 'fakeSignal',
    'signalGetterThrows', 'proxyThrows', 'nullProto', 'string', 'number',
  )
  .map((o): Spec => ({ k: 'opts', o }));

export const addrArb: fc.Arbitrary<Spec> = fc
  .oneof(
    { weight: 4, arbitrary: slot.map((s): AddrSpec => ({ a: 'listener', slot: s })) },
    { weight: 1, arbitrary: fc.constantFrom(0, 1, 65535).map((port): AddrSpec => ({ a: 'lo4', port })) },
    { weight: 1, arbitrary: fc.constantFrom(0, 1).map((port): AddrSpec => ({ a: 'lo6', port })) },
    { weight: 1, arbitrary: fc.constant<AddrSpec>({ a: 'any4' }) },
    { weight: 1, arbitrary: fc.nat({ max: 3 }).map((n): AddrSpec => ({ a: 'abstractUnix', n })) },
    { weight: 1, arbitrary: fc.constant<AddrSpec>({ a: 'badFamily' }) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('', 'localhost', '999.1.1.1', '127.0.0.1%lo', '::1%nope', '1.2.3', 'x'.repeat(200), '127.0.0.1\0evil')
        .map((s): AddrSpec => ({ a: 'badAddress', s })),
    },
    { weight: 1, arbitrary: fc.constantFrom(-1, 65536, 2 ** 32, NaN, 1.5, Infinity).map((port): AddrSpec => ({ a: 'badPort', port })) },
    { weight: 1, arbitrary: fc.constantFrom<AddrSpec>({ a: 'missingFields' }, { a: 'hostLocal' }, { a: 'hostBadType' }, { a: 'portGetterThrows' }) },
    { weight: 1, arbitrary: fc.constantFrom(...hostileKinds).map((h): AddrSpec => ({ a: 'hostile', h })) },
  )
  .map((spec): Spec => ({ k: 'addr', spec }));

/** Creates the value a hostile spec stands for (fresh each time). */
export function makeHostile(h: Hostile): unknown {
  const trap = (where: string) => (): never => {
    throw new HostileTrap(where);
  };
  switch (h) {
    case 'nullProto':
      return Object.create(null) as object;
    case 'emptyObject':
      return {};
    case 'proxyThrows':
      return new Proxy(
        {},
        {
          get: trap('proxy get'),
          has: trap('proxy has'),
          ownKeys: trap('proxy ownKeys'),
          getOwnPropertyDescriptor: trap('proxy getOwnPropertyDescriptor'),
          getPrototypeOf: trap('proxy getPrototypeOf'),
          apply: trap('proxy apply'),
          set: trap('proxy set'),
          defineProperty: trap('proxy defineProperty'),
        },
      );
    case 'proxyEmpty':
      return new Proxy({}, {});
    case 'getterThrows': {
      const o: Record<string, unknown> = {};
      for (const name of ['fd', 'fileno', 'signal', 'family', 'address', 'port', 'path', 'host', 'length', 'byteLength', 'then', 'name', 'backend', 'debug', 'loop', 'type']) {
        Object.defineProperty(o, name, { get: trap(`getter ${name}`), enumerable: true });
      }
      return o;
    }
    case 'valueOfThrows':
      return { valueOf: trap('valueOf'), toString: () => 'valueOfThrows' };
    case 'toStringThrows':
      return { toString: trap('toString'), valueOf: () => kNeverOpenFd };
    case 'toPrimitiveThrows':
      return { [Symbol.toPrimitive]: trap('Symbol.toPrimitive') };
    case 'toPrimitiveNeverOpen':
      return { [Symbol.toPrimitive]: () => kNeverOpenFd };
    case 'bigint':
      return BigInt(kNeverOpenFd);
    case 'symbol':
      return Symbol('fuzz');
    case 'function':
      return function fuzzFunction(): number {
        return kNeverOpenFd;
      };
    case 'array':
      return [];
    case 'arrayOfNeverOpen':
      return [kNeverOpenFd];
    case 'date':
      return new Date(0);
    case 'arrayBuffer':
      return new ArrayBuffer(8);
    case 'string':
      return String(kNeverOpenFd);
  }
}

/** Whether a buffer spec is SharedArrayBuffer-backed (run only when the build handles SABs). */
export function isSab(spec: Spec): boolean {
  if (spec.k === 'list') return spec.items.some(isSab);
  return spec.k === 'buf' && spec.spec.b === 'sab';
}

/** Creates the view a buffer spec stands for. */
export function makeBuffer(spec: BufSpec): unknown {
  switch (spec.b) {
    case 'buffer':
      return Buffer.alloc(spec.len, 0x61);
    case 'u8':
      return new Uint8Array(new ArrayBuffer(spec.off + spec.len), spec.off, spec.len);
    case 'u16':
      return new Uint16Array(new ArrayBuffer(2 * spec.len + 2), 2, spec.len);
    case 'f64':
      return new Float64Array(spec.len);
    case 'dataview':
      return new DataView(new ArrayBuffer(spec.off + spec.len), spec.off, spec.len);
    case 'zero':
      return new Uint8Array(new ArrayBuffer(16), 16, 0);
    case 'detached': {
      const ab = new ArrayBuffer(64);
      const view = new Uint8Array(ab, 8, 32);
      structuredClone(ab, { transfer: [ab] });
      return view;
    }
    case 'sab':
      return new Uint8Array(new SharedArrayBuffer(spec.off + spec.len), spec.off, spec.len);
    case 'proxyView':
      return new Proxy(Buffer.alloc(16), {});
    case 'resizable': {
      // A length-tracking view over a resizable buffer that is then shrunk to 0: its
      // byteLength is 0 now, though it was created larger.
      const ab = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void })(
        spec.len,
        { maxByteLength: spec.len + 64 },
      );
      const view = new Uint8Array(ab);
      ab.resize(0);
      return view;
    }
  }
}
