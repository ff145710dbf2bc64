/** The live, read-only fd → key view returned by `getMap()`. */
import type { FileObject } from '../internal/fd.js';
import type { SelectorKey } from './selector-key.js';

/** How a mapping finds the fd of a file object (undefined when it cannot). */
export type FdLookup = (fileobj: FileObject) => number | undefined;

/**
 * A live, read-only view of a selector's registrations, keyed by fd. It behaves like a
 * `ReadonlyMap<number, SelectorKey>` and `has`/`get` also accept any file object. It is
 * the same object for the selector's whole life; after `close()` it is empty.
 * `set`, `delete` and `clear` throw a `TypeError`.
 */
export class SelectorMapping<TData = unknown> implements ReadonlyMap<number, SelectorKey<TData>> {
  #keys: ReadonlyMap<number, SelectorKey<TData>>;
  #lookup: FdLookup;

  /** @internal */
  constructor(keys: ReadonlyMap<number, SelectorKey<TData>>, lookup: FdLookup) {
    this.#keys = keys;
    this.#lookup = lookup;
    Object.freeze(this);
  }

  /** @internal Called by the selector's close(): the view is empty from then on. */
  detach(): void {
    this.#keys = new Map();
    this.#lookup = () => undefined;
  }

  /** Number of registered fds. */
  get size(): number {
    return this.#keys.size;
  }

  /** Whether a file object (or fd) is registered. */
  has(fileobj: FileObject): boolean {
    const fd = this.#lookup(fileobj);
    return fd !== undefined && this.#keys.has(fd);
  }

  /**
   * The key of a file object (or fd), or `defaultValue` when it is not registered or is
   * not a valid file object. (CPython's mapping raises for an invalid object; a map
   * lookup that throws is surprising in JavaScript, so this one does not.)
   */
  get(fileobj: FileObject): SelectorKey<TData> | undefined;
  get<TDefault>(fileobj: FileObject, defaultValue: TDefault): SelectorKey<TData> | TDefault;
  get<TDefault>(fileobj: FileObject, defaultValue?: TDefault): SelectorKey<TData> | TDefault | undefined {
    const fd = this.#lookup(fileobj);
    const key = fd === undefined ? undefined : this.#keys.get(fd);
    return key ?? defaultValue;
  }

  /** Registered fds. */
  keys(): MapIterator<number> {
    return this.#keys.keys();
  }

  /** Registered keys. */
  values(): MapIterator<SelectorKey<TData>> {
    return this.#keys.values();
  }

  /** `[fd, key]` pairs. */
  entries(): MapIterator<[number, SelectorKey<TData>]> {
    return this.#keys.entries();
  }

  forEach(
    callback: (key: SelectorKey<TData>, fd: number, map: ReadonlyMap<number, SelectorKey<TData>>) => void,
    thisArg?: unknown,
  ): void {
    for (const [fd, key] of this.#keys) callback.call(thisArg, key, fd, this);
  }

  [Symbol.iterator](): MapIterator<[number, SelectorKey<TData>]> {
    return this.#keys.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'SelectorMapping';
  }

  /** Always throws: the mapping is read-only. */
  set(): never {
    throw new TypeError('SelectorMapping is read-only; use register()');
  }

  /** Always throws: the mapping is read-only. */
  delete(): never {
    throw new TypeError('SelectorMapping is read-only; use unregister()');
  }

  /** Always throws: the mapping is read-only. */
  clear(): never {
    throw new TypeError('SelectorMapping is read-only; use unregister() or close()');
  }
}
