/** Argument parsing and typed keyspace access shared by the command files. */
import { CommandError, Errors } from './engine.js';
import type { Keyspace, Value } from './keyspace.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER = /^-?(0|[1-9][0-9]*)$/;

/** A signed 64-bit integer as Redis's `string2ll` accepts it (no spaces, no `+`, no leading zeros), or null. */
export function toInt64(bytes: Buffer): bigint | null {
  if (bytes.length === 0 || bytes.length > 20) return null;
  const text = bytes.toString('latin1');
  if (!INTEGER.test(text)) return null;
  const n = BigInt(text);
  return n < INT64_MIN || n > INT64_MAX ? null : n;
}

/** Whether `n` fits a signed 64-bit integer. */
export function inInt64(n: bigint): boolean {
  return n >= INT64_MIN && n <= INT64_MAX;
}

/** An integer argument (a safe JS integer); `ERR value is not an integer…` otherwise. */
export function intArg(bytes: Buffer): number {
  const n = toInt64(bytes);
  if (n === null || n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new CommandError(Errors.notInteger);
  }
  return Number(n);
}

/** A float argument (`inf`, `-inf` included); `ERR value is not a valid float` otherwise. */
export function floatArg(bytes: Buffer): number {
  const text = bytes.toString('latin1').toLowerCase();
  if (text === 'inf' || text === '+inf') return Infinity;
  if (text === '-inf') return -Infinity;
  const n = text.trim() === text && text !== '' ? Number(text) : NaN;
  if (Number.isNaN(n)) throw new CommandError(Errors.notFloat);
  return n;
}

/** A double as Redis replies with it. */
export function formatFloat(n: number): string {
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return String(n);
}

/** The value at `key` if it has type `type`, undefined if absent; WRONGTYPE otherwise. */
export function getTyped<T extends Value['type']>(db: Keyspace, key: string, type: T): Extract<Value, { type: T }> | undefined {
  const entry = db.get(key);
  if (entry === undefined) return undefined;
  if (entry.type !== type) throw new CommandError(Errors.wrongType);
  return entry as Extract<Value, { type: T }>;
}

/** A private copy: argv Buffers may be views into a 64 KiB receive buffer. */
export function own(bytes: Buffer): Buffer {
  return Buffer.from(bytes);
}

/** Whether `bytes` spells `word` in any case (option names). */
export function isWord(bytes: Buffer, word: string): boolean {
  return bytes.length === word.length && bytes.toString('latin1').toLowerCase() === word;
}
