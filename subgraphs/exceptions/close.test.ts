import { describe, expect, it } from 'vitest';
import { codes, gql, testTokens, userToken } from '../../test/harness.ts';
import { exceptionsServiceForTests } from './test-service.ts';

// An exception its owner closes because nobody need act on it any more (the order it held was
// cancelled while it waited for a person), against the real database and the service's own
// GraphQL interface. The close travels apart from the raise, so it may come first.

const exceptions = exceptionsServiceForTests('exceptions_close');

const FIELDS = 'id status occurrences resolution resolvedAt';
const agent = { subject: 'agent-7', note: null };
const inputFor = (name: string) => ({ id: `orders:charge-results:${name}`, occurrence: name, service: 'orders', queue: 'charge-results', elementId: name, orderId: '64b0000000000000000000aa', reason: 'card declined: card_declined' });

async function raise(name: string) {
  const res = await gql(exceptions.url, `mutation($input: RaiseExceptionInput!) { raiseException(input: $input) { ${FIELDS} } }`, { input: inputFor(name) });
  expect(res.errors).toBeUndefined();
  return res.data!.raiseException;
}

async function closeException(name: string) {
  const res = await gql(exceptions.url, `mutation($input: RaiseExceptionInput!) { closeException(input: $input, resolution: "the order was cancelled") { ${FIELDS} } }`, { input: inputFor(name) });
  expect(res.errors).toBeUndefined();
  return res.data!.closeException;
}

/** The close the orders service sends when what the exception waited for came by itself. */
async function waitOver(name: string) {
  const res = await gql(exceptions.url, `mutation($input: RaiseExceptionInput!) { closeException(input: $input, resolution: "the customer paid again", because: WAIT_OVER) { ${FIELDS} } }`, { input: inputFor(name) });
  expect(res.errors).toBeUndefined();
  return res.data!.closeException;
}

describe('closing an exception nobody need act on', () => {
  it('closes an open one as CANCELLED, with its resolution; a second close changes nothing', async () => {
    expect(await raise('open-1')).toMatchObject({ status: 'OPEN', resolution: null, resolvedAt: null });
    const closed = await closeException('open-1');
    expect(closed).toMatchObject({ status: 'CANCELLED', occurrences: 1, resolution: 'the order was cancelled' });
    expect(closed.resolvedAt).not.toBeNull();
    expect(await closeException('open-1')).toEqual(closed);
  });

  it('that comes before its raise: recorded closed, and the raise that follows does not open it', async () => {
    expect(await closeException('early-1')).toMatchObject({ status: 'CANCELLED', occurrences: 1 });
    expect(await raise('early-1')).toMatchObject({ status: 'CANCELLED', occurrences: 1, resolution: 'the order was cancelled' });
    const open = await gql(exceptions.url, `{ exceptions(status: OPEN, first: 100) { edges { node { id } } } }`);
    expect(open.data!.exceptions.edges.map((edge: { node: { id: string } }) => edge.node.id)).not.toContain('orders:charge-results:early-1');
  });

  it('while a person’s retry is claimed: a refused retry closes it instead of opening it again', async () => {
    await raise('claimed-1');
    const claim = await exceptions.store.claim('orders:charge-results:claimed-1', 'RETRY', agent);
    expect(claim.outcome).toBe('claimed');
    expect(await closeException('claimed-1')).toMatchObject({ status: 'RETRIED', resolution: null });
    // The orders service refuses the retry (the order is cancelled): the claim is released.
    const released = await exceptions.store.release('orders:charge-results:claimed-1', claim.outcome === 'claimed' ? claim.pending.token : '');
    expect(released).toMatchObject({ status: 'CANCELLED', resolution: 'the order was cancelled', pending: null });

    // Without a close, a refused retry opens it again, as before.
    await raise('claimed-2');
    const other = await exceptions.store.claim('orders:charge-results:claimed-2', 'RETRY', agent);
    const reopened = await exceptions.store.release('orders:charge-results:claimed-2', other.outcome === 'claimed' ? other.pending.token : '');
    expect(reopened).toMatchObject({ status: 'OPEN', resolvedAt: null });
  });

  it('while a person’s cancel is claimed and its owner cannot be reached: closes instead of opening again', async () => {
    await raise('claimed-3');
    const claim = await exceptions.store.claim('orders:charge-results:claimed-3', 'CANCEL', agent);
    expect(await closeException('claimed-3')).toMatchObject({ status: 'CANCELLED', resolution: null });
    // The owner timed out (DEPENDENCY_UNAVAILABLE for the person): the claim is released.
    const released = await exceptions.store.release('orders:charge-results:claimed-3', claim.outcome === 'claimed' ? claim.pending.token : '');
    expect(released).toMatchObject({ status: 'CANCELLED', resolution: 'the order was cancelled', pending: null, closeOnRelease: null });
  });

  it('is for services only: a caller without a token, a client token sent straight to the subgraph, and support or a customer are refused, and nothing is written', async () => {
    const mutation = `mutation($input: RaiseExceptionInput!) { closeException(input: $input, resolution: "the order was cancelled") { id } }`;
    const input = inputFor('refused-1');
    const anonymous = await gql(exceptions.url, mutation, { input }, { token: null });
    expect(anonymous.status).toBe(401);
    expect(codes(await gql(exceptions.url, mutation, { input }, { token: await userToken({ role: 'support' }) }))).toEqual(['UNAUTHENTICATED']);
    for (const identity of [{ subject: 'support-1', scopes: ['support'] }, { subject: 'customer-1', scopes: ['customer'], customerId: input.orderId }]) {
      expect(codes(await gql(exceptions.url, mutation, { input }, { token: await testTokens.sign(identity) }))).toEqual(['FORBIDDEN']);
    }
    expect(await exceptions.store.get(input.id)).toBeNull();
  });

  it('leaves one a person cancelled as they left it', async () => {
    await raise('acted-1');
    const claim = await exceptions.store.claim('orders:charge-results:acted-1', 'CANCEL', agent);
    await exceptions.store.settle('orders:charge-results:acted-1', claim.outcome === 'claimed' ? claim.pending.token : '');
    expect(await closeException('acted-1')).toMatchObject({ status: 'CANCELLED', resolution: null });
  });

  it('closes one a person retried: the order was cancelled while it still waited, so the retry did not take it on', async () => {
    await raise('retried-1');
    const claim = await exceptions.store.claim('orders:charge-results:retried-1', 'RETRY', agent);
    await exceptions.store.settle('orders:charge-results:retried-1', claim.outcome === 'claimed' ? claim.pending.token : '');
    expect(await closeException('retried-1')).toMatchObject({ status: 'CANCELLED', resolution: 'the order was cancelled' });
  });

  it('closes one whose claimed retry ends as carried out (the sweep after the owner refused), when the close came during the claim', async () => {
    await raise('claimed-4');
    const claim = await exceptions.store.claim('orders:charge-results:claimed-4', 'RETRY', agent);
    expect(await closeException('claimed-4')).toMatchObject({ status: 'RETRIED', resolution: null });
    const settled = await exceptions.store.settle('orders:charge-results:claimed-4', claim.outcome === 'claimed' ? claim.pending.token : '');
    expect(settled).toMatchObject({ status: 'CANCELLED', resolution: 'the order was cancelled', pending: null, closeOnRelease: null });
    // A person's own cancel that lands is theirs: no resolution, and nothing left over.
    await raise('claimed-5');
    const cancel = await exceptions.store.claim('orders:charge-results:claimed-5', 'CANCEL', agent);
    await closeException('claimed-5');
    const own = await exceptions.store.settle('orders:charge-results:claimed-5', cancel.outcome === 'claimed' ? cancel.pending.token : '');
    expect(own).toMatchObject({ status: 'CANCELLED', closeOnRelease: null, resolvedBy: 'agent-7' });
    expect(own!.resolution ?? null).toBeNull();
  });

  it('puts a claimed cancel the owner refused when sent again down to the close that came meanwhile, not to the person', async () => {
    // The owner did not answer the person's cancel; the order's cancellation then took the element
    // out and closed the exception; the sweep sends the cancel again and the owner refuses it.
    await raise('claimed-6');
    const claim = await exceptions.store.claim('orders:charge-results:claimed-6', 'CANCEL', { subject: 'agent-7', note: 'customer called' });
    await closeException('claimed-6');
    const ended = await exceptions.store.settleRefused('orders:charge-results:claimed-6', claim.outcome === 'claimed' ? claim.pending.token : '');
    expect(ended).toMatchObject({ status: 'CANCELLED', resolution: 'the order was cancelled', resolvedBy: null, note: null, pending: null, closeOnRelease: null });

    // Without a close, a refusal means the first request landed: the person's.
    await raise('claimed-7');
    const landed = await exceptions.store.claim('orders:charge-results:claimed-7', 'CANCEL', agent);
    const theirs = await exceptions.store.settleRefused('orders:charge-results:claimed-7', landed.outcome === 'claimed' ? landed.pending.token : '');
    expect(theirs).toMatchObject({ status: 'CANCELLED', resolvedBy: 'agent-7', pending: null });
  });

  it('lets a close that arrives after a refused resend ended the claim say why, instead of the person', async () => {
    // The close was still in the stage's outbox when the sweep sent the claims again.
    for (const [name, action] of [['late-close-1', 'CANCEL'], ['late-close-2', 'RETRY']] as const) {
      await raise(name);
      const claim = await exceptions.store.claim(`orders:charge-results:${name}`, action, { subject: 'agent-7', note: 'the customer called' });
      await exceptions.store.settleRefused(`orders:charge-results:${name}`, claim.outcome === 'claimed' ? claim.pending.token : '');
      expect(await closeException(name), action).toMatchObject({ status: 'CANCELLED', resolution: 'the order was cancelled' });
      expect(await exceptions.store.get(`orders:charge-results:${name}`), action).toMatchObject({ resolvedBy: null, note: null, endedOnRefusal: null });
    }
    // A person's cancel settled as carried out (the owner answered) is theirs, whatever comes after.
    await raise('late-close-3');
    const claim = await exceptions.store.claim('orders:charge-results:late-close-3', 'CANCEL', agent);
    await exceptions.store.settle('orders:charge-results:late-close-3', claim.outcome === 'claimed' ? claim.pending.token : '');
    expect(await closeException('late-close-3')).toMatchObject({ status: 'CANCELLED', resolution: null });
    expect(await exceptions.store.get('orders:charge-results:late-close-3')).toMatchObject({ resolvedBy: 'agent-7' });
  });
});

describe('closing an exception whose wait ended by itself (the customer paid again, stock came in)', () => {
  const idsListed = async (status: string) => {
    const res = await gql(exceptions.url, `{ exceptions(status: ${status}, first: 100) { edges { node { id } } } }`, undefined, { token: await testTokens.sign({ subject: 'support-1', scopes: ['support'] }) });
    expect(res.errors).toBeUndefined();
    return res.data!.exceptions.edges.map((edge: { node: { id: string } }) => edge.node.id);
  };
  const tokenOf = (claim: Awaited<ReturnType<typeof exceptions.store.claim>>) => (claim.outcome === 'claimed' ? claim.pending.token : '');

  it('reads RESOLVED with its resolution, is listed as such, and a cancellation’s close after it changes nothing', async () => {
    await raise('over-1');
    const resolved = await waitOver('over-1');
    expect(resolved).toMatchObject({ status: 'RESOLVED', occurrences: 1, resolution: 'the customer paid again' });
    expect(resolved.resolvedAt).not.toBeNull();
    expect(await idsListed('RESOLVED')).toContain('orders:charge-results:over-1');
    expect(await idsListed('OPEN')).not.toContain('orders:charge-results:over-1');
    expect(await idsListed('CANCELLED')).not.toContain('orders:charge-results:over-1');
    expect(await waitOver('over-1')).toEqual(resolved);
    expect(await closeException('over-1')).toEqual(resolved);
  });

  it('that comes before its raise: recorded RESOLVED, and the raise that follows does not open it', async () => {
    expect(await waitOver('over-early')).toMatchObject({ status: 'RESOLVED', occurrences: 1 });
    expect(await raise('over-early')).toMatchObject({ status: 'RESOLVED', resolution: 'the customer paid again' });
  });

  it('leaves one a person retried as RETRIED, theirs: their retry went the same way', async () => {
    await raise('over-retried');
    const claim = await exceptions.store.claim('orders:charge-results:over-retried', 'RETRY', agent);
    await exceptions.store.settle('orders:charge-results:over-retried', tokenOf(claim));
    expect(await waitOver('over-retried')).toMatchObject({ status: 'RETRIED', resolution: null });
    expect(await exceptions.store.get('orders:charge-results:over-retried')).toMatchObject({ resolvedBy: 'agent-7' });
  });

  it('during a person’s claim: RESOLVED if their action is not carried out, theirs if it is', async () => {
    await raise('over-claim-1');
    const released = await exceptions.store.claim('orders:charge-results:over-claim-1', 'RETRY', agent);
    expect(await waitOver('over-claim-1')).toMatchObject({ status: 'RETRIED', resolution: null });
    expect(await exceptions.store.release('orders:charge-results:over-claim-1', tokenOf(released))).toMatchObject({
      status: 'RESOLVED',
      resolution: 'the customer paid again',
      resolvedBy: null,
      closeOnRelease: null,
      closeOnReleaseAs: null,
    });

    for (const [name, action, status] of [['over-claim-2', 'RETRY', 'RETRIED'], ['over-claim-3', 'CANCEL', 'CANCELLED']] as const) {
      await raise(name);
      const claim = await exceptions.store.claim(`orders:charge-results:${name}`, action, agent);
      await waitOver(name);
      const settled = await exceptions.store.settle(`orders:charge-results:${name}`, tokenOf(claim));
      expect(settled, action).toMatchObject({ status, resolvedBy: 'agent-7', closeOnRelease: null });
      expect(settled!.resolution ?? null, action).toBeNull();
    }
  });

  it('puts a person’s claim that ended on a refusal down to the wait that ended, not to them', async () => {
    await raise('over-refused');
    const claim = await exceptions.store.claim('orders:charge-results:over-refused', 'CANCEL', agent);
    await exceptions.store.settleRefused('orders:charge-results:over-refused', tokenOf(claim));
    expect(await waitOver('over-refused')).toMatchObject({ status: 'RESOLVED', resolution: 'the customer paid again' });
    expect(await exceptions.store.get('orders:charge-results:over-refused')).toMatchObject({ resolvedBy: null, note: null, endedOnRefusal: null });
  });
});
