import type { Plugin } from 'graphql-yoga';
import type { Identity } from '../kit/auth/identity.ts';
import type { AccessChecker } from '../kit/auth/rules.ts';
import type { GatewayAuth } from './auth.ts';

/**
 * Authentication and the schema's access rules at the gateway. The caller is identified from
 * its Authorization header (HTTP, server-sent events) or from what its WebSocket connection
 * proved on connect (`principal`); a bad token is UNAUTHENTICATED with HTTP 401 before
 * anything runs. Each operation is then checked against the @authenticated and
 * @requiresScopes rules of the supergraph, read once at start-up.
 */
export function useGatewayAuth(auth: GatewayAuth, checker: AccessChecker | undefined): Plugin<{ identity?: Identity }> {
  return {
    async onContextBuilding({ context, extendContext }) {
      const principal = (context as { principal?: Identity }).principal;
      if (principal) return extendContext({ identity: principal });
      const request = (context as { request?: Request }).request;
      extendContext({ identity: await auth.identify(request?.headers.get('authorization')) });
    },
    onExecute({ args, setResultAndStopExecution }) {
      const refused = checker?.check(args.document, (args.contextValue as { identity: Identity }).identity);
      if (refused) setResultAndStopExecution({ errors: [refused] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = checker?.check(args.document, (args.contextValue as { identity: Identity }).identity);
      if (refused) setResultAndStopExecution({ errors: [refused] });
    },
  };
}
