import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, serve, silentLogger, testTokens, TestDatabases, type RunningApp } from '../../test/harness.ts';
import { buildPaymentsService } from './server.ts';

// The synchronous authorisation when the processor does not answer in time: the caller learns
// the failure is passing (DEPENDENCY_UNAVAILABLE) and asks again, as nothing retries for it.
// Real FerretDB and service; the processor's failure rate is set to always.

const dbs = new TestDatabases();
let app: RunningApp;

beforeAll(async () => {
  const service = await buildPaymentsService({ db: await dbs.create('payments_authorize'), logger: silentLogger, tokens: testTokens, processor: { latencyMs: 0, failureRate: 1 } });
  app = await serve(service.handler);
});
afterAll(async () => {
  await app?.close();
  await dbs.cleanup();
});

describe('authorize', () => {
  it('answers DEPENDENCY_UNAVAILABLE, not an internal error, when the processor times out', async () => {
    const res = await gql(app.url, `mutation { authorize(input: { amount: { amount: 100, currency: "GBP" }, card: { token: "tok_demo_visa", last4: "4242", expMonth: 12, expYear: 2031 } }) { approved } }`);
    expect(res.data).toBeNull();
    expect(res.errors).toEqual([expect.objectContaining({ message: expect.stringContaining('ask again'), extensions: expect.objectContaining({ code: 'DEPENDENCY_UNAVAILABLE' }) })]);
  });

  it('refuses a card token that shows nothing or holds control characters, and says which years an expiry may have', async () => {
    const authorize = `mutation($card: PaymentCardInput!) { authorize(input: { amount: { amount: 100, currency: "GBP" }, card: $card }) { approved } }`;
    const card = { token: 'tok_demo_visa', last4: '4242', expMonth: 12, expYear: 2031 };
    for (const token of ['\uFEFF', '\u200B ', 'tok\u0000x', 'x'.repeat(201)]) {
      const res = await gql(app.url, authorize, { card: { ...card, token } });
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(token)).toBe('BAD_USER_INPUT');
    }
    const old = await gql(app.url, authorize, { card: { ...card, expYear: 1999 } });
    expect(old.errors?.[0]).toMatchObject({ message: 'card.expYear must be a year from 2000 to 2100', extensions: { code: 'BAD_USER_INPUT' } });
  });
});
