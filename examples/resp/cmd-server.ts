/**
 * Connection and server commands, including what clients send on connect: ioredis's
 * `INFO` ready check, node-redis's `CLIENT SETINFO`, redis-benchmark's `CONFIG GET`,
 * redis-cli's `COMMAND DOCS`.
 */
import { intArg, isWord } from './args.js';
import { type Command, type CommandContext, CommandError, Errors } from './engine.js';

/** The version INFO and HELLO report: what clients check for feature support. */
export const REDIS_VERSION = '7.0.0';

function ping(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length > 2) throw new CommandError(Errors.arity('ping'));
  if (argv.length === 2) ctx.out.bulk(argv[1]!);
  else ctx.out.simple('PONG');
}

function select(ctx: CommandContext, argv: Buffer[]): void {
  if (intArg(argv[1]!) !== 0) throw new CommandError('ERR DB index is out of range');
  ctx.out.simple('OK');
}

function hello(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length >= 2) {
    let version: number;
    try {
      version = intArg(argv[1]!);
    } catch {
      throw new CommandError('ERR Protocol version is not an integer or out of range');
    }
    // Only RESP2 here; Redis answers NOPROTO for versions it does not speak.
    if (version !== 2) throw new CommandError('NOPROTO unsupported protocol version');
    for (let i = 2; i < argv.length; i++) {
      if (isWord(argv[i]!, 'setname') && i + 1 < argv.length) ctx.session.name = Buffer.from(argv[++i]!);
      else if (isWord(argv[i]!, 'auth') && i + 2 < argv.length) i += 2;
      else throw new CommandError(`ERR Syntax error in HELLO option '${argv[i]!.toString('latin1')}'`);
    }
  }
  ctx.out.arrayHeader(14);
  ctx.out.bulk('server');
  ctx.out.bulk('redis');
  ctx.out.bulk('version');
  ctx.out.bulk(REDIS_VERSION);
  ctx.out.bulk('proto');
  ctx.out.integer(2);
  ctx.out.bulk('id');
  ctx.out.integer(ctx.session.id);
  ctx.out.bulk('mode');
  ctx.out.bulk('standalone');
  ctx.out.bulk('role');
  ctx.out.bulk('master');
  ctx.out.bulk('modules');
  ctx.out.arrayHeader(0);
}

function client(ctx: CommandContext, argv: Buffer[]): void {
  const sub = argv[1]!.toString('latin1').toLowerCase();
  const arity: Record<string, number> = { setname: 3, getname: 2, setinfo: 4, id: 2 };
  if (!(sub in arity)) {
    throw new CommandError(`ERR unknown subcommand '${argv[1]!.toString('latin1')}'. Try CLIENT HELP.`);
  }
  if (argv.length !== arity[sub]) throw new CommandError(Errors.arity(`client|${sub}`));
  if (sub === 'setname') {
    // Redis refuses spaces, newlines and other characters outside '!'..'~'.
    if (argv[2]!.some((c) => c < 0x21 || c > 0x7e)) {
      throw new CommandError('ERR Client names cannot contain spaces, newlines or special characters.');
    }
    ctx.session.name = argv[2]!.length > 0 ? Buffer.from(argv[2]!) : null;
    ctx.out.simple('OK');
  } else if (sub === 'getname') {
    ctx.out.bulk(ctx.session.name);
  } else if (sub === 'id') {
    ctx.out.integer(ctx.session.id);
  } else {
    ctx.out.simple('OK');
  }
}

/** The parameters CONFIG GET knows: those redis-benchmark reads, as a server without persistence. */
const CONFIG: Record<string, string> = { save: '', appendonly: 'no', databases: '1' };

function config(ctx: CommandContext, argv: Buffer[]): void {
  const sub = argv[1]!.toString('latin1').toLowerCase();
  if (sub !== 'get') {
    throw new CommandError(`ERR unknown subcommand '${argv[1]!.toString('latin1')}'. Try CONFIG HELP.`);
  }
  if (argv.length < 3) throw new CommandError(Errors.arity('config|get'));
  const pairs: string[] = [];
  for (const pattern of argv.slice(2)) {
    const name = pattern.toString('latin1').toLowerCase();
    if (name in CONFIG) pairs.push(name, CONFIG[name]!);
  }
  ctx.out.bulkArray(pairs);
}

function command(ctx: CommandContext, argv: Buffer[]): void {
  const sub = argv[1]?.toString('latin1').toLowerCase();
  if (sub === 'count') ctx.out.integer(ctx.engine.commands.size);
  // No command metadata: an empty reply, which redis-cli (hints) and the clients accept.
  else ctx.out.arrayHeader(0);
}

function info(ctx: CommandContext): void {
  const { engine } = ctx;
  const lines = [
    '# Server',
    `redis_version:${REDIS_VERSION}`,
    'redis_mode:standalone',
    `process_id:${process.pid}`,
    `uptime_in_seconds:${Math.floor((Date.now() - engine.startedAt) / 1000)}`,
    '',
    '# Clients',
    `connected_clients:${engine.connectedClients}`,
    '',
    '# Persistence',
    'loading:0',
    '',
    '# Stats',
    `total_connections_received:${engine.totalConnections}`,
    `total_commands_processed:${engine.commandsProcessed}`,
    `expired_keys:${engine.db.expiredBySweep}`,
    '',
    '# Replication',
    'role:master',
    '',
    '# Keyspace',
    ...(engine.db.size > 0 ? [`db0:keys=${engine.db.size},expires=${engine.db.volatileSize},avg_ttl=0`] : []),
    '',
  ];
  ctx.out.bulk(lines.join('\r\n'));
}

function flushall(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length > 2 || (argv.length === 2 && !isWord(argv[1]!, 'sync') && !isWord(argv[1]!, 'async'))) {
    throw new CommandError(Errors.syntax);
  }
  ctx.db.flush();
  ctx.out.simple('OK');
}

/** The commands of this file, by lowercase name. */
export const serverCommands: Record<string, Command> = {
  ping: { arity: -1, run: ping },
  echo: { arity: 2, run: (ctx, argv) => ctx.out.bulk(argv[1]!) },
  select: { arity: 2, run: select },
  quit: {
    arity: -1,
    run: (ctx) => {
      ctx.out.simple('OK');
      ctx.session.closing = true;
    },
  },
  hello: { arity: -1, run: hello },
  client: { arity: -2, run: client },
  config: { arity: -2, run: config },
  command: { arity: -1, run: command },
  info: { arity: -1, run: info },
  dbsize: { arity: 1, run: (ctx) => ctx.out.integer(ctx.db.size) },
  flushall: { arity: -1, run: flushall },
  flushdb: { arity: -1, run: flushall },
};
