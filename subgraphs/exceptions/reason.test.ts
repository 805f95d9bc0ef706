import { describe, expect, it } from 'vitest';
import { gql, testTokens } from '../../test/harness.ts';
import { exceptionsServiceForTests } from './test-service.ts';

// Who reads an exception's reason as the failing step gave it, against the real database and the
// service's own GraphQL interface: a failure's text can name services, addresses and internal
// errors, which are for staff, while a declined card is the customer's to read.

const exceptions = exceptionsServiceForTests('exceptions_reason');

const orderId = '64b0000000000000000000ab';
const internal = 'The inventory service is unavailable; nothing was changed, try again. (connect ECONNREFUSED 127.0.0.1:4104)';

async function raise(queue: string, reason: string, customerReason?: string) {
  const input = { id: `orders:${queue}:${orderId}`, occurrence: queue, service: 'orders', queue, elementId: orderId, orderId, reason, ...(customerReason ? { customerReason } : {}) };
  const res = await gql(exceptions.url, `mutation($input: RaiseExceptionInput!) { raiseException(input: $input) { id } }`, { input });
  expect(res.errors).toBeUndefined();
}

/** The order's exceptions' reasons, as the gateway asks for them on behalf of `scopes`. */
async function reasonsAs(scopes: string[], order = orderId): Promise<string[]> {
  const token = await testTokens.sign({ subject: `${scopes[0]}-1`, scopes, customerId: 'c-1' });
  const res = await gql(exceptions.url, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { exceptions { queue reason } } } }`, { r: [{ __typename: 'Order', id: order }] }, { token });
  expect(res.errors).toBeUndefined();
  return (res.data!._entities[0].exceptions as { queue: string; reason: string }[]).sort((a, b) => a.queue.localeCompare(b.queue)).map((e) => e.reason);
}

describe("an exception's reason", () => {
  it('is the failing step’s own text for staff; a customer reads what was written for them, or that the order is held up', async () => {
    await raise('charge-results', 'card declined: card_declined', 'card declined: card_declined');
    await raise('coordination', internal);
    for (const scopes of [['support'], ['warehouse'], ['service']]) expect(await reasonsAs(scopes)).toEqual(['card declined: card_declined', internal]);
    expect(await reasonsAs(['customer'])).toEqual(['card declined: card_declined', 'Held up in orders; our staff have been told and will act on it.']);
  });

  it('raised before raises carried words for the customer: the coordinator’s decline and missing stock still read as they were, nothing else does', async () => {
    const id = '64b0000000000000000000ac';
    const stored = [
      { queue: 'charge-results', service: 'orders', reason: 'card declined: insufficient_funds' },
      { queue: 'coordination', service: 'orders', reason: 'not enough stock for LAMP-001' },
      { queue: 'requests', service: 'payments', reason: 'card declined: but said by another service' },
      { queue: 'shipments', service: 'orders', reason: internal },
    ];
    await exceptions.store.exceptions.insertMany(
      stored.map(({ queue, service, reason }) => ({ _id: `${service}:${queue}:${id}`, version: 1, status: 'OPEN' as const, service, queue, elementId: id, orderId: id, reason, occurrences: ['o'], raisedAt: new Date(), resolvedAt: null })),
    );
    expect(await reasonsAs(['customer'], id)).toEqual([
      'card declined: insufficient_funds',
      'not enough stock for LAMP-001',
      'Held up in payments; our staff have been told and will act on it.',
      'Held up in orders; our staff have been told and will act on it.',
    ]);
  });
});
