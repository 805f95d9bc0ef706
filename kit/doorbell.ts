import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isServiceNamed } from './auth/identity.ts';
import { bearerToken, type InternalTokens, type ServiceCredentials } from './auth/tokens.ts';
import { sendJson } from './http.ts';
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
export class Doorbell {
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
/** Lives of the service a listener remembers: several instances behind one URL answer in turn. */
const EPOCHS_KEPT = 32;
/**
 * An answer that came back sooner than this and woke nothing new is not a ring: more instances
 * behind one URL than a listener remembers, or an instance of another version that does not
 * understand what the listener has seen. The listener then pauses before asking again, longer
 * each time (up to `MAX_IDLE_PAUSE_MS`, the workers' own poll), so it never spins.
 */
const QUICK_ANSWER_MS = 1_000;
const MAX_IDLE_PAUSE_MS = 2_000;
/**
 * Asks at most this often, however often it rings: under load every ring would otherwise cost a
 * round trip per worker process (hundreds a second); rings made meanwhile come in one answer.
 */
const MIN_ASK_GAP_MS = 25;
/** Waking every key (for a life of an instance not heard from before) at most this often: the workers poll that often anyway. */
const WAKE_ALL_EVERY_MS = 2_000;
let waiters = 0;

/**
 * `GET /doorbell?seen=E1:N1,E2:N2`: answers with this process's rings (JSON) once there are more
 * than N of its epoch, at once if its epoch is not among those seen (a new listener, another
 * instance, a restart), else after `MAX_WAIT_MS`. Only the service's own processes may ask (an
 * internal service token for `service:<name>`): anyone else gets 401 or 403, and more than
 * `MAX_WAITERS` at once 503.
 */
export async function serveDoorbell(
  request: IncomingMessage,
  response: ServerResponse,
  access: { service: string; tokens: InternalTokens },
  bell: Doorbell = doorbell,
): Promise<void> {
  const token = bearerToken(request.headers.authorization);
  if (!token) return sendJson(response, 401, { error: 'the doorbell needs an internal token' });
  const identity = await access.tokens.verify(token).catch(() => null);
  if (!identity) return sendJson(response, 401, { error: 'the internal token is not valid' });
  if (!isServiceNamed(identity, access.service)) {
    return sendJson(response, 403, { error: `only ${access.service}'s own processes may wait on its doorbell` });
  }
  const seen = seenTotal(new URL(request.url ?? '/', 'http://localhost').searchParams, bell.rings().epoch);
  if (seen === undefined || bell.rings().total > seen) return sendJson(response, 200, bell.rings());
  if (response.destroyed) return;
  if (waiters >= MAX_WAITERS) return sendJson(response, 503, { error: 'too many waiting on the doorbell' });
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
      const stopListening = bell.listen(done);
      response.on('close', done);
    });
  } finally {
    waiters--;
  }
  if (!response.destroyed) sendJson(response, 200, bell.rings());
}

/**
 * How many rings of `epoch` the listener has seen, or undefined if none: `seen` lists `epoch:total`
 * pairs; a listener of the first version of the doorbell sends one pair as `epoch` and `total`.
 */
function seenTotal(params: URLSearchParams, epoch: string): number | undefined {
  const seen = params.get('seen') ?? `${params.get('epoch') ?? ''}:${params.get('total') ?? ''}`;
  for (const pair of seen.split(',')) {
    const [at, total] = pair.split(':');
    if (at === epoch && Number.isSafeInteger(Number(total))) return Number(total);
  }
  return undefined;
}

/** `/doorbell` beside the subgraph's GraphQL endpoint, so that a path prefix (path-based routing) is kept. */
export function doorbellUrl(serviceUrl: string): URL {
  const url = new URL(serviceUrl);
  url.search = '';
  url.hash = '';
  url.pathname = `${url.pathname.replace(/\/graphql\/?$/, '').replace(/\/+$/, '')}/doorbell`;
  return url;
}

/**
 * A worker process's ear on its service's doorbell (`serviceUrl`: the subgraph's GraphQL URL):
 * what rings there is heard here, by the workers and relays subscribed to it. While the subgraph
 * cannot be asked (down, or an older version without one) it tries again every few seconds; the
 * workers' polls cover the gap. Behind a load balancer each answer may come from another
 * instance: the listener remembers each one's rings, so an instance answers at once only the
 * first time it is heard from (or after a restart), and only then are all its keys woken.
 */
export function hearServiceDoorbell(serviceUrl: string, credentials: ServiceCredentials, logger: Logger): { stop(): void } {
  const hearing = doorbellHearing.labels({ service: credentials.service });
  hearing.set(0);
  const abort = new AbortController();
  let running = true;
  const url = doorbellUrl(serviceUrl);
  // Rings heard, by epoch (one per life of each instance), newest last.
  const known = new Map<string, Rings>();
  // A pause between attempts that stop() cuts short.
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      abort.signal.addEventListener('abort', done, { once: true });
    });

  const hear = (keys: Iterable<string>) => {
    for (const key of keys) {
      const [database = '', queue = '', kind = ''] = key.split('/');
      doorbellRingsHeard.inc({ database, queue, kind });
      doorbell.hear(key);
    }
  };
  // Everyone is woken at most every WAKE_ALL_EVERY_MS; one asked for sooner (a second instance
  // heard from during a rolling deploy) is put off until then, not dropped.
  let wokeAllAt = 0;
  let wakeAllLater: NodeJS.Timeout | undefined;
  const wakeAll = () => {
    clearTimeout(wakeAllLater);
    wakeAllLater = undefined;
    wokeAllAt = Date.now();
    hear(doorbell.subscribedKeys());
  };

  void (async () => {
    let failures = 0;
    // Answers in a row that came back at once and woke nothing new.
    let idleAnswers = 0;
    while (running) {
      try {
        const askedAt = Date.now();
        url.searchParams.set('seen', [...known.values()].map((rings) => `${rings.epoch}:${rings.total}`).join(','));
        const response = await fetch(url, {
          headers: { authorization: await credentials.authorization() },
          signal: AbortSignal.any([abort.signal, AbortSignal.timeout(MAX_WAIT_MS + 10_000)]),
        });
        if (!response.ok) {
          await response.body?.cancel();
          throw new Error(`HTTP ${response.status}`);
        }
        const rings = (await response.json()) as Rings;
        const before = known.get(rings.epoch);
        // A life of an instance not heard from before: what it was given so far is unknown, so
        // everyone looks once (not on the very first answer: the workers polled as they started).
        const keys = before ? Object.keys(rings.counts).filter((key) => rings.counts[key]! > (before.counts[key] ?? 0)) : [];
        if (!before && known.size > 0) {
          const wait = wokeAllAt + WAKE_ALL_EVERY_MS - Date.now();
          if (wait <= 0) wakeAll();
          else wakeAllLater ??= setTimeout(wakeAll, wait);
        }
        known.delete(rings.epoch);
        known.set(rings.epoch, rings);
        if (known.size > EPOCHS_KEPT) known.delete(known.keys().next().value!);
        if (failures > 0) logger.info('hearing the doorbell again', { url: url.origin });
        failures = 0;
        hearing.set(1);
        hear(keys);
        const rang = before !== undefined && keys.length > 0;
        if (rang || Date.now() - askedAt >= QUICK_ANSWER_MS) idleAnswers = 0;
        else if (idleAnswers++ > 0) await pause(Math.min(MAX_IDLE_PAUSE_MS, 50 * 2 ** idleAnswers));
        const sinceAsked = Date.now() - askedAt;
        if (sinceAsked < MIN_ASK_GAP_MS) await pause(MIN_ASK_GAP_MS - sinceAsked);
      } catch (error) {
        if (!running) break;
        hearing.set(0);
        if (failures++ === 0) logger.info('cannot hear the doorbell; polling alone until it answers', { url: url.origin, error: error instanceof Error ? error.message : String(error) });
        await pause(Math.min(5_000, 500 * failures));
      }
    }
    hearing.set(0);
  })();

  return {
    stop() {
      running = false;
      clearTimeout(wakeAllLater);
      abort.abort();
    },
  };
}
