import { RejectedByService, type GraphQLClient } from './graphql-client.ts';
import { outboxDeliveries } from './metrics.ts';
import type { DurableQueue, NewMessage } from './queue.ts';

/** A failure that took longer than this (a target that hangs, not one that is down) pauses sending at once. */
const SLOW_FAILURE_MS = 250;
/** How long such a pause lasts: callers take their slower, durable way meanwhile. */
const PAUSE_MS = 5_000;
/** The longest a caller waits, counting the wait for a free connection: beyond it the target hangs. */
const DEADLINE_MS = 2_000;

/** The queue whose outbox would otherwise have carried a message: its deliveries' metrics count this one too. */
type CountedAs = Pick<DurableQueue<any, any>, 'labels'>;

/**
 * Sends messages to one target at once, and says whether it took each. What it did not take
 * (refused, or not answered) is for the caller to hand to an outbox, whose relay gives it up and
 * says so, or retries it with back-off. A target that is down refuses the connection at once and
 * costs nothing to try; one that hangs would hold up every caller, each queued for a connection
 * behind the hung ones and then for its own timeout. So no caller waits longer than
 * DEADLINE_MS, and a slow failure or a missed deadline answers "not taken" to every caller still
 * waiting and, for a few seconds, to each new one without trying. (A message that is taken after
 * all, late, is also sent the durable way: receivers take each once.)
 *
 * Only for a caller whose own record already says what is still to send, so that a crash while
 * waiting for the target loses nothing: a message sent at once costs none of an outbox's database
 * requests (an insert or a write, a relay's read and a record of the delivery).
 */
export function sendNow(client: GraphQLClient | undefined, deadlineMs = DEADLINE_MS) {
  let pausedUntil = 0;
  const waiting = new Set<(taken: boolean) => void>();
  const pause = () => {
    pausedUntil = Date.now() + PAUSE_MS;
    for (const answer of [...waiting]) answer(false);
  };
  return (message: NewMessage, countedAs: CountedAs): Promise<boolean> => {
    if (!client || Date.now() < pausedUntil) return Promise.resolve(false);
    const startedAt = Date.now();
    return new Promise<boolean>((resolve) => {
      const answer = (taken: boolean) => {
        if (!waiting.delete(answer)) return; // answered already (the deadline, or a pause)
        clearTimeout(deadline);
        resolve(taken);
      };
      waiting.add(answer);
      const deadline = setTimeout(pause, deadlineMs);
      client.request(message.operation, message.variables).then(
        () => {
          // Counted with the relay's deliveries of the queue, whose dashboards then see every message
          // it carries. A failure is not, nor a late success: the relay's attempts that follow are.
          if (waiting.has(answer)) outboxDeliveries.inc({ ...countedAs.labels, target: message.target, outcome: 'delivered' });
          answer(true);
        },
        (error: unknown) => {
          if (!(error instanceof RejectedByService) && Date.now() - startedAt > SLOW_FAILURE_MS) pause();
          answer(false);
        },
      );
    });
  };
}

export type SendNow = ReturnType<typeof sendNow>;

/**
 * Sends a message at once (`sendNow`), and posts to `queue`'s outbox for its relay only what the
 * target did not take. For a caller that does not finish before the message is sent or posted,
 * and whose own caller asks again until it gets an answer (the orders service's transitions on a
 * stage's progress report: order-transitions.ts). Each post is an insert, a relay's read and a
 * delete on the database; a message sent at once costs none of them.
 */
export function sendNowOrPost(queue: Pick<DurableQueue<any, any>, 'post' | 'labels'>, send: SendNow) {
  return async (id: string, message: NewMessage): Promise<void> => {
    if (!(await send(message, queue))) await queue.post(id, [message]);
  };
}

export type SendNowOrPost = ReturnType<typeof sendNowOrPost>;
