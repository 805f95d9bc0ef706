import type { ServiceCredentials } from '../kit/auth/tokens.ts';
import { createGraphQLClient, type GraphQLClient } from '../kit/graphql-client.ts';

/** Every service (subgraph) of the system, with the port the launcher gives it by default. */
export const serviceNames = [
  'customers',
  'vendors',
  'catalog',
  'inventory',
  'orders',
  'payments',
  'picking',
  'rebin',
  'shipping',
  'receiving',
  'exceptions',
  'tracking',
] as const;
export type ServiceName = (typeof serviceNames)[number];

/** Whether `name` is one of the system's services. */
export const isServiceName = (name: string): name is ServiceName => (serviceNames as readonly string[]).includes(name);

export const defaultPorts: Record<ServiceName, number> = {
  customers: 4001,
  vendors: 4002,
  catalog: 4003,
  inventory: 4004,
  orders: 4005,
  payments: 4006,
  picking: 4007,
  rebin: 4008,
  shipping: 4009,
  receiving: 4010,
  exceptions: 4011,
  tracking: 4012,
};

/** Pipeline stages run queue workers in processes of their own, as many as configured. */
export const stagesWithWorkers = ['orders', 'payments', 'picking', 'rebin', 'shipping', 'receiving', 'tracking'] as const satisfies readonly ServiceName[];

export interface ServiceEndpoint {
  name: string;
  url: string;
}

/** `<NAME>_URL` for each service, else localhost on its default port. */
export function serviceUrl(name: ServiceName, env: NodeJS.ProcessEnv = process.env): string {
  return env[`${name.toUpperCase()}_URL`] ?? `http://localhost:${defaultPorts[name]}/graphql`;
}

export function serviceEndpoints(env: NodeJS.ProcessEnv = process.env): ServiceEndpoint[] {
  return serviceNames.map((name) => ({ name, url: serviceUrl(name, env) }));
}

/** Pooled GraphQL clients to other services, created on first use, keyed by service name; calls carry the caller's service credentials. */
export function serviceClients(credentials: ServiceCredentials, urls: Partial<Record<string, string>> = {}, env: NodeJS.ProcessEnv = process.env) {
  const clients = new Map<string, GraphQLClient>();
  return {
    get(name: string): GraphQLClient | undefined {
      if (!isServiceName(name) && !urls[name]) return undefined;
      let client = clients.get(name);
      if (!client) {
        client = createGraphQLClient(name, urls[name] ?? serviceUrl(name as ServiceName, env), { credentials });
        clients.set(name, client);
      }
      return client;
    },
    async close() {
      await Promise.all([...clients.values()].map((client) => client.close()));
    },
  };
}
export type ServiceClients = ReturnType<typeof serviceClients>;
