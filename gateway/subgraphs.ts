import { readFileSync } from 'node:fs';
import { parse } from 'graphql';

/** Every subgraph the gateway composes, with the port the launcher gives it by default. */
export const subgraphNames = ['customers', 'vendors', 'catalog', 'inventory', 'orders'] as const;
export type SubgraphName = (typeof subgraphNames)[number];

export const defaultPorts: Record<SubgraphName, number> = {
  customers: 4001,
  vendors: 4002,
  catalog: 4003,
  inventory: 4004,
  orders: 4005,
};

export interface SubgraphEndpoint {
  name: string;
  url: string;
}

/** `<NAME>_URL` for each subgraph, else localhost on its default port. */
export function subgraphEndpoints(env: NodeJS.ProcessEnv = process.env): SubgraphEndpoint[] {
  return subgraphNames.map((name) => ({
    name,
    url: env[`${name.toUpperCase()}_URL`] ?? `http://localhost:${defaultPorts[name]}/graphql`,
  }));
}

/** The SDL each subgraph serves: the schema.graphql in its folder is the single source of truth. */
export function subgraphSdl(name: string): string {
  return readFileSync(new URL(`../subgraphs/${name}/schema.graphql`, import.meta.url), 'utf8');
}

export const subgraphTypeDefs = (name: string) => parse(subgraphSdl(name));
