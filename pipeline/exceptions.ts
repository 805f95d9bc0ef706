import { randomUUID } from 'node:crypto';
import { variablesOf, type NewMessage, type OutboxMessage } from '../kit/queue.ts';
import { operations } from './messages.ts';

/** One raise of an exception: which element of which service's queue, and why. */
export interface RaisedException {
  service: string;
  queue: string;
  elementId: string;
  orderId?: string | null;
  /** Why, as the failing step said it: for staff (it may name services, addresses, internal errors). */
  reason: string;
  /** Why, in words written for the order's customer; absent when nothing was (a failure inside the pipeline). */
  customerReason?: string | null;
  /** Tells this raise apart from the element's later ones; a re-run of the same work passes the same. */
  occurrence: string;
}

const exceptionInput = (raised: RaisedException) => ({
  id: `${raised.service}:${raised.queue}:${raised.elementId}`,
  occurrence: raised.occurrence,
  service: raised.service,
  queue: raised.queue,
  elementId: raised.elementId,
  orderId: raised.orderId ?? null,
  reason: raised.reason,
  // Sent only when there are words for the customer: an exceptions service from before it took them
  // refuses an input field it does not know, and would refuse every raise.
  ...(raised.customerReason ? { customerReason: raised.customerReason } : {}),
});

/** The message that hands a failed element to the exceptions service, where a person can retry or cancel it. */
export function exceptionFor(input: Omit<RaisedException, 'occurrence'> & { occurrence?: string }): NewMessage {
  // A re-run of the same work (a worker that died after deciding) passes the same
  // occurrence, so the exceptions service sees one occurrence, not two.
  const raised = { ...input, occurrence: input.occurrence ?? randomUUID() };
  const variables = { input: exceptionInput(raised) };
  return { id: `exception:${variables.input.id}:${raised.occurrence}`, target: 'exceptions', operation: operations.raiseException, variables };
}

/** The longest resolution the exceptions service records (`closeException`): a close with a longer one is refused. */
export const MAX_RESOLUTION = 500;

/**
 * The message that closes a raise nobody needs to act on any more: its order was cancelled while
 * it waited for a person (`ORDER_CANCELLED`, the exception reads CANCELLED), or what it waited for
 * came by itself (`WAIT_OVER`: the customer paid again, stock came in; it reads RESOLVED). It may
 * arrive before the raise (they travel apart); the exceptions service then records the raise as
 * closed, and the raise itself changes nothing.
 */
export function exceptionClosed(raised: RaisedException, resolution: string, because: 'ORDER_CANCELLED' | 'WAIT_OVER' = 'ORDER_CANCELLED'): NewMessage {
  const variables = { input: exceptionInput(raised), resolution };
  const operation = because === 'WAIT_OVER' ? operations.closeExceptionWaitOver : operations.closeException;
  return { id: `exception-closed:${variables.input.id}:${raised.occurrence}`, target: 'exceptions', operation, variables };
}

/**
 * The close of the exception an element's last parking raised (found in its outbox), for an
 * element taken out of the pipeline while it waited for a person; null if it raised none.
 */
export function closeOfParked(outbox: readonly Pick<OutboxMessage, 'operation' | 'variables' | 'variablesJson'>[], resolution: string): NewMessage | null {
  const raise = outbox.findLast((message) => message.operation === operations.raiseException);
  if (!raise) return null;
  const { id: _, ...raised } = (variablesOf(raise) as { input: ReturnType<typeof exceptionInput> }).input;
  return exceptionClosed(raised, resolution);
}

/** What the exceptions service calls on the service that parked an element. */
export function resolveOperation(service: string): string {
  const name = `resolve${service[0]!.toUpperCase()}${service.slice(1)}Exception`;
  return `mutation Resolve($queue: String!, $elementId: ID!, $action: ExceptionAction!) { ${name}(queue: $queue, elementId: $elementId, action: $action) }`;
}
