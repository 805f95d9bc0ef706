import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { RequestListener, Server } from 'node:http';
import { MongoClient, type Db } from 'mongodb';
import { inject } from 'vitest';
import { SignJWT } from 'jose';
import { GatewayAuth } from '../gateway/auth.ts';
import { InternalTokens, serviceCredentials } from '../kit/auth/tokens.ts';
import { closeServer, listen } from '../kit/http.ts';
import { createLogger } from '../kit/logger.ts';
import { instrumentMongoCommands } from '../kit/mongo.ts';
import { onMongoCommand } from '../kit/mongo-command-hooks.ts';
import { demo } from '../subgraphs/demo-data.ts';

export const silentLogger = createLogger('test', { level: 'silent' });

/** The secrets of every system a test starts: internal (service to service) and the development identity provider's. */
export const testSecrets = {
  internal: randomBytes(32).toString('hex'),
  users: randomBytes(32).toString('hex'),
  issuer: 'fulfilment-test',
  audience: 'fulfilment-graph',
};
export const testTokens = new InternalTokens(testSecrets.internal);
export const testCredentials = (service: string) => serviceCredentials(service, testTokens);
export const testGatewayAuth = () => new GatewayAuth({ secret: testSecrets.users, issuer: testSecrets.issuer, audience: testSecrets.audience }, testTokens);

export interface UserClaims {
  role?: string;
  roles?: string[];
  customerId?: string;
  sub?: string;
  /** Seconds until it expires (negative: already expired). */
  ttl?: number;
  notBefore?: number;
  issuer?: string;
  audience?: string;
  secret?: string;
}

/** A client's token as the development identity provider issues it (HS256). */
export async function userToken(claims: UserClaims): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ role: claims.role, roles: claims.roles, customerId: claims.customerId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub ?? `${claims.role ?? 'user'}-${claims.customerId ?? 'test'}`)
    .setIssuer(claims.issuer ?? testSecrets.issuer)
    .setAudience(claims.audience ?? testSecrets.audience)
    .setIssuedAt()
    .setExpirationTime(now + (claims.ttl ?? 3600));
  if (claims.notBefore !== undefined) jwt.setNotBefore(now + claims.notBefore);
  return jwt.sign(new TextEncoder().encode(claims.secret ?? testSecrets.users));
}

/**
 * The credentials `gql` sends when a test names none: to a gateway, an operator who is staff
 * (support and warehouse), or, for an operation that places orders (only customers may), the
 * customer it places for (Ada unless its variables name another), since no token may be both
 * (tests that are not about access use these to do anything); to a subgraph, a service's
 * internal token. Access tests pass their own.
 */
const gatewayUrls = new Set<string>();
export const registerGateway = (url: string) => gatewayUrls.add(url);
let operatorToken: Promise<string> | undefined;
export const operator = () => (operatorToken ??= userToken({ roles: ['support', 'warehouse'], sub: 'test-operator', ttl: 24 * 3600 }));
const customerTokens = new Map<string, Promise<string>>();
/** A customer's token, as the test operator places that customer's orders with. */
export const customerOperator = (customerId: string = demo.customers.ada) => {
  let token = customerTokens.get(customerId);
  if (!token) customerTokens.set(customerId, (token = userToken({ role: 'customer', customerId, sub: `test-customer-${customerId}`, ttl: 24 * 3600 })));
  return token;
};
const testService = testCredentials('test');
/** The internal token one of the services calls with (for `gql`'s `token`): what only that service may do. */
export const serviceToken = async (service: string) => (await testCredentials(service).authorization()).slice('Bearer '.length);
export async function defaultAuthorization(url: string, query = '', variables: unknown = {}): Promise<string> {
  if (!gatewayUrls.has(url)) return testService.authorization();
  return `Bearer ${await (/\bplaceOrder\b/.test(query) ? customerOperator(customerIdIn(variables)) : operator())}`;
}

/**
 * The customer a request names in its variables, as the services store ids (lower case); Ada's
 * when it names none, or something that is no id (a test of that refusal: the caller is Ada).
 */
function customerIdIn(value: unknown): string | undefined {
  const named = firstCustomerIdIn(value);
  return named && /^[0-9a-f]{24}$/i.test(named) ? named.toLowerCase() : undefined;
}

/** The first `customerId` in a request's variables, however deep (a placeOrder's input). */
function firstCustomerIdIn(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  if (typeof (value as { customerId?: unknown }).customerId === 'string') return (value as { customerId: string }).customerId;
  for (const inner of Object.values(value)) {
    const found = firstCustomerIdIn(inner);
    if (found) return found;
  }
  return undefined;
}

export interface GraphQLResponse<T = Record<string, any>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

/** A fresh, uniquely named database on the test server; dropped by `cleanup`. */
export class TestDatabases {
  private client: MongoClient | undefined;
  private created: Db[] = [];

  async create(name: string): Promise<Db> {
    // As services connect (kit/mongo.ts): command round trips timed, and spans while tracing.
    if (!this.client) {
      this.client = new MongoClient(inject('mongoUri'));
      instrumentMongoCommands();
      await this.client.connect();
    }
    const db = this.client.db(`t_${name}_${randomBytes(4).toString('hex')}`);
    this.created.push(db);
    return db;
  }

  async cleanup(): Promise<void> {
    for (const db of this.created) await db.dropDatabase().catch(() => {});
    this.created = [];
    await this.client?.close();
    this.client = undefined;
  }
}

export interface RunningApp {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves a handler (and its WebSockets, if it has them) on a free port, the way index.ts would. */
export async function serve(handler: RequestListener, port = 0, attach?: (server: Server) => { close(): Promise<void> }): Promise<RunningApp> {
  const { server, port: bound } = await listen(handler, port, '127.0.0.1');
  const attached = attach?.(server);
  return {
    url: `http://127.0.0.1:${bound}/graphql`,
    port: bound,
    async close() {
      await attached?.close();
      await closeServer(server);
    },
  };
}

/** `token`: a bearer token to send instead of the default credentials, or null for none at all. */
export async function gql<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string | null } = {},
): Promise<GraphQLResponse<T> & { status: number }> {
  const authorization = options.token === null ? undefined : options.token ? `Bearer ${options.token}` : await defaultAuthorization(url, query, variables);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { ...((await response.json()) as GraphQLResponse<T>), status: response.status };
}

export function codes(response: GraphQLResponse): unknown[] {
  return (response.errors ?? []).map((error) => error.extensions?.code);
}

/** Probes until `accept` holds for what it returns, or fails after `timeoutMs` with the last value. */
export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!accept(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await probe();
  }
  return last;
}

/**
 * Runs `work` and says how many writes (any command but a `find`) to `db` were under way at once,
 * at the most. The pool is given `connections` open connections first, so that no write waits for
 * one to be opened (the driver opens two at a time).
 */
export async function mostWritesAtOnce(db: Db, connections: number, work: () => Promise<unknown>): Promise<number> {
  await Promise.all(Array.from({ length: connections }, () => db.command({ ping: 1 })));
  let writing = 0;
  let most = 0;
  let watching = true;
  onMongoCommand(({ database, name }) => {
    if (!watching || database !== db.databaseName || name === 'find') return undefined;
    most = Math.max(most, ++writing);
    return () => void writing--;
  });
  try {
    await work();
  } finally {
    watching = false;
  }
  return most;
}

/**
 * POSTs `body` to `url` `attempts` times, one after another, with fetch from another Node.js
 * process, and gives each attempt's HTTP status or the error it ended with. A server in this
 * process shares its event loop with a client here, which hides what a client elsewhere meets
 * (a connection reset before it read its answer).
 */
export async function postFromAnotherProcess(url: string, body: string, attempts: number, headers: Record<string, string> = {}): Promise<(number | string)[]> {
  const client = `
    const [url, headers, attempts] = [process.argv[1], JSON.parse(process.argv[2]), Number(process.argv[3])];
    const body = Buffer.from(await new Response(process.stdin).text());
    const outcomes = [];
    for (let i = 0; i < attempts; i++) {
      try { const response = await fetch(url, { method: 'POST', headers, body }); await response.arrayBuffer(); outcomes.push(response.status); }
      catch (error) { outcomes.push(String(error.cause?.code ?? error.message)); }
    }
    process.stdout.write(JSON.stringify(outcomes));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', client, url, JSON.stringify({ 'content-type': 'application/json', ...headers }), String(attempts)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stdin.end(body);
  await new Promise((resolve) => child.once('exit', resolve));
  return JSON.parse(output) as (number | string)[];
}
