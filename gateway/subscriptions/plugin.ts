import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../../kit/errors.ts';
import type { Authorize } from '../../kit/websocket.ts';
import type { FederatedSubscriptions } from './engine.ts';

/**
 * Yoga runs subscriptions (over WebSockets and over server-sent events alike) through the
 * federated subscription engine instead of graphql-js's `subscribe`, which cannot reach subgraphs.
 * WebSocket connections are authorized once, on connect; an HTTP subscription request by its
 * Authorization header.
 */
export function useFederatedSubscriptions(engine: FederatedSubscriptions, authorize?: Authorize): Plugin {
  return {
    onSubscribe({ args, setSubscribeFn }) {
      const context = args.contextValue as { connectionParams?: Record<string, unknown>; request?: Request };
      const overHttp = !('connectionParams' in context) && context.request !== undefined;
      setSubscribeFn(async (subscribeArgs) => {
        if (authorize && overHttp && !(await authorize({ authorization: context.request!.headers.get('authorization') ?? undefined }))) {
          return { errors: [new GraphQLError('This subscription needs a valid Authorization header.', { extensions: { code: ErrorCode.UNAUTHENTICATED } })] };
        }
        return engine.subscribe(subscribeArgs);
      });
    },
  };
}
