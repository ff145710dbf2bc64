/**
 * One address object per datagram sender instead of one per datagram: an unconnected
 * datagram endpoint receives with `recvFromKey`, which writes the sender's raw sockaddr
 * bytes into a scratch key, and this cache maps those bytes to a frozen address object
 * made once. A busy endpoint talking to a few peers then allocates nothing per packet
 * beyond the datagram itself (issue 8's rule); a spray of new senders costs what it did
 * before, plus a bounded table.
 */
import { native } from '../internal/init.js';
import type { SocketAddress } from '../sys/types.js';

// Senders remembered at most; past it the table starts over (cheap, and bounded).
const kMaxEntries = 1024;

interface Entry {
  key: Uint8Array;
  address: SocketAddress;
}

export class AddressCache {
  /** Where `recvFromKey` writes the sender; read by {@link lookup}. */
  readonly key = new Uint8Array(native.addressKeyBytes);
  #entries = new Map<number, Entry>();

  /** The address in {@link key} (frozen; the same object for the same sender). */
  lookup(): SocketAddress {
    const key = this.key;
    const length = 4 + (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24));
    // FNV-1a over the bytes; the entry's bytes are compared, so a collision only misses.
    let hash = 0x811c9dc5;
    for (let i = 0; i < length; i++) hash = Math.imul(hash ^ key[i]!, 0x01000193);
    const entry = this.#entries.get(hash);
    if (entry !== undefined && entry.key.length === length && equalPrefix(entry.key, key, length)) return entry.address;
    const address = Object.freeze(native.addressFromKey(key));
    if (this.#entries.size >= kMaxEntries) this.#entries.clear();
    this.#entries.set(hash, { key: key.slice(0, length), address });
    return address;
  }
}

function equalPrefix(a: Uint8Array, b: Uint8Array, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}
