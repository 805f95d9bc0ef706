// The driver's wire connection; not part of its public API (see below for why it is touched).
import { Connection } from 'mongodb/lib/cmap/connection.js';

/** A command about to be sent: its database and name (`find`, `insert`, ...). */
export interface CommandStart {
  database: string;
  name: string;
}
/** Called once the command's reply came (or it failed): its round trip, and the error if it failed. */
export type CommandEnd = (outcome: { durationMs: number; error?: unknown }) => void;
/** Called as each command is sent; returns what to do when it ends, or nothing. */
export type CommandHook = (command: CommandStart) => CommandEnd | undefined;

type Command = (this: { established?: boolean }, ns: { db: string }, command: Record<string, unknown>, ...rest: unknown[]) => Promise<unknown>;

const key = Symbol.for('fulfilment.mongoCommandHooks');
/** On the prototype it wraps: one list however many copies of this module a process loads. */
type Patched = Record<PropertyKey, unknown> & { command: Command; [key]?: CommandHook[] };

/** The server monitor's heartbeats: no work of the service's, and the driver's own events leave them out too. */
const heartbeats = new Set(['hello', 'ismaster', 'isMaster']);

/**
 * Runs `hook` around every command any MongoClient of this process sends (kit/metrics.ts times
 * them; kit/telemetry.ts makes spans while tracing is on). Once per hook, however often called.
 *
 * Why not the driver's command monitoring (`monitorCommands`, its `commandSucceeded` events):
 * to build each event, driver 6.22 decodes the whole reply a second time into plain objects, the
 * documents of every `find` included, whether or not a listener reads them (bench/driver-overhead.ts
 * measures it). The MongoDB driver is the largest part of every busy service's CPU, and the
 * services share two cores with their database. This wraps the one method that sends a command
 * and reads its reply, and reads nothing of either.
 *
 * A hook that throws is ignored: the command under it goes on as if there were no hook.
 */
export function onMongoCommand(hook: CommandHook): void {
  const hooks = patchOnce();
  if (!hooks.includes(hook)) hooks.push(hook);
}

function patchOnce(): CommandHook[] {
  const prototype = Connection.prototype as unknown as Patched;
  const existing = prototype[key];
  if (existing) return existing;
  if (typeof prototype.command !== 'function') {
    throw new Error('mongodb driver: Connection.prototype.command is gone; kit/mongo-command-hooks.ts needs updating for this driver version');
  }
  const hooks: CommandHook[] = [];
  const send = prototype.command;
  prototype.command = async function (ns, command, ...rest) {
    const name = Object.keys(command)[0] ?? 'unknown';
    // Heartbeats, and the handshake of a connection being opened (which the driver's events never showed).
    if (hooks.length === 0 || heartbeats.has(name) || this.established === false) return send.call(this, ns, command, ...rest);
    const ends: CommandEnd[] = [];
    for (const hook of hooks) {
      const end = ignoringErrors(() => hook({ database: ns.db, name }));
      if (end) ends.push(end);
    }
    const startedAt = performance.now();
    let outcome: { durationMs: number; error?: unknown };
    try {
      const reply = await send.call(this, ns, command, ...rest);
      outcome = { durationMs: performance.now() - startedAt };
      return reply;
    } catch (error) {
      outcome = { durationMs: performance.now() - startedAt, error };
      throw error;
    } finally {
      for (const end of ends) ignoringErrors(() => end(outcome));
    }
  };
  prototype[key] = hooks;
  return hooks;
}

function ignoringErrors<T>(call: () => T): T | undefined {
  try {
    const result = call();
    // An async hook's rejection too: unhandled, it would end the process.
    if (result instanceof Promise) result.catch(() => {});
    return result;
  } catch {
    return undefined;
  }
}
