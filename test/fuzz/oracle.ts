/**
 * The oracle: what counts as a defect, and the allow-list of defects already reported
 * and still open.
 *
 * Acceptable outcomes of a call: a return value; an `IoreactorError`; a `TypeError` or
 * `RangeError` whose message is the library's own (not an engine message such as
 * "Cannot read properties of null" raised inside lib/); or a value the harness created
 * and the library passed through unchanged (a hostile getter's own exception, an abort
 * reason). Anything else is a failure: a plain `Error` (e.g. one from `node:fs`), an
 * engine TypeError from inside lib/, a non-Error thrown value, an invariant broken after
 * a step, an operation that never settles once everything is closed, an uncaught
 * exception, or the process dying.
 */
import { IoreactorError } from '../../lib/errors.js';
import { HostileTrap } from './values.js';

export type FailureKind = 'bad-error' | 'invariant' | 'unsettled' | 'uncaught' | 'crash' | 'fd-leak';

export interface Failure {
  kind: FailureKind;
  /** The API call (op name) it happened in. */
  api: string;
  /** What went wrong, in one line. */
  detail: string;
  /** Stable identity for deduplication: kind, api and the message without numbers. */
  signature: string;
}

// Messages V8 produces for a bug in the caller's code, never a deliberate validation.
const kEngineMessages: readonly RegExp[] = [
  /Cannot convert object to primitive value/,
  /Cannot convert a (Symbol|BigInt) value/,
  /Cannot read propert(y|ies) of (null|undefined)/,
  /Cannot set propert(y|ies) of (null|undefined)/,
  /Cannot destructure/,
  /is not a function/,
  /is not iterable/,
  /is not a constructor/,
  /Cannot mix BigInt/,
  /Cannot perform .* on a detached ArrayBuffer/,
  /Invalid (typed )?array length/,
  /Maximum call stack size exceeded/,
  /called on non-object/,
  /Cannot use 'in' operator/,
  /Cannot create proxy/,
  / on proxy: /,
];

/** The first stack frame outside Node's internals, or '' when there is none. */
function firstUserFrame(error: Error): string {
  const lines = (error.stack ?? '').split('\n').slice(1);
  for (const line of lines) {
    if (line.includes('node:') || line.includes('(native)') || !line.includes('/')) continue;
    return line.trim();
  }
  return '';
}

function inLibrary(frame: string): boolean {
  return /[/\\](lib|dist)[/\\]/.test(frame) && !frame.includes('node_modules');
}

function normalise(message: string): string {
  return message.replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/g, 'N').replace(/\s+/g, ' ').slice(0, 160);
}

/**
 * Judges one thrown (or rejected) value.
 *
 * @returns a failure, or `undefined` when the value is acceptable.
 */
export function judgeThrown(error: unknown, api: string, userValues: { has(value: unknown): boolean }): Failure | undefined {
  // Identity first: a hostile value (a Proxy whose traps throw) must not be touched.
  if (userValues.has(error)) return undefined;
  try {
    return judgeValue(error, api);
  } catch {
    return failure('bad-error', api, 'a hostile value the harness never passed as a reason was thrown');
  }
}

function judgeValue(error: unknown, api: string): Failure | undefined {
  if (error instanceof HostileTrap) return undefined;
  if (error instanceof IoreactorError) {
    if (error.message.length === 0) return failure('bad-error', api, `${error.name} with an empty message`);
    return undefined;
  }
  if (error instanceof TypeError || error instanceof RangeError) {
    const frame = firstUserFrame(error);
    const engine = kEngineMessages.some((re) => re.test(error.message));
    if (engine && (frame === '' || inLibrary(frame))) {
      return failure('bad-error', api, `${error.name} from inside the library: ${error.message} (at ${shortFrame(frame)})`);
    }
    if (error.message.trim().length < 8) return failure('bad-error', api, `${error.name} without a clear message: '${error.message}'`);
    return undefined;
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return failure(
      'bad-error',
      api,
      `plain ${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message} (at ${shortFrame(firstUserFrame(error))})`,
    );
  }
  return failure('bad-error', api, `non-Error thrown: ${describe(error)}`);
}

function describe(value: unknown): string {
  try {
    return typeof value === 'object' ? Object.prototype.toString.call(value) : String(value);
  } catch {
    return typeof value;
  }
}

function shortFrame(frame: string): string {
  const m = /([^/\\()]+:\d+):\d+\)?$/.exec(frame);
  return m?.[1] ?? (frame || 'unknown');
}

export function failure(kind: FailureKind, api: string, detail: string): Failure {
  // The frame's line number is dropped from the signature so edits to lib/ do not make a
  // known defect look new.
  const stable = normalise(detail.replace(/\(at [^)]*\)/, ''));
  return { kind, api, detail, signature: `${kind}|${api}|${stable}` };
}

/**
 * Defects found by this fuzz and reported, not yet fixed. A failure that matches an entry
 * is counted, printed as known, and does not fail the run. Remove an entry when its fix
 * lands; the test then guards against regressions. Keep one entry per defect.
 */
export interface KnownDefect {
  id: string;
  api: string;
  /** A minimal standalone reproduction. */
  repro: string;
  matches(f: Failure): boolean;
}

export const KNOWN_OPEN: readonly KnownDefect[] = [];

export function knownDefectFor(f: Failure): KnownDefect | undefined {
  return KNOWN_OPEN.find((k) => k.matches(f));
}
