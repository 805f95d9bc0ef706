import type { GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../errors.ts';
import { type Identity } from './identity.ts';
import { AccessChecker, type AccessRules } from './rules.ts';
import { bearerToken, type InternalTokens } from './tokens.ts';

/** Where the verified caller is kept on a request; read it with `identityOf`. */
const identities = new WeakMap<Request, Identity>();

/**
 * Every subgraph's door: a request must carry an internal token (signed by the gateway for a
 * client, or a service's own credentials) or it is answered 401 and nothing runs. The caller's
 * identity is then in the context for ownership checks, and the schema's @authenticated and
 * @requiresScopes are enforced here too, so a subgraph reached directly is no more open than
 * through the gateway.
 */
export function useSubgraphAuth(tokens: InternalTokens, rules: AccessRules, getSchema: () => GraphQLSchema): Plugin<{ identity?: Identity }> {
  let checker: AccessChecker | undefined;
  return {
    async onRequest({ request, url, endResponse }) {
      if (url.pathname === '/health') return;
      const token = bearerToken(request.headers.get('authorization'));
      try {
        if (!token) throw new Error('This service answers only requests with credentials (Authorization: Bearer <internal token>).');
        identities.set(request, await tokens.verify(token));
      } catch (error) {
        endResponse(unauthenticatedResponse(error instanceof Error ? error.message : String(error)));
      }
    },
    onContextBuilding({ context, extendContext }) {
      const request = (context as { request?: Request }).request;
      const fromSocket = (context as { principal?: Identity }).principal;
      const identity = fromSocket ?? (request ? identities.get(request) : undefined);
      if (identity) extendContext({ identity });
    },
    onExecute({ args, setResultAndStopExecution }) {
      checker ??= new AccessChecker(getSchema(), rules);
      const identity = (args.contextValue as { identity?: Identity }).identity;
      const refused = identity ? checker.check(args.document, identity) : undefined;
      if (refused || !identity) setResultAndStopExecution({ errors: [refused ?? new Error('no identity')] } as never);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      checker ??= new AccessChecker(getSchema(), rules);
      const identity = (args.contextValue as { identity?: Identity }).identity;
      const refused = identity ? checker.check(args.document, identity) : undefined;
      if (refused || !identity) setResultAndStopExecution({ errors: [refused ?? new Error('no identity')] } as never);
    },
  };
}

export function unauthenticatedResponse(message: string): Response {
  return new Response(JSON.stringify({ errors: [{ message, extensions: { code: ErrorCode.UNAUTHENTICATED } }] }), {
    status: 401,
    headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' },
  });
}
