import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, type InternalTokens, type ServiceCredentials } from './auth/tokens.ts';
import type { Logger } from './logger.ts';
import { doorbellHearing, doorbellRingsHeard } from './metrics.ts';

// A stage's subgraph stores work for its workers (an element enqueued, a report posted), but the
// workers are other processes, which would only see it at their next poll: up to half a second
// per hop on a quiet system, and two polls a second per queue while nothing happens. The
// doorbell tells them at once. Every process keeps counts of what its queues were given; a
// worker process holds one long poll open to its own service (`GET /doorbell`), which answers
// as soon as a count moves. A ring only makes a poll happen sooner: the workers still poll
// (less often), so a missed ring (another instance of the subgraph, a restart, a dropped
// connection) delays work, never loses it.

/** What a ring is about: new work for a queue's workers, or messages for its outbox relay. */
export type RingKind = 'work' | 'outbox';

export const ringKey = (labels: { database: string; queue: string }, kind: RingKind) => `${labels.database}/${labels.queue}/${kind}`;

export interface Rings {
  /** Changes with every start of the process, so that a waiter never compares counts across two lives. */
  epoch: string;
  /** Rings so far, in all. */
  total: number;
  /** Rings so far, by key. */
  counts: Record<string, number>;
}

/** Rings made in this process (counted, for `/doorbell`), and who listens to them here. */
class Doorbell {
  private readonly epoch = randomUUID();
  private total = 0;
  private readonly counts = new Map<string, number>();
  private readonly listeners = new Set<(key: string) => void>();
  private readonly subscribers = new Map<string, Set<() => void>>();

  /** Something for `key`'s workers or relay was stored here. */
  ring(key: string): void {
    this.total++;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    for (const listener of this.listeners) listener(key);
    this.hear(key);
  }

  /** A ring made here or heard from the service's subgraph: wakes who subscribed to `key`. */
  hear(key: string): void {
    for (const onRing of this.subscribers.get(key) ?? []) onRing();
  }

  /** Calls `onRing` whenever `key` rings or is heard; returns the unsubscribe. */
  subscribe(key: string, onRing: () => void): () => void {
    let set = this.subscribers.get(key);
    if (!set) this.subscribers.set(key, (set = new Set()));
    set.add(onRing);
    return () => set.delete(onRing);
  }

  /** Every ring made here (what `/doorbell` waits on). */
  listen(listener: (key: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  subscribedKeys(): string[] {
    return [...this.subscribers.keys()];
  }

  rings(): Rings {
    return { epoch: this.epoch, total: this.total, counts: Object.fromEntries(this.counts) };
  }
}

/** This process's doorbell: DurableQueue rings it; `/doorbell` and local subscribers hear it. */
export const doorbell = new Doorbell();

const MAX_WAIT_MS = 25_000;
const MAX_WAITERS = 64;
let waiters = 0;

/**
 * `GET /doorbell?epoch=E&total=N`: answers with the rings (JSON) once there are more than N of
 * epoch E, or after `MAX_WAIT_MS`. Only the service's own processes may ask (an internal token
 * for `service:<name>`): anyone else gets 401 or 403, and more than `MAX_WAITERS` at once 503.
 */
export async function serveDoorbell(request: IncomingMessage, response: ServerResponse, access: { service: string; tokens: InternalTokens }): Promise<void> {
  const token = bearerToken(request.headers.authorization);
  if (!token) return json(response, 401, { error: 'the doorbell needs an internal token' });
  const identity = await access.tokens.verify(token).catch(() => null);
  if (!identity) return json(response, 401, { error: 'the internal token is not valid' });
  if (identity.subject !== `service:${access.service}`) return json(response, 403, { error: `only ${access.service}'s own processes may wait on its doorbell` });
  const query = new URL(request.url ?? '/', 'http://localhost').searchParams;
  const epoch = query.get('epoch');
  const total = Number(query.get('total'));
  const heard = () => {
    const now = doorbell.rings();
    return now.epoch !== epoch || !Number.isSafeInteger(total) || now.total > total;
  };
  if (heard()) return json(response, 200, doorbell.rings());
  if (waiters >= MAX_WAITERS) return json(response, 503, { error: 'too many waiting on the doorbell' });
  waiters++;
  try {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stopListening();
        response.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, MAX_WAIT_MS);
      const stopListening = doorbell.listen(done);
      response.on('close', done);
    });
  } finally {
    waiters--;
  }
  if (!response.destroyed) json(response, 200, doorbell.rings());
}

function json(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

/**
 * A worker process's ear on its service's doorbell (`serviceUrl`: the subgraph's GraphQL URL):
 * what rings there is heard here, by the workers and relays subscribed to it. While the subgraph
 * cannot be asked (down, or an older version without one) it tries again every few seconds; the
 * workers' polls cover the gap.
 */
export function hearServiceDoorbell(serviceUrl: string, credentials: ServiceCredentials, logger: Logger): { stop(): void } {
  const hearing = doorbellHearing.labels({ service: credentials.service });
  hearing.set(0);
  const abort = new AbortController();
  let running = true;
  const url = new URL('/doorbell', serviceUrl);

  void (async () => {
    let known: Rings | undefined;
    let failures = 0;
    while (running) {
      try {
        if (known) {
          url.searchParams.set('epoch', known.epoch);
          url.searchParams.set('total', String(known.total));
        }
        const response = await fetch(url, {
          headers: { authorization: await credentials.authorization() },
          signal: AbortSignal.any([abort.signal, AbortSignal.timeout(MAX_WAIT_MS + 10_000)]),
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const rings = (await response.json()) as Rings;
        // Another life of the subgraph (it restarted): what it was given since is unknown, so everyone looks once.
        const keys = !known ? [] : known.epoch === rings.epoch ? Object.keys(rings.counts).filter((key) => rings.counts[key]! > (known!.counts[key] ?? 0)) : doorbell.subscribedKeys();
        known = rings;
        if (failures > 0) logger.info('hearing the doorbell again', { url: url.origin });
        failures = 0;
        hearing.set(1);
        for (const key of keys) {
          const [database = '', queue = '', kind = ''] = key.split('/');
          doorbellRingsHeard.inc({ database, queue, kind });
          doorbell.hear(key);
        }
      } catch (error) {
        if (!running) break;
        hearing.set(0);
        if (failures++ === 0) logger.info('cannot hear the doorbell; polling alone until it answers', { url: url.origin, error: error instanceof Error ? error.message : String(error) });
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 500 * failures)));
      }
    }
  })();

  return {
    stop() {
      running = false;
      abort.abort();
    },
  };
}
