import { createSchema, createYoga } from 'graphql-yoga';
import { GraphQLError } from 'graphql';
import { Gauge } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { anonymous } from './auth/identity.ts';
import { onScrape, registry, renderMetrics, useGraphQLMetrics } from './metrics.ts';

// Operation names are the client's to choose: whatever a client sends, the GraphQL metrics stay
// a bounded number of series, and a client's mistake is counted as the client's.
const yoga = createYoga({
  schema: createSchema({
    typeDefs: 'type Query { ok(n: Int): Int refused: Int }',
    resolvers: { Query: { ok: (_: unknown, { n }: { n?: number }) => n ?? 0, refused: () => { throw new GraphQLError('no', { extensions: { code: 'CONFLICT' } }); } } },
  }),
  plugins: [useGraphQLMetrics('bounded')],
  logging: false,
});
const post = (body: unknown) => yoga.fetch('http://localhost/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const series = async () => (await registry.getSingleMetric('graphql_requests_total')!.get()).values.filter((value) => value.labels.service === 'bounded');

describe('GraphQL metrics', () => {
  it('count a variable the client got wrong as BAD_USER_INPUT, not as an internal error', async () => {
    await post({ query: 'query WrongVariable($n: Int) { ok(n: $n) }', variables: { n: 'x' } });
    expect((await series()).filter((value) => value.labels.operation === 'WrongVariable').map((value) => value.labels.outcome)).toEqual(['BAD_USER_INPUT']);
  });

  it('stay at most 400 label sets and 200 names however many names and outcomes clients send', async () => {
    for (let i = 0; i < 300; i++) {
      await post({ query: `query Op${i} { ok }` });
      await post({ query: `query Op${i} { refused }` });
      await post({ query: `query Op${i}($n: Int) { ok(n: $n) }`, variables: { n: 'x' } });
    }
    const labelled = await series();
    const named = labelled.filter((value) => value.labels.operation !== 'other');
    expect(named.length).toBeLessThanOrEqual(400);
    expect(new Set(named.map((value) => value.labels.operation)).size).toBeLessThanOrEqual(200);
    // The rest are counted all the same, as `other`: one series per type and outcome.
    const other = labelled.filter((value) => value.labels.operation === 'other');
    expect(other.map((value) => value.labels.outcome).sort()).toEqual(['BAD_USER_INPUT', 'CONFLICT', 'OK']);
    expect(labelled.reduce((sum, value) => sum + value.value, 0)).toBe(901);
    // A name that has its series keeps them.
    await post({ query: 'query Op0 { ok }' });
    expect((await series()).find((value) => value.labels.operation === 'Op0' && value.labels.outcome === 'OK')?.value).toBe(2);
  });
});

describe('GraphQL metrics of signed-out callers', () => {
  const signed = createYoga({
    schema: createSchema({ typeDefs: 'type Query { ok: Int }', resolvers: { Query: { ok: () => 1 } } }),
    context: ({ request }) => ({ identity: request.headers.get('x-test-user') ? { subject: 'user:1', scopes: ['customer'] } : anonymous }),
    plugins: [useGraphQLMetrics('signed')],
    logging: false,
  });
  const ask = (name: string, user: boolean) =>
    signed.fetch('http://localhost/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...(user ? { 'x-test-user': '1' } : {}) }, body: JSON.stringify({ query: `query ${name} { ok }` }) });
  const names = async () => new Set((await registry.getSingleMetric('graphql_requests_total')!.get()).values.filter((value) => value.labels.service === 'signed').map((value) => String(value.labels.operation)));

  it('cannot take the names signed-in callers need: past their own budget, new names they send are `other`', async () => {
    for (let i = 0; i < 120; i++) await ask(`Flood${i}`, false);
    await ask('RealAppQuery', true);
    const labelled = await names();
    expect(labelled.has('RealAppQuery')).toBe(true);
    expect([...labelled].filter((name) => name.startsWith('Flood')).length).toBeLessThanOrEqual(50);
    expect(labelled.has('other')).toBe(true);
    // A name a signed-out caller could not have keeps its own label for a signed-in one.
    await ask('Flood119', true);
    expect(await names()).toContain('Flood119');
  });
});

describe('scrape-time probes', () => {
  it("leave a probe's gauges out while it does not answer, start no second read meanwhile, and never set them from an answer that came late", async () => {
    const gauge = new Gauge({ name: 'test_probe_figure', help: 'a figure read at scrape', labelNames: ['of'] as const, registers: [registry] });
    let answer: (figure: number) => void = () => {};
    let reads = 0;
    const stop = onScrape('test/hanging', {
      read: async () => {
        reads += 1;
        // The first read answers at once; the second hangs as a paused database does, then answers late.
        const figure = reads === 1 ? 7 : await new Promise<number>((resolve) => (answer = resolve));
        return () => gauge.set({ of: 'test' }, figure);
      },
      forget: () => gauge.remove({ of: 'test' }),
    });
    const shown = (page: string) => page.split('\n').filter((line) => line.startsWith('test_probe_figure{') || line.includes('probe="test/hanging"'));
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_100)); // past any earlier scrape's sharing
      expect(shown(await renderMetrics())).toEqual(['scrape_probe_answered{probe="test/hanging"} 1', 'test_probe_figure{of="test"} 7']);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const started = Date.now();
      const page = await renderMetrics();
      expect(Date.now() - started).toBeLessThan(3_000); // /metrics answers though the probe does not
      expect(shown(page)).toEqual(['scrape_probe_answered{probe="test/hanging"} 0']);
      // The next scrape waits for the read under way rather than start another on the hung database.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect(shown(await renderMetrics())).toEqual(['scrape_probe_answered{probe="test/hanging"} 0']);
      expect(reads).toBe(2);
      answer(99);
      await new Promise((resolve) => setImmediate(resolve));
      expect(shown(await registry.metrics())).toEqual(['scrape_probe_answered{probe="test/hanging"} 0']);
    } finally {
      stop();
      registry.removeSingleMetric('test_probe_figure');
    }
    expect(await registry.metrics()).not.toContain('probe="test/hanging"'); // a stopped probe leaves nothing behind
  });


  it('run once for scrapes that come together, and again for a scrape a second later', async () => {
    let runs = 0;
    const stop = onScrape('test/counting', {
      read: async () => {
        runs += 1;
        await new Promise((resolve) => setTimeout(resolve, 50)); // a count in the database
        return () => {};
      },
      forget: () => {},
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_100)); // past any earlier scrape's sharing
      await Promise.all(Array.from({ length: 50 }, () => renderMetrics()));
      expect(runs).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await renderMetrics();
      expect(runs).toBe(2);
    } finally {
      stop();
    }
  });
});
