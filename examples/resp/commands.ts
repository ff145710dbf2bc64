/** The full command table, and an engine built on it. */
import { collectionCommands } from './cmd-collections.js';
import { keyCommands } from './cmd-keys.js';
import { serverCommands } from './cmd-server.js';
import { type Command, RespEngine } from './engine.js';

/** Every command this server knows, by lowercase name. */
export const commandTable: ReadonlyMap<string, Command> = new Map(
  Object.entries({ ...serverCommands, ...keyCommands, ...collectionCommands }),
);

/** A fresh engine (an empty keyspace) with every command. */
export function createEngine(): RespEngine {
  return new RespEngine(commandTable);
}
