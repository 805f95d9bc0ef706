import { describe, expect, it } from 'vitest';
import { codes, gql } from '../../test/harness.ts';
import { exceptionsServiceForTests } from './test-service.ts';

// The exceptions support staff page through, against the real database and the service's own
// GraphQL interface (raising is what every stage does; nothing here calls another service).

const exceptions = exceptionsServiceForTests('exceptions_list');

const raise = async (n: number) => {
  const input = { id: `orders:coordination:e${n}`, occurrence: `o${n}`, service: 'orders', queue: 'coordination', elementId: `e${n}`, reason: `failure ${n}` };
  const res = await gql(exceptions.url, `mutation($input: RaiseExceptionInput!) { raiseException(input: $input) { id } }`, { input });
  expect(res.errors).toBeUndefined();
  return input.id;
};
const page = async (after: string | null, status = 'OPEN') => {
  const res = await gql(exceptions.url, `query($after: String, $status: ExceptionStatus) { exceptions(first: 2, after: $after, status: $status) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`, { after, status });
  expect(res.errors).toBeUndefined();
  return { ids: res.data!.exceptions.edges.map((edge: { node: { id: string } }) => edge.node.id) as string[], pageInfo: res.data!.exceptions.pageInfo };
};

describe('the exceptions list', () => {
  it('is most recently raised first, a page at a time, and holds its place while more are raised', async () => {
    const raised: string[] = [];
    for (let n = 1; n <= 5; n++) raised.push(await raise(n));
    const first = await page(null);
    const later = await raise(6);
    const second = await page(first.pageInfo.endCursor);
    const third = await page(second.pageInfo.endCursor);
    expect([...first.ids, ...second.ids, ...third.ids]).toEqual([...raised].reverse());
    expect(third.pageInfo.hasNextPage).toBe(false);
    expect((await page(null)).ids[0]).toBe(later);
  });

  it('refuses a cursor it did not give with BAD_USER_INPUT', async () => {
    const ordersCursor = Buffer.from(JSON.stringify(['orders', Date.now(), '64b0000000000000000000aa'])).toString('base64url');
    for (const after of ['%%%', ordersCursor]) {
      expect(codes(await gql(exceptions.url, `query($after: String) { exceptions(after: $after) { edges { cursor } } }`, { after }))).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('refuses a blank service filter (leave it out for any service) and a blank id to read or act on, rather than answering for every exception or none', async () => {
    for (const blank of ['', '\u200B']) {
      expect(codes(await gql(exceptions.url, `query($s: String) { exceptions(service: $s) { edges { node { id } } } }`, { s: blank })), JSON.stringify(blank)).toEqual(['BAD_USER_INPUT']);
      expect(codes(await gql(exceptions.url, `query($s: String) { exceptions(service: $s) { edges { node { id } } } }`, { s: `${blank}${'x'.repeat(5000)}` }))).toEqual(['BAD_USER_INPUT']);
      expect(codes(await gql(exceptions.url, `query($id: ID!) { pipelineException(id: $id) { id } }`, { id: blank })), JSON.stringify(blank)).toEqual(['BAD_USER_INPUT']);
      for (const action of ['retryException', 'cancelException']) {
        expect(codes(await gql(exceptions.url, `mutation($id: ID!) { ${action}(id: $id) { id } }`, { id: blank })), `${action} ${JSON.stringify(blank)}`).toEqual(['BAD_USER_INPUT']);
      }
    }
  });
});
