import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDatabases } from './harness.ts';
import { startSystem, type RunningSystem } from './system.ts';

// Which web pages may read what the gateway answers a browser (gateway/cors.ts): only the
// origins configured, and GraphiQL's development token only in a page the user opened.

const dbs = new TestDatabases();
let system: RunningSystem;
let gateway: { url: string; close(): Promise<void> };
const shop = 'http://shop.example.test';
const token = 'graphiql-development-token';

beforeAll(async () => {
  system = await startSystem(dbs, { workers: [] });
  gateway = await system.startGateway({ isDev: true, graphiqlToken: token, corsOrigins: [shop] });
});
afterAll(async () => {
  await system?.close();
  await dbs.cleanup();
});

const graphiql = (headers: Record<string, string>) => fetch(gateway.url, { headers: { accept: 'text/html', ...headers } });
/** GraphiQL's page asked for under another name (`Host`), which fetch does not let a caller set. */
const graphiqlAs = (host: string, headers: Record<string, string> = {}) =>
  new Promise<{ status: number; text: string }>((resolve, reject) => {
    const url = new URL(gateway.url);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers: { accept: 'text/html', host, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
const query = (url: string, origin: string) =>
  fetch(url, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
const preflight = (url: string, origin: string) =>
  fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });

describe('CORS and the GraphiQL token', () => {
  it('lets no other web page read GraphiQL or an answer, nor send a preflighted request', async () => {
    const evil = 'http://evil.example.test';
    const page = await graphiql({ origin: evil, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' });
    expect(page.status).toBe(200);
    expect(page.headers.get('access-control-allow-origin')).toBeNull();
    expect(await page.text()).not.toContain(token);

    const answer = await query(gateway.url, evil);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    const refused = await preflight(gateway.url, evil);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(refused.headers.get('access-control-allow-headers')).toBeNull();
    // Nor a subgraph's, for any page.
    expect((await query(system.urls.catalog, shop)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets a configured origin read answers, without credentials, and shows it no token', async () => {
    const answer = await query(gateway.url, shop);
    expect(answer.headers.get('access-control-allow-origin')).toBe(shop);
    expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
    const allowed = await preflight(gateway.url, shop);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(shop);
    expect(allowed.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
    const page = await graphiql({ origin: shop, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' });
    expect(await page.text()).not.toContain(token);
    // A browser without Fetch Metadata still sends Origin on a script's cross-origin fetch.
    expect(await (await graphiql({ origin: shop })).text()).not.toContain(token);
    // Caches keep the answers of different origins apart.
    expect(answer.headers.get('vary')).toMatch(/\bOrigin\b/);
    expect((await query(gateway.url, 'http://evil.example.test')).headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it('gives the token to GraphiQL opened by the user', async () => {
    expect(await (await graphiql({ 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' })).text()).toContain(token);
    expect(await (await graphiql({ 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate' })).text()).toContain(token);
    expect(await (await graphiql({})).text()).toContain(token); // no browser: a script of the developer's own
    expect((await graphiqlAs(`localhost:${new URL(gateway.url).port}`, { 'sec-fetch-site': 'none' })).text.includes(token)).toBe(true);
  });

  it("shows no token to a page of another site that made its name resolve to this machine (DNS rebinding)", async () => {
    const host = `evil.example.test:${new URL(gateway.url).port}`;
    const page = await graphiqlAs(host, { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate' });
    expect(page.status).toBe(200);
    expect(page.text).toContain('GraphiQL');
    expect(page.text.includes(token)).toBe(false);
    expect((await graphiqlAs(host)).text.includes(token)).toBe(false);
  });
});
