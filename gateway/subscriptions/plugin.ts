import { getOperationAST, type ExecutionArgs, type GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Identity } from '../../kit/auth/identity.ts';
import { identityIn } from '../auth.ts';
import type { FederatedSubscriptions } from './engine.ts';
import { endingAt } from './expiry.ts';
import { hasConditionalRoot } from './root-fields.ts';
import { badInput } from '../../kit/errors.ts';

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
      setSubscribeFn(async (subscribeArgs) => {
        const operation = getOperationAST(subscribeArgs.document, subscribeArgs.operationName);
        if (operation && hasConditionalRoot(subscribeArgs.document, operation)) {
          return { errors: [badInput("A subscription's field cannot be selected conditionally (@skip, @include): leave it out of the document, or subscribe without it.")] };
        }
        const identity = identityIn(subscribeArgs.contextValue);
        const refused = await check?.(subscribeArgs, identity);
        if (refused) return { errors: [refused] };
        const stream = engine.subscribe(subscribeArgs, identity, callerOf(subscribeArgs.contextValue));
        return identity.expiresAt !== undefined && Symbol.asyncIterator in stream ? endingAt(stream, identity.expiresAt) : stream;
      });
    },
  };
}
