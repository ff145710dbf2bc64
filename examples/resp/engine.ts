/**
 * The transport-agnostic command engine: a {@link RespEngine} holds the keyspace and the
 * command table; a {@link RespSession} per connection turns received chunks into the
 * replies to send. Both the ioreactor and the node:net transports drive it the same way.
 */
import { Keyspace, type Scheduler } from './keyspace.js';
import { RespParser, type RespProtocolError } from './parser.js';
import { ReplyWriter } from './reply.js';

/** What a command handler gets. */
export interface CommandContext {
  readonly engine: RespEngine;
  readonly db: Keyspace;
  readonly out: ReplyWriter;
  readonly session: RespSession;
}

/** A command: Redis's arity (exact if positive, a minimum if negative, name included). */
export interface Command {
  readonly arity: number;
  run(ctx: CommandContext, argv: Buffer[]): void;
}

/** A command's error reply; handlers throw it, the dispatcher writes `-message`. */
export class CommandError extends Error {
  constructor(reply: string) {
    super(reply);
    this.name = 'CommandError';
  }
}

/** Redis's wording for common errors. */
export const Errors = {
  wrongType: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  notInteger: 'ERR value is not an integer or out of range',
  notFloat: 'ERR value is not a valid float',
  syntax: 'ERR syntax error',
  overflow: 'ERR increment or decrement would overflow',
  arity: (name: string): string => `ERR wrong number of arguments for '${name}' command`,
};

/** What a session produced for one chunk. */
export interface SessionOutput {
  /** Replies, in order, to send with one write. */
  replies: Buffer[];
  /** Whether the connection should close once `replies` are flushed (QUIT, protocol error). */
  close: boolean;
}

/** One server's state: the keyspace, the command table and connection counters. */
export class RespEngine {
  readonly db = new Keyspace();
  readonly commands: ReadonlyMap<string, Command>;
  readonly startedAt = Date.now();
  /** Connections accepted so far, and those open now. */
  totalConnections = 0;
  connectedClients = 0;
  commandsProcessed = 0;
  #nextId = 1;

  /** @param commands the command table, lowercase names. */
  constructor(commands: ReadonlyMap<string, Command>) {
    this.commands = commands;
  }

  /** A session for a new connection. */
  openSession(): RespSession {
    this.totalConnections++;
    this.connectedClients++;
    return new RespSession(this, this.#nextId++);
  }

  /** Starts expiring keys in the background on `schedule`. */
  startSweeping(schedule: Scheduler): void {
    this.db.startSweeping(schedule);
  }

  /** Stops the background expiry timer. */
  stopSweeping(): void {
    this.db.stopSweeping();
  }
}

/** One connection's parser and client state. */
export class RespSession {
  readonly engine: RespEngine;
  readonly id: number;
  name: Buffer | null = null;
  /** Set by QUIT (or a protocol error): no more commands run. */
  closing = false;
  readonly #parser = new RespParser();
  readonly #out = new ReplyWriter();
  #open = true;

  /** @internal use {@link RespEngine.openSession}. */
  constructor(engine: RespEngine, id: number) {
    this.engine = engine;
    this.id = id;
  }

  /**
   * Parses `chunk`, runs every complete command in it and returns the replies. After a
   * protocol error the error reply comes last and `close` is set, as Redis does.
   */
  handle(chunk: Buffer): SessionOutput {
    if (this.closing) return { replies: [], close: true };
    const commands: Buffer[][] = [];
    const error: RespProtocolError | null = this.#parser.feedInto(chunk, commands);
    const ctx: CommandContext = { engine: this.engine, db: this.engine.db, out: this.#out, session: this };
    for (const argv of commands) {
      this.#dispatch(ctx, argv);
      if (this.closing) break;
    }
    if (error && !this.closing) {
      this.#out.error(`ERR ${error.message}`);
      this.closing = true;
    }
    return { replies: this.#out.take(), close: this.closing };
  }

  /** The connection is gone; counts it out once. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.engine.connectedClients--;
  }

  #dispatch(ctx: CommandContext, argv: Buffer[]): void {
    this.engine.commandsProcessed++;
    const rawName = argv[0]!.toString('latin1');
    const name = rawName.toLowerCase();
    const command = this.engine.commands.get(name);
    if (command === undefined) {
      ctx.out.error(unknownCommand(rawName, argv));
      return;
    }
    const n = argv.length;
    if ((command.arity > 0 && n !== command.arity) || n < -command.arity) {
      ctx.out.error(Errors.arity(name));
      return;
    }
    try {
      command.run(ctx, argv);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      ctx.out.error(error.message);
    }
  }
}

/** Redis's reply to an unknown command: the name and the first arguments, 128 bytes at most. */
function unknownCommand(name: string, argv: Buffer[]): string {
  let args = '';
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${argv[i]!.toString('latin1').slice(0, 128 - args.length)}' `;
  }
  return `ERR unknown command '${name.slice(0, 128)}', with args beginning with: ${args}`;
}
