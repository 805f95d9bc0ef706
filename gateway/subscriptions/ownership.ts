import { getArgumentValues } from 'graphql/execution/values.js';
import { getOperationAST, type ExecutionArgs, type GraphQLError } from 'graphql';
import { Agent, fetch as undiciFetch } from 'undici';
import { forbidden, isStaff, type Identity } from '../../kit/auth/identity.ts';
import { badInput, clientError, ErrorCode } from '../../kit/errors.ts';
import { showsNothing } from '../../kit/storable-text.ts';
import { rootFields } from './root-fields.ts';

/**
 * Following one order is allowed to whoever may read that order, which only the orders service
 * knows (it owns the order and its customer). So before a customer or a tracking link starts
 * `orderTransitions`, the gateway asks orders for the order with the caller's own identity; staff
 * may follow any order. A subscription is checked once, when it starts: an order's owner never changes.
 */
export function orderFollowingCheck(ordersUrl: string, agent: Agent, internalAuthorization: (identity: Identity) => Promise<string>) {
  return async (args: ExecutionArgs, identity: Identity): Promise<GraphQLError | undefined> => {
    const followed = followedOrders(args);
    if (followed.length === 0 || isStaff(identity)) return undefined;
    for (const orderId of new Set(followed)) {
      const refused = await mayFollow(orderId);
      if (refused) return refused;
    }
    return undefined;

    async function mayFollow(orderId: string | undefined): Promise<GraphQLError | undefined> {
      if (orderId === undefined) return forbidden('You may follow only your own orders.');
      // Said here, by the subscription's own argument: orders would name the argument of its own lookup (`id`).
      if (showsNothing(orderId)) return badInput('orderId must not be empty', 'orderId');
      let body: { data?: { order?: { id: string } | null }; errors?: { message?: string; extensions?: { code?: string } }[] };
      try {
        const response = await undiciFetch(ordersUrl, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', authorization: await internalAuthorization(identity) },
          body: JSON.stringify({ query: 'query FollowedOrder($id: ID!) { order(id: $id) { id } }', variables: { id: orderId } }),
        });
        body = (await response.json()) as typeof body;
      } catch {
        return clientError(ErrorCode.DEPENDENCY_UNAVAILABLE, 'The orders service is unavailable, so whether you may follow this order cannot be checked; try again.', { serviceName: 'orders' });
      }
      // Orders answers with the id as ObjectIds write it (lower-case); a client may have written it in upper case.
      if (body.data?.order?.id === orderId.toLowerCase()) return undefined;
      // Not an order id at all: the client's mistake, said as orders says it (as to staff, whom tracking tells).
      const malformed = body.errors?.find((error) => error.extensions?.code === ErrorCode.BAD_USER_INPUT);
      if (malformed) return clientError(ErrorCode.BAD_USER_INPUT, malformed.message ?? 'orderId is not an order id.', { field: 'orderId' });
      return forbidden('You may follow only your own orders.');
    }
  };
}

/** The order each `orderTransitions` of the operation follows, wherever it is written (rootFields); undefined: not known. */
function followedOrders(args: ExecutionArgs): (string | undefined)[] {
  const operation = getOperationAST(args.document, args.operationName ?? undefined);
  const field = args.schema.getSubscriptionType()?.getFields().orderTransitions;
  if (!operation || !field) return [];
  return rootFields(args.document, operation)
    .filter((root) => root.name.value === 'orderTransitions')
    .map((root) => {
      try {
        const values = getArgumentValues(field, root, (args.variableValues ?? {}) as Record<string, unknown>);
        return typeof values.orderId === 'string' ? values.orderId : undefined;
      } catch {
        return undefined;
      }
    });
}
