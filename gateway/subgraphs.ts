import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { defaultPorts, serviceEndpoints, serviceNames, type ServiceEndpoint } from '../pipeline/services.ts';

/** Every subgraph the gateway composes: every service of the system. */
export const subgraphNames = serviceNames;
export type SubgraphName = (typeof subgraphNames)[number];
export { defaultPorts };
export type SubgraphEndpoint = ServiceEndpoint;

/** `<NAME>_URL` for each subgraph, else localhost on its default port. */
export const subgraphEndpoints = serviceEndpoints;

/** The SDL each subgraph serves: the schema.graphql in its folder is the single source of truth. */
export function subgraphSdl(name: string): string {
  return readFileSync(new URL(`../subgraphs/${name}/schema.graphql`, import.meta.url), 'utf8');
}

export const subgraphTypeDefs = (name: string) => parse(subgraphSdl(name));
