/** List, set, hash and sorted-set commands. An emptied collection removes its key, as in Redis. */
import { floatArg, formatFloat, getTyped, intArg, own } from './args.js';
import { type Command, type CommandContext, CommandError, Errors } from './engine.js';
import { bytesOf, keyOf } from './keyspace.js';

function push(left: boolean) {
  return (ctx: CommandContext, argv: Buffer[]): void => {
    const key = keyOf(argv[1]!);
    let entry = getTyped(ctx.db, key, 'list');
    if (entry === undefined) {
      entry = { type: 'list', value: [] };
      ctx.db.set(key, entry);
    }
    const items = argv.slice(2).map(own);
    if (left) entry.value.unshift(...items.reverse());
    else entry.value.push(...items);
    ctx.out.integer(entry.value.length);
  };
}

function pop(left: boolean) {
  return (ctx: CommandContext, argv: Buffer[]): void => {
    if (argv.length > 3) throw new CommandError(Errors.syntax);
    const count = argv.length === 3 ? intArg(argv[2]!) : null;
    if (count !== null && count < 0) throw new CommandError('ERR value is out of range, must be positive');
    const key = keyOf(argv[1]!);
    const entry = getTyped(ctx.db, key, 'list');
    if (entry === undefined) {
      // Redis 7 answers a null array when a count was given, a null bulk otherwise.
      if (count === null) ctx.out.bulk(null);
      else ctx.out.arrayHeader(-1);
      return;
    }
    const list = entry.value;
    const taken = left ? list.splice(0, count ?? 1) : list.splice(Math.max(0, list.length - (count ?? 1))).reverse();
    if (list.length === 0) ctx.db.delete(key);
    if (count === null) ctx.out.bulk(taken[0] ?? null);
    else ctx.out.bulkArray(taken);
  };
}

function lrange(ctx: CommandContext, argv: Buffer[]): void {
  const list = getTyped(ctx.db, keyOf(argv[1]!), 'list')?.value ?? [];
  let start = intArg(argv[2]!);
  let stop = intArg(argv[3]!);
  if (start < 0) start = Math.max(0, list.length + start);
  if (stop < 0) stop = list.length + stop;
  stop = Math.min(stop, list.length - 1);
  ctx.out.bulkArray(start > stop ? [] : list.slice(start, stop + 1));
}

function llen(ctx: CommandContext, argv: Buffer[]): void {
  ctx.out.integer(getTyped(ctx.db, keyOf(argv[1]!), 'list')?.value.length ?? 0);
}

function sadd(ctx: CommandContext, argv: Buffer[]): void {
  const key = keyOf(argv[1]!);
  let entry = getTyped(ctx.db, key, 'set');
  if (entry === undefined) {
    entry = { type: 'set', value: new Set() };
    ctx.db.set(key, entry);
  }
  const before = entry.value.size;
  for (let i = 2; i < argv.length; i++) entry.value.add(keyOf(argv[i]!));
  ctx.out.integer(entry.value.size - before);
}

function spop(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length > 3) throw new CommandError(Errors.syntax);
  const count = argv.length === 3 ? intArg(argv[2]!) : null;
  if (count !== null && count < 0) throw new CommandError('ERR value is out of range, must be positive');
  const key = keyOf(argv[1]!);
  const set = getTyped(ctx.db, key, 'set')?.value;
  const taken: Buffer[] = [];
  while (set !== undefined && set.size > 0 && taken.length < (count ?? 1)) {
    // A random member: skip a random number of entries in insertion order.
    let skip = Math.floor(Math.random() * set.size);
    for (const member of set) {
      if (skip-- > 0) continue;
      set.delete(member);
      taken.push(bytesOf(member));
      break;
    }
  }
  if (set !== undefined && set.size === 0) ctx.db.delete(key);
  if (count === null) ctx.out.bulk(taken[0] ?? null);
  else ctx.out.bulkArray(taken);
}

function scard(ctx: CommandContext, argv: Buffer[]): void {
  ctx.out.integer(getTyped(ctx.db, keyOf(argv[1]!), 'set')?.value.size ?? 0);
}

function smembers(ctx: CommandContext, argv: Buffer[]): void {
  ctx.out.bulkArray([...(getTyped(ctx.db, keyOf(argv[1]!), 'set')?.value ?? [])].map(bytesOf));
}

function hset(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length % 2 !== 0) throw new CommandError(Errors.arity('hset'));
  const key = keyOf(argv[1]!);
  let entry = getTyped(ctx.db, key, 'hash');
  if (entry === undefined) {
    entry = { type: 'hash', value: new Map() };
    ctx.db.set(key, entry);
  }
  const before = entry.value.size;
  for (let i = 2; i < argv.length; i += 2) entry.value.set(keyOf(argv[i]!), own(argv[i + 1]!));
  ctx.out.integer(entry.value.size - before);
}

function hget(ctx: CommandContext, argv: Buffer[]): void {
  ctx.out.bulk(getTyped(ctx.db, keyOf(argv[1]!), 'hash')?.value.get(keyOf(argv[2]!)) ?? null);
}

function hgetall(ctx: CommandContext, argv: Buffer[]): void {
  const hash = getTyped(ctx.db, keyOf(argv[1]!), 'hash')?.value ?? new Map<string, Buffer>();
  ctx.out.arrayHeader(hash.size * 2);
  for (const [field, value] of hash) {
    ctx.out.bulk(bytesOf(field));
    ctx.out.bulk(value);
  }
}

function zadd(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length % 2 !== 0) throw new CommandError(Errors.syntax);
  const scores: [string, number][] = [];
  for (let i = 2; i < argv.length; i += 2) scores.push([keyOf(argv[i + 1]!), floatArg(argv[i]!)]);
  const key = keyOf(argv[1]!);
  let entry = getTyped(ctx.db, key, 'zset');
  if (entry === undefined) {
    entry = { type: 'zset', value: new Map() };
    ctx.db.set(key, entry);
  }
  const before = entry.value.size;
  for (const [member, score] of scores) entry.value.set(member, score);
  ctx.out.integer(entry.value.size - before);
}

function zpopmin(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length > 3) throw new CommandError(Errors.syntax);
  const count = argv.length === 3 ? intArg(argv[2]!) : 1;
  const key = keyOf(argv[1]!);
  const zset = getTyped(ctx.db, key, 'zset')?.value;
  // Sorted on demand (score, then member bytes): this example keeps no skiplist.
  const order = [...(zset ?? [])].sort(([ma, a], [mb, b]) => a - b || (ma < mb ? -1 : ma > mb ? 1 : 0));
  const taken = order.slice(0, Math.max(0, count));
  ctx.out.arrayHeader(taken.length * 2);
  for (const [member, score] of taken) {
    zset!.delete(member);
    ctx.out.bulk(bytesOf(member));
    ctx.out.bulk(formatFloat(score));
  }
  if (zset !== undefined && zset.size === 0) ctx.db.delete(key);
}

/** The commands of this file, by lowercase name. */
export const collectionCommands: Record<string, Command> = {
  lpush: { arity: -3, run: push(true) },
  rpush: { arity: -3, run: push(false) },
  lpop: { arity: -2, run: pop(true) },
  rpop: { arity: -2, run: pop(false) },
  lrange: { arity: 4, run: lrange },
  llen: { arity: 2, run: llen },
  sadd: { arity: -3, run: sadd },
  spop: { arity: -2, run: spop },
  scard: { arity: 2, run: scard },
  smembers: { arity: 2, run: smembers },
  hset: { arity: -4, run: hset },
  hget: { arity: 3, run: hget },
  hgetall: { arity: 2, run: hgetall },
  zadd: { arity: -4, run: zadd },
  zpopmin: { arity: -2, run: zpopmin },
};
