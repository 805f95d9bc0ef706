import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import type { GraphQLSchema } from 'graphql';
import { readSupergraphFile } from './config-files.ts';
import { subgraphTypeDefs, type SubgraphEndpoint } from './subgraphs.ts';

export class CompositionError extends Error {
  override name = 'CompositionError';
}

/**
 * Composes the supergraph from the subgraphs' schema files, once, at start-up:
 * no subgraph has to be running for the gateway to start, and a schema that
 * does not compose stops the gateway with the composition errors.
 */
export function composeSupergraph(endpoints: readonly SubgraphEndpoint[]): string {
  const result = composeServices(endpoints.map(({ name, url }) => ({ name, url, typeDefs: subgraphTypeDefs(name) })));
  if (result.errors) {
    throw new CompositionError(`The subgraphs do not compose:\n${result.errors.map((e) => `  ${e.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}

/** SUPERGRAPH_PATH, when set, is a file written by `npm run compose`; otherwise compose now. */
export function loadSupergraph(endpoints: readonly SubgraphEndpoint[], path?: string): string {
  return path ? readSupergraphFile(path) : composeSupergraph(endpoints);
}

/**
 * Apollo Gateway refuses a supergraph that links a feature `for: SECURITY` it does not enforce
 * (@authenticated, @requiresScopes, @policy: only Apollo Router's paid edition does). This gateway
 * enforces them itself (useGatewayAuth, from the rules read off the full supergraph), so the copy
 * handed to Apollo's runtime drops the `for: SECURITY` mark of exactly those features.
 */
export function supergraphForExecution(supergraphSdl: string): string {
  return supergraphSdl.replace(/(@link\(url: "https:\/\/specs\.apollo\.dev\/(?:authenticated|requiresScopes|policy)\/v[\d.]+"), for: SECURITY\)/g, '$1)');
}

/**
 * The schema clients see (without what @inaccessible hides), built from a supergraph: what
 * trusted documents are checked against before the gateway runs them.
 */
export function clientSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphForExecution(supergraphSdl)).apiSchema().toGraphQLJSSchema();
}
