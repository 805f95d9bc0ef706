import type { CallbackPolicy } from './callbacks.ts';
import { RejectedByService, type GraphQLClient } from './graphql-client.ts';
import type { Logger } from './logger.ts';
import { outboxDeliveries, outboxDeliveryLatency, targetLabel } from './metrics.ts';
import { inSpan } from './telemetry.ts';
import { SpanKind } from '@opentelemetry/api';
import type { DurableQueue, OutboxMessage } from './queue.ts';

export interface RelayOptions {
  /** The queues whose elements carry outboxes. */
  queues: DurableQueue<any, any>[];
  /** A client per target service name (see pipeline/services.ts). */
  clients: (target: string) => GraphQLClient | undefined;
  logger: Logger;
  /** Where http(s) targets (callbacks) may go; without one, callbacks are refused. */
  callbacks?: CallbackPolicy;
  pollMs?: number;
  batch?: number;
}

/**
 * Delivers recorded hand-offs. A message stays in its element's outbox until the
 * target accepted it, so a target that is down delays the element but never loses
 * it; receivers enqueue idempotently, so a message delivered twice (a relay that
 * died after sending, before recording) has no second effect. Failed deliveries
 * back off exponentially per message.
 */
export function startOutboxRelay({ queues, clients, logger, callbacks, pollMs = 25, batch = 50, maxPollMs = 1_000 }: RelayOptions & { maxPollMs?: number }) {
  const log = logger.child({ component: 'outbox-relay' });
  let running = true;
  let wake: (() => void) | undefined;

  const rejected = new Set<string>();
  // Each delivery continues the trace of the work that recorded the message.
  const deliver = (message: OutboxMessage): Promise<string | null> =>
    inSpan('outbox-relay', `deliver ${targetLabel(message.target)}`, { kind: SpanKind.PRODUCER, parent: message.trace, attributes: { target: targetLabel(message.target) } }, () =>
      send(message),
    );
  const send = async (message: OutboxMessage): Promise<string | null> => {
    if (/^https?:\/\//.test(message.target)) return callbacks ? callbacks.post(message.target, message.variables) : 'callbacks are not allowed from here';
    const client = clients(message.target);
    if (!client) {
      rejected.add(message.id);
      return `no route to ${message.target}`;
    }
    try {
      await client.request(message.operation, message.variables);
      return null;
    } catch (error) {
      // Refused (not unavailable): retrying cannot help, so the message is given up at once.
      if (error instanceof RejectedByService) rejected.add(message.id);
      return error instanceof Error ? error.message : String(error);
    }
  };

  const due = (message: OutboxMessage, now: number) =>
    !message.delivered && !message.abandoned && (!message.nextAttemptAt || message.nextAttemptAt.getTime() <= now);

  const pass = async (): Promise<number> => {
    let sent = 0;
    for (const queue of queues) {
      // Look past elements whose messages are all backing off: they must not hold up the rest.
      const now = Date.now();
      const items = (await queue.withPendingOutbox(batch * 20)).filter((item) => item.outbox.some((message) => due(message, now))).slice(0, batch);
      await Promise.all(
        items.map(async (item) => {
          const pending = item.outbox.filter((message) => due(message, now));
          const outcomes = new Map<string, string | null>();
          await Promise.all(pending.map(async (message) => outcomes.set(message.id, await deliver(message))));
          const refused = new Set([...outcomes.keys()].filter((id) => rejected.delete(id)));
          await queue.recordDeliveries(item._id, outcomes, refused);
          observeDeliveries(queue, pending, outcomes, refused);
          for (const [id, error] of outcomes) {
            if (error) log.warn(refused.has(id) ? 'delivery refused; given up' : 'delivery failed; will retry', { element: item._id, message: id, error });
            else sent++;
          }
        }),
      );
    }
    return sent;
  };

  // Workers nudge the relay when they record a hand-off; between nudges it polls,
  // less and less often while there is nothing to send (each poll is a query).
  let idleMs = pollMs;
  const done = (async () => {
    while (running) {
      try {
        if ((await pass()) > 0) {
          idleMs = pollMs;
          continue;
        }
      } catch (error) {
        log.error('relay pass failed; will retry', { error: error instanceof Error ? error : String(error) });
      }
      await new Promise<void>((resolve) => {
        wake = () => {
          idleMs = pollMs;
          resolve();
        };
        setTimeout(resolve, idleMs);
      });
      idleMs = Math.min(maxPollMs, idleMs * 2);
    }
  })();

  return {
    /** Runs one delivery pass now (tests, and right after a write that has something to send). */
    nudge: () => wake?.(),
    async stop() {
      running = false;
      wake?.();
      await done;
    },
  };
}

function observeDeliveries(queue: DurableQueue<any, any>, messages: OutboxMessage[], outcomes: Map<string, string | null>, refused: ReadonlySet<string>) {
  const now = Date.now();
  for (const message of messages) {
    if (!outcomes.has(message.id)) continue;
    const labels = { ...queue.labels, target: targetLabel(message.target) };
    const error = outcomes.get(message.id);
    outboxDeliveries.inc({ ...labels, outcome: error === null ? 'delivered' : refused.has(message.id) ? 'refused' : 'failed' });
    if (error === null && message.recordedAt) outboxDeliveryLatency.observe(labels, (now - message.recordedAt.getTime()) / 1000);
  }
}
