import type { CallbackPolicy } from './callbacks.ts';
import { doorbell, ringKey } from './doorbell.ts';
import { RejectedByService, type GraphQLClient } from './graphql-client.ts';
import type { Logger } from './logger.ts';
import { logRetry } from './unavailable.ts';
import { outboxDeliveries, outboxDeliveryLatency, targetLabel } from './metrics.ts';
import { inSpan } from './telemetry.ts';
import { SpanKind } from '@opentelemetry/api';
import { isCallbackTarget, variablesOf, type DurableQueue, type OutboxMessage, type QueueItem } from './queue.ts';

export interface RelayOptions {
  /** The queues whose elements carry outboxes. */
  queues: DurableQueue<any, any>[];
  /** A client per target service name (see pipeline/services.ts). */
  clients: (target: string) => GraphQLClient | undefined;
  logger: Logger;
  /** Where http(s) targets (callbacks) may go; without one, callbacks are refused. */
  callbacks?: CallbackPolicy;
  /** The first wait of an idle relay; it doubles up to `maxPollMs` while there is nothing to send. */
  pollMs?: number;
  /** Passes are at least this far apart, however many nudges arrive (default: `pollMs`). */
  gapMs?: number;
  batch?: number;
}

/**
 * Delivers recorded hand-offs. A message stays in its element's outbox until the
 * target accepted it, so a target that is down delays the element but never loses
 * it; receivers enqueue idempotently, so a message delivered twice (a relay that
 * died after sending, before recording) has no second effect. Failed deliveries
 * back off exponentially per message.
 */
export function startOutboxRelay({ queues, clients, logger, callbacks, pollMs = 25, gapMs = pollMs, batch = 50, maxPollMs = 2_000 }: RelayOptions & { maxPollMs?: number }) {
  const log = logger.child({ component: 'outbox-relay' });
  let running = true;
  let wake: (() => void) | undefined;

  const rejected = new Set<string>();
  const labelOf = (message: OutboxMessage) => targetLabel(message.target, { callback: isCallbackTarget(message.target), routable: clients(message.target) !== undefined });
  // Each delivery continues the trace of the work that recorded the message.
  const deliver = (message: OutboxMessage): Promise<string | null> =>
    inSpan('outbox-relay', `deliver ${labelOf(message)}`, { kind: SpanKind.PRODUCER, parent: message.trace, attributes: { target: labelOf(message) } }, () =>
      send(message),
    );
  const send = async (message: OutboxMessage): Promise<string | null> => {
    if (isCallbackTarget(message.target)) return callbacks ? callbacks.post(message.target, variablesOf(message)) : 'callbacks are not allowed from here';
    const client = clients(message.target);
    if (!client) {
      rejected.add(message.id);
      return `no route to ${message.target}`;
    }
    try {
      await client.request(message.operation, variablesOf(message));
      return null;
    } catch (error) {
      // Refused (not unavailable): retrying cannot help, so the message is given up at once.
      if (error instanceof RejectedByService) rejected.add(message.id);
      return error instanceof Error ? error.message : String(error);
    }
  };

  const due = (message: OutboxMessage, now: number) =>
    !message.delivered && !message.abandoned && (!message.nextAttemptAt || message.nextAttemptAt.getTime() <= now);

  /**
   * Delivers some of an element's due messages, all at once, and records how each went. `sent` is
   * told as each one's delivery ends: its target's slot is free then, not when the slowest ends.
   */
  const deliverItem = async (queue: DurableQueue<any, any>, item: QueueItem<unknown, unknown>, pending: OutboxMessage[], sent: (message: OutboxMessage) => void): Promise<boolean> => {
    const outcomes = new Map<string, string | null>();
    await Promise.all(
      pending.map(async (message) => {
        try {
          outcomes.set(message.id, await deliver(message));
        } finally {
          sent(message);
        }
      }),
    );
    const refused = new Set([...outcomes.keys()].filter((id) => rejected.delete(id)));
    await queue.recordDeliveries(item._id, outcomes, refused, item);
    observeDeliveries(queue, pending, outcomes, refused, labelOf);
    for (const [id, error] of outcomes) {
      if (error) log.warn(refused.has(id) ? 'delivery refused; given up' : 'delivery failed; will retry', { element: item._id, message: id, error });
    }
    return [...outcomes.values()].every((error) => error === null);
  };

  // Up to `batch` messages per target and queue are being delivered at any time, and up to four
  // times that many elements per queue. A pass tops that up and does not wait: a target that times
  // out fills only its own slots, and an element's messages to other targets go without it (its
  // message to the slow target follows once there is room). Elements are taken in a random order
  // among those due, so that the same few, retrying again and again, cannot starve the rest.
  const inFlight = new Map<DurableQueue<any, any>, Set<string>>(queues.map((queue) => [queue, new Set()]));
  const toTarget = new Map<string, number>();
  // A callback's slots are its receiver's (its origin): one that hangs holds up only its own.
  const slotOf = (queue: DurableQueue<any, any>, message: OutboxMessage) => `${queue.name}\u0000${receiverOf(message.target)}`;
  // Elements whose delivery finished while a pass was reading: what it read of them predates the
  // recorded outcome, and would send a delivered message a second time.
  const finishedDuringRead = new Map<DurableQueue<any, any>, Set<string>>(queues.map((queue) => [queue, new Set()]));
  const deliveries = new Set<Promise<void>>();
  const limit = batch * 20;
  // What a pass reads: elements with messages to deliver, in no particular order (FerretDB sorts
  // in Go, after reading every match). When there are more than one read takes (a target down for
  // long, its elements backing off), the same first ones would come back every time, so it also
  // reads those with a message never tried (a new hand-off), and now and then those falling due
  // first (a retry to a target that is back): sorted, which costs a read of the whole backlog, so
  // at most every maxPollMs and at most a twentieth of the time.
  const dueFirstAt = new Map<DurableQueue<any, any>, number>();
  const readPending = async (queue: DurableQueue<any, any>): Promise<QueueItem<unknown, unknown>[]> => {
    const all = await queue.withPendingOutbox(limit);
    if (all.length < limit) return all;
    const more = await queue.withPendingOutbox(limit, 'fresh');
    if (Date.now() >= (dueFirstAt.get(queue) ?? 0)) {
      const started = Date.now();
      more.push(...(await queue.withPendingOutbox(limit, 'due-first')));
      dueFirstAt.set(queue, Date.now() + Math.max(maxPollMs, 20 * (Date.now() - started)));
    }
    const seen = new Set<string>();
    return [...more, ...all].filter((item) => !seen.has(item._id) && seen.add(item._id));
  };
  // A pass reads the queues something was recorded in since the last (a ring, a nudge, a finished
  // delivery making room), or all of them when a poll is due: one hand-off does not cost a read of
  // every queue the relay serves. Returns how many deliveries it started that nobody rang for, and
  // whether a read failed (the other queues are read all the same).
  let toRead = new Set<DurableQueue<any, any>>();
  let retryAt = Number.POSITIVE_INFINITY;
  // A queue whose read failed (the database or its connection) is read again soon, sooner than an
  // idle poll, but less often while its reads keep failing: 0.1 s, doubling up to maxPollMs.
  const readFailures = new Map<DurableQueue<any, any>, { count: number; retryAt: number }>();
  const pass = async (polling: boolean): Promise<{ unrung: number; failed: boolean }> => {
    let unrung = 0;
    let failed = false;
    const asked = toRead;
    toRead = new Set();
    for (const queue of queues) {
      // Stopped meanwhile: start no more deliveries (stopping waits for those in flight).
      if (!running) break;
      if (!polling && !asked.has(queue)) continue;
      const busy = inFlight.get(queue)!;
      if (busy.size >= batch * 4) {
        crowded.add(queue);
        continue;
      }
      // Its last read failed: not again before its back-off ends, however often it or another rings.
      const failing = readFailures.get(queue);
      if (failing && failing.retryAt > Date.now()) continue;
      const finished = finishedDuringRead.get(queue)!;
      finished.clear();
      let read: QueueItem<unknown, unknown>[];
      try {
        read = await readPending(queue);
        readFailures.delete(queue);
      } catch (error) {
        failed = true;
        const count = (failing?.count ?? 0) + 1;
        readFailures.set(queue, { count, retryAt: Date.now() + Math.min(maxPollMs, 50 * 2 ** count) });
        logRetry(log, 'reading pending messages failed', error, { queue: queue.name });
        continue;
      }
      const now = Date.now();
      const candidates = read.filter((item) => !busy.has(item._id) && !finished.has(item._id) && item.outbox.some((message) => due(message, now)));
      // A failed delivery's retry is read when it falls due, not at the next poll (up to maxPollMs
      // later). One due already is a candidate now, or in flight (its end wakes the relay).
      for (const item of read) {
        for (const message of item.outbox) {
          const retryDue = !message.delivered && !message.abandoned ? (message.nextAttemptAt?.getTime() ?? 0) : 0;
          if (retryDue > now) retryAt = Math.min(retryAt, retryDue);
        }
      }
      for (const item of shuffled(candidates)) {
        if (busy.size >= batch * 4 || !running) {
          crowded.add(queue);
          break;
        }
        const sending = item.outbox.filter((message) => due(message, now) && (toTarget.get(slotOf(queue, message)) ?? 0) < batch);
        if (sending.length === 0) continue;
        if (!asked.has(queue)) unrung++;
        start(queue, item, sending);
      }
    }
    return { unrung, failed };
  };

  // Queues a pass left elements of for lack of room (too many in flight): a pass reads them again
  // as soon as a delivery ends.
  const crowded = new Set<DurableQueue<any, any>>();
  const start = (queue: DurableQueue<any, any>, item: QueueItem<unknown, unknown>, sending: OutboxMessage[]) => {
    const busy = inFlight.get(queue)!;
    for (const slot of sending.map((message) => slotOf(queue, message))) toTarget.set(slot, (toTarget.get(slot) ?? 0) + 1);
    busy.add(item._id);
    const freeSlot = (message: OutboxMessage) => {
      const slot = slotOf(queue, message);
      const wasFull = toTarget.get(slot)! >= batch;
      toTarget.set(slot, toTarget.get(slot)! - 1);
      // Room again for a message to a target that had none (the element waits for its slowest).
      if (wasFull) wakeUp(queue);
    };
    const delivery = deliverItem(queue, item, sending, freeSlot)
      .catch((error: unknown) => {
        logRetry(log, 'recording deliveries failed', error, { element: item._id });
        return false;
      })
      .then((allDelivered) => {
        busy.delete(item._id);
        finishedDuringRead.get(queue)!.add(item._id);
        deliveries.delete(delivery);
        // A failed delivery's retry is scheduled from a read of what was recorded; an element
        // delivered in full needs nothing more, and costs no read.
        if (!allDelivered || crowded.delete(queue)) wakeUp(queue);
      });
    deliveries.add(delivery);
  };

  /**
   * An element just completed in this process, handed over by its queue (DurableQueue.complete):
   * its messages go now, from what the completion wrote, without a read of the queue, which would
   * find what this already holds. False (the queue then rings for a pass, as without this) when it
   * cannot all go at once: stopping, the element in flight already, or no room.
   */
  const take = (queue: DurableQueue<any, any>, item: QueueItem<unknown, unknown>): boolean => {
    const busy = inFlight.get(queue)!;
    if (!running || busy.has(item._id) || busy.size >= batch * 4) return false;
    const now = Date.now();
    const pending = item.outbox.filter((message) => due(message, now));
    if (pending.length === 0 || pending.some((message) => (toTarget.get(slotOf(queue, message)) ?? 0) >= batch)) return false;
    start(queue, item, pending);
    return true;
  };
  const stopTaking = queues.map((queue) => queue.handCompletedTo((item) => take(queue, item)));

  // The queue's outbox rings whenever messages are recorded in it (an element completed or parked
  // here, a report or a change in flight at the service's subgraph, heard through the doorbell),
  // and a finished delivery makes room.
  // Apart from those it polls every queue, on its own clock whatever rings, for what no one rings
  // for (a failed delivery's retry coming due, a ring missed): less and less often while polls
  // find nothing (each is a query per queue), again every `pollMs` once one does.
  // Passes are at least `gapMs` apart however many nudges arrive.
  let idleMs = pollMs;
  let pollAt = 0;
  // A nudge, ring or finished delivery while a pass runs is not lost: the pass may have read
  // before the message was recorded, so another follows at once.
  let rung = false;
  /** Something was recorded in `queue` (or, without one, in any of them): a pass reads it now. */
  const wakeUp = (queue?: DurableQueue<any, any>) => {
    for (const each of queue ? [queue] : queues) toRead.add(each);
    rung = true;
    wake?.();
  };
  const stopHearing = queues.map((queue) => doorbell.subscribe(ringKey(queue.labels, 'outbox'), () => wakeUp(queue)));
  const done = (async () => {
    while (running) {
      const passStarted = Date.now();
      rung = false;
      const polling = passStarted >= pollAt;
      let outcome = { unrung: 0, failed: true };
      try {
        outcome = await pass(polling);
      } catch (error) {
        logRetry(log, 'relay pass failed', error);
      }
      const { unrung, failed } = outcome;
      if (polling) {
        // A poll that could not read everything found nothing only about what it read.
        idleMs = unrung > 0 ? pollMs : failed ? idleMs : Math.min(maxPollMs, idleMs * 2);
        pollAt = Date.now() + idleMs;
      }
      // A queue whose read failed is polled when its back-off ends.
      for (const { retryAt: readAgainAt } of readFailures.values()) pollAt = Math.min(pollAt, Math.max(readAgainAt, Date.now()));
      if (retryAt < pollAt) pollAt = Math.max(retryAt, Date.now());
      retryAt = Number.POSITIVE_INFINITY;
      // Stopped during the pass: stop() found no wait to cut short, so none may begin.
      if (!running) break;
      if (!rung)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(0, pollAt - Date.now()));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      wake = undefined;
      const sincePass = Date.now() - passStarted;
      if (running && sincePass < gapMs) await new Promise((resolve) => setTimeout(resolve, gapMs - sincePass));
    }
  })();

  return {
    /** Runs one delivery pass over every queue now (tests). */
    nudge: () => wakeUp(),
    async stop() {
      running = false;
      for (const stop of [...stopHearing, ...stopTaking]) stop();
      wake?.();
      await done;
      await Promise.allSettled([...deliveries]);
    },
  };
}

/** A service's name, or a callback URL's origin (a URL that does not parse is its own receiver). */
function receiverOf(target: string): string {
  if (!isCallbackTarget(target)) return target;
  try {
    return new URL(target).origin;
  } catch {
    return target;
  }
}

function shuffled<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function observeDeliveries(queue: DurableQueue<any, any>, messages: OutboxMessage[], outcomes: Map<string, string | null>, refused: ReadonlySet<string>, labelOf: (message: OutboxMessage) => string) {
  const now = Date.now();
  for (const message of messages) {
    if (!outcomes.has(message.id)) continue;
    const labels = { ...queue.labels, target: labelOf(message) };
    const error = outcomes.get(message.id);
    outboxDeliveries.inc({ ...labels, outcome: error === null ? 'delivered' : refused.has(message.id) ? 'refused' : 'failed' });
    if (error === null && message.recordedAt) outboxDeliveryLatency.observe(labels, (now - message.recordedAt.getTime()) / 1000);
  }
}
