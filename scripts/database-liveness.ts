import { MongoClient, MongoServerError } from 'mongodb';

export interface HangWatch {
  stop(): Promise<void>;
}

/**
 * Reads one document from the database every `everyMs` and calls `onHang` once when none of
 * those reads has been answered for `hangMs`: a database that still runs but answers nothing.
 *
 * The launcher starts a database that exits again; one that hangs would hold every service's
 * work for good. FerretDB 1.24 can: its pool of PostgreSQL connections has been seen to freeze
 * with every connection waiting for another (scripts/ferretdb.ts, postgresConnectionsFor), and a
 * PostgreSQL backend can be stuck under it. The read goes through FerretDB to its storage, so
 * either counts. `hangMs` is long (60 s by default): a machine saturated by a burst still answers
 * within seconds, so only a database that is stuck stays silent that long.
 */
export function watchForHang(uri: string, { hangMs, everyMs = Math.min(5_000, hangMs / 3), onHang }: { hangMs: number; everyMs?: number; onHang: (silentMs: number) => void }): HangWatch {
  // Each read gives up after `everyMs` without an answer (the driver then closes its connection),
  // so a hung read never holds up the next; one connection is all it ever uses.
  const client = new MongoClient(uri, { appName: 'launcher-liveness', maxPoolSize: 1, socketTimeoutMS: everyMs, connectTimeoutMS: everyMs, serverSelectionTimeoutMS: everyMs });
  const probes = client.db('launcher').collection<{ _id: string; at: Date }>('liveness');
  let answeredAt = Date.now();
  let stored = false;
  let running = true;
  let pause: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  // The hang is called by a timer of its own, `hangMs` after the last answer, not by the read
  // loop: a read that gets no answer takes up to three times `everyMs` to fail (server
  // selection, connecting, the socket), and the loop then waits `everyMs` more before it looks,
  // so a check made there came up to four rounds late.
  let deadline: NodeJS.Timeout | undefined;
  const callHangIn = (ms: number) => {
    deadline = setTimeout(() => {
      if (!running) return;
      const silentMs = Date.now() - answeredAt;
      // A timer can fire a millisecond before the clock says its time has come: wait that out.
      if (silentMs < hangMs) return callHangIn(hangMs - silentMs);
      running = false;
      clearTimeout(pause);
      wake?.();
      onHang(silentMs);
    }, ms);
  };
  const answered = () => {
    answeredAt = Date.now();
    clearTimeout(deadline);
    callHangIn(hangMs);
  };
  answered();
  const loop = async () => {
    while (running) {
      try {
        // Stored once, so that each later read has a row to fetch from the storage; then only read.
        if (!stored) await probes.updateOne({ _id: 'probe' }, { $set: { at: new Date() } }, { upsert: true });
        else await probes.findOne({ _id: 'probe' });
        stored = true;
        if (running) answered();
      } catch (error) {
        // The server answered, if only to refuse (a full disk, storage read-only): it is not stuck.
        // Only silence counts: a timeout, a connection that failed.
        if (error instanceof MongoServerError && running) {
          stored = true;
          answered();
        }
      }
      if (!running) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        pause = setTimeout(resolve, everyMs);
      });
    }
  };
  const done = loop();
  return {
    async stop() {
      running = false;
      clearTimeout(deadline);
      clearTimeout(pause);
      wake?.();
      await client.close().catch(() => {});
      await done;
    },
  };
}

/** FERRETDB_HANG_SECONDS: how long the embedded database may answer nothing before the launcher starts it again (default 60; 0: never). */
export function databaseHangMs(env: NodeJS.ProcessEnv): number {
  const raw = env.FERRETDB_HANG_SECONDS ?? '60';
  const seconds = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !Number.isFinite(seconds)) throw new Error(`FERRETDB_HANG_SECONDS=${raw}: use a number of seconds (0 never restarts a database that hangs)`);
  return seconds * 1000;
}
