import { randomUUID } from 'node:crypto';
import type { NewMessage } from '../kit/queue.ts';
import { operations } from './messages.ts';

/** The message that hands a failed element to the exceptions service, where a person can retry or cancel it. */
export function exceptionFor(input: { service: string; queue: string; elementId: string; orderId?: string | null; reason: string; occurrence?: string }): NewMessage {
  const id = `${input.service}:${input.queue}:${input.elementId}`;
  // A re-run of the same work (a worker that died after deciding) passes the same
  // occurrence, so the exceptions service sees one occurrence, not two.
  const occurrence = input.occurrence ?? randomUUID();
  return {
    id: `exception:${id}:${occurrence}`,
    target: 'exceptions',
    operation: operations.raiseException,
    variables: {
      input: { id, occurrence, service: input.service, queue: input.queue, elementId: input.elementId, orderId: input.orderId ?? null, reason: input.reason },
    },
  };
}

/** What the exceptions service calls on the service that parked an element. */
export function resolveOperation(service: string): string {
  const name = `resolve${service[0]!.toUpperCase()}${service.slice(1)}Exception`;
  return `mutation Resolve($queue: String!, $elementId: ID!, $action: ExceptionAction!) { ${name}(queue: $queue, elementId: $elementId, action: $action) }`;
}
