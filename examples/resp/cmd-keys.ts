/** String and generic key commands: GET, SET, MGET, MSET, INCR…, DEL, EXISTS, EXPIRE, TTL. */
import { getTyped, inInt64, intArg, isWord, own, toInt64 } from './args.js';
import { type Command, type CommandContext, CommandError, Errors } from './engine.js';
import { keyOf } from './keyspace.js';


function get(ctx: CommandContext, argv: Buffer[]): void {
  ctx.out.bulk(getTyped(ctx.db, keyOf(argv[1]!), 'string')?.value ?? null);
}

function set(ctx: CommandContext, argv: Buffer[]): void {
  let nx = false;
  let xx = false;
  let keepTtl = false;
  let ttlMs: number | null = null;
  for (let i = 3; i < argv.length; i++) {
    const opt = argv[i]!;
    if (isWord(opt, 'nx') && !xx) nx = true;
    else if (isWord(opt, 'xx') && !nx) xx = true;
    else if (isWord(opt, 'keepttl') && ttlMs === null) keepTtl = true;
    else if ((isWord(opt, 'ex') || isWord(opt, 'px')) && !keepTtl && ttlMs === null && i + 1 < argv.length) {
      const n = intArg(argv[++i]!);
      if (n <= 0) throw new CommandError("ERR invalid expire time in 'set' command");
      ttlMs = isWord(opt, 'ex') ? n * 1000 : n;
    } else {
      throw new CommandError(Errors.syntax);
    }
  }
  const key = keyOf(argv[1]!);
  if (nx || xx) {
    const exists = ctx.db.get(key) !== undefined;
    if ((nx && exists) || (xx && !exists)) {
      ctx.out.bulk(null);
      return;
    }
  }
  ctx.db.set(key, { type: 'string', value: own(argv[2]!) }, keepTtl);
  if (ttlMs !== null) ctx.db.expireAt(key, Date.now() + ttlMs);
  ctx.out.simple('OK');
}

function mget(ctx: CommandContext, argv: Buffer[]): void {
  ctx.out.arrayHeader(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const entry = ctx.db.get(keyOf(argv[i]!));
    ctx.out.bulk(entry?.type === 'string' ? entry.value : null);
  }
}

function mset(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length % 2 === 0) throw new CommandError(Errors.arity('mset'));
  for (let i = 1; i < argv.length; i += 2) {
    ctx.db.set(keyOf(argv[i]!), { type: 'string', value: own(argv[i + 1]!) });
  }
  ctx.out.simple('OK');
}

function incrementBy(ctx: CommandContext, keyBytes: Buffer, by: bigint): void {
  const key = keyOf(keyBytes);
  const entry = getTyped(ctx.db, key, 'string');
  const current = entry === undefined ? 0n : toInt64(entry.value);
  if (current === null) throw new CommandError(Errors.notInteger);
  const next = current + by;
  if (!inInt64(next)) throw new CommandError(Errors.overflow);
  // Keeps the key's deadline, as Redis does for INCR.
  ctx.db.set(key, { type: 'string', value: Buffer.from(next.toString()) }, true);
  ctx.out.integer(next);
}

function int64Arg(bytes: Buffer): bigint {
  const n = toInt64(bytes);
  if (n === null) throw new CommandError(Errors.notInteger);
  return n;
}

function del(ctx: CommandContext, argv: Buffer[]): void {
  let removed = 0;
  for (let i = 1; i < argv.length; i++) if (ctx.db.delete(keyOf(argv[i]!))) removed++;
  ctx.out.integer(removed);
}

function exists(ctx: CommandContext, argv: Buffer[]): void {
  let found = 0;
  for (let i = 1; i < argv.length; i++) if (ctx.db.get(keyOf(argv[i]!)) !== undefined) found++;
  ctx.out.integer(found);
}

function expire(unitMs: number) {
  return (ctx: CommandContext, argv: Buffer[]): void => {
    const key = keyOf(argv[1]!);
    const n = intArg(argv[2]!);
    if (argv.length > 3) throw new CommandError(Errors.syntax);
    if (ctx.db.get(key) === undefined) {
      ctx.out.integer(0);
      return;
    }
    ctx.db.expireAt(key, Date.now() + n * unitMs);
    ctx.out.integer(1);
  };
}

function ttl(unitMs: number) {
  return (ctx: CommandContext, argv: Buffer[]): void => {
    const ms = ctx.db.pttl(keyOf(argv[1]!));
    // Redis rounds the remaining seconds to the nearest.
    ctx.out.integer(ms < 0 ? ms : unitMs === 1 ? ms : Math.round(ms / unitMs));
  };
}

function type(ctx: CommandContext, argv: Buffer[]): void {
  ctx.out.simple(ctx.db.get(keyOf(argv[1]!))?.type ?? 'none');
}

/** The commands of this file, by lowercase name. */
export const keyCommands: Record<string, Command> = {
  get: { arity: 2, run: get },
  set: { arity: -3, run: set },
  mget: { arity: -2, run: mget },
  mset: { arity: -3, run: mset },
  incr: { arity: 2, run: (ctx, argv) => incrementBy(ctx, argv[1]!, 1n) },
  decr: { arity: 2, run: (ctx, argv) => incrementBy(ctx, argv[1]!, -1n) },
  incrby: { arity: 3, run: (ctx, argv) => incrementBy(ctx, argv[1]!, int64Arg(argv[2]!)) },
  decrby: { arity: 3, run: (ctx, argv) => incrementBy(ctx, argv[1]!, -int64Arg(argv[2]!)) },
  del: { arity: -2, run: del },
  unlink: { arity: -2, run: del },
  exists: { arity: -2, run: exists },
  expire: { arity: -3, run: expire(1000) },
  pexpire: { arity: -3, run: expire(1) },
  ttl: { arity: 2, run: ttl(1000) },
  pttl: { arity: 2, run: ttl(1) },
  type: { arity: 2, run: type },
};
