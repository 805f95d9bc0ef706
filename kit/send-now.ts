import { RejectedByService, type GraphQLClient } from './graphql-client.ts';
import { outboxDeliveries } from './metrics.ts';
import type { DurableQueue, NewMessage } from './queue.ts';

/** A failure that took longer than this (a target that hangs, not one that is down) pauses sending at once. */
const SLOW_FAILURE_MS = 250;
/** How long such a pause lasts: messages go straight to the outbox meanwhile. */
const PAUSE_MS = 5_000;

/**
 * Sends messages to one target at once, and posts to `queue`'s outbox for its relay only what
 * the target did not take: refused (the relay gives it up and says so, as for any message), or
 * not answered (the relay retries it with back-off). A target that is down refuses the
 * connection at once and costs nothing to try; one that hangs would hold up every caller for the
 * client's timeout, so after a slow failure messages go straight to the outbox for a few seconds.
 *
 * For a caller whose own record already says what is still to send, that does not finish before
 * it is sent or posted, and whose own caller asks again until it gets an answer (the orders
 * service's transitions on a stage's progress report: order-transitions.ts), so a crash while
 * waiting for the target loses nothing. Each post is an insert, a relay's read and a delete on
 * the database; a message sent at once costs none of them.
 */
export function sendNowOrPost(queue: Pick<DurableQueue<any, any>, 'post' | 'labels'>, client: GraphQLClient | undefined) {
  let pausedUntil = 0;
  return async (id: string, message: NewMessage): Promise<void> => {
    if (client && Date.now() >= pausedUntil) {
      const startedAt = Date.now();
      try {
        await client.request(message.operation, message.variables);
        // Counted with the relay's deliveries of the queue, whose dashboards then see every message
        // it carries. A failure is not: the relay's attempts that follow are.
        outboxDeliveries.inc({ ...queue.labels, target: message.target, outcome: 'delivered' });
        return;
      } catch (error) {
        if (!(error instanceof RejectedByService) && Date.now() - startedAt > SLOW_FAILURE_MS) pausedUntil = Date.now() + PAUSE_MS;
      }
    }
    await queue.post(id, [message]);
  };
}

export type SendNowOrPost = ReturnType<typeof sendNowOrPost>;
