import { getOperationAST, getVariableValues, GraphQLError, type ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Identity } from '../../kit/auth/identity.ts';
import { identityIn } from '../auth.ts';
import type { FederatedSubscriptions } from './engine.ts';
import { endingAt } from './expiry.ts';
import { hasConditionalRoot } from './root-fields.ts';
import { badInput, ErrorCode } from '../../kit/errors.ts';

/** Decides on one subscription of an authenticated caller beyond the schema's rules (ownership). */
export type SubscriptionCheck = (args: ExecutionArgs, identity: Identity) => Promise<GraphQLError | undefined>;

/**
 * Yoga runs subscriptions (over WebSockets and over server-sent events alike) through the
 * federated subscription engine instead of graphql-js's `subscribe`, which cannot reach subgraphs.
 * Each subscription is authorized on its own: the schema's rules (useGatewayAuth) and `check`,
 * and ends when the caller's credential expires (expiry.ts).
 */
export function useFederatedSubscriptions(engine: FederatedSubscriptions, callerOf: (context: unknown) => string, check?: SubscriptionCheck): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (given) => {
        const operation = getOperationAST(given.document, given.operationName);
        if (operation && hasConditionalRoot(given.document, operation)) {
          return { errors: [badInput("A subscription's field cannot be selected conditionally (@skip, @include): leave it out of the document, or subscribe without it.")] };
        }
        // Coerced as graphql-js's own subscribe would (this replaces it): variables the operation
        // declares, of their types. Raw, a value nested thousands deep ran the stream's key out of
        // stack and closed the caller's whole connection, and each undeclared one made a stream of its own.
        const coerced = operation ? getVariableValues(given.schema, operation.variableDefinitions ?? [], (given.variableValues ?? {}) as Record<string, unknown>, { maxErrors: 10 }) : { coerced: {} };
        if (coerced.errors) return { errors: coerced.errors.map((error) => badInput(error.message)) };
        const subscribeArgs = { ...given, variableValues: coerced.coerced };
        const identity = identityIn(subscribeArgs.contextValue);
        const refused = await check?.(subscribeArgs, identity);
        if (refused) return { errors: [refused] };
        let stream: ReturnType<typeof engine.subscribe>;
        try {
          stream = engine.subscribe(subscribeArgs, identity, callerOf(subscribeArgs.contextValue));
        } catch (error) {
          // Answered on this subscription's id: thrown, graphql-ws would close the caller's whole connection.
          return { errors: [new GraphQLError('The subscription could not be started.', { originalError: error as Error, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } })] };
        }
        return identity.expiresAt !== undefined && Symbol.asyncIterator in stream ? endingAt(stream, identity.expiresAt) : stream;
      });
    },
  };
}
