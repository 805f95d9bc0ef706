import { executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { FetchNode } from '@apollo/query-planner';
import { GraphQLError, Kind, print, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { authorizationKey, type Identity } from '../../kit/auth/identity.ts';
import { clientError, ErrorCode } from '../../kit/errors.ts';
import type { Logger } from '../../kit/logger.ts';
import type { RequestContexts } from '../executor-plugin.ts';
import { EventBudgets } from './event-budget.ts';
import type { SubscriptionPlan, SubscriptionPlanner } from './planner.ts';
import { SharedStream } from './shared-stream.ts';
import { Subscriber } from './subscriber.ts';
import type { UpstreamConnections } from './upstream.ts';

export interface FederatedSubscriptionsOptions {
  planner: SubscriptionPlanner;
  /** The gateway's data sources, by subgraph name: the same pooled connections queries use. */
  dataSources: ReadonlyMap<string, GraphQLDataSource>;
  upstream: UpstreamConnections;
  requests: RequestContexts;
  logger: Logger;
  /** Events a subscriber may have waiting before it is ended as too slow. */
  maxQueuedPerSubscriber?: number;
  /** Events of one stream composed at once (delivered in order regardless). */
  composeConcurrency?: number;
  /** Subscriptions resuming from a cursor (a stream each) one caller may have at once, over all its connections. */
  maxResumingPerCaller?: number;
  /** Subscriptions of any kind one caller may have at once, over all its connections. */
  maxPerCaller: number;
  /** How long composing one event may wait for other subgraphs (event-budget.ts). */
  eventTimeoutMs: number;
}

const MAX_RESUMING_PER_CALLER = 20;

/**
 * Federated subscriptions, the way Apollo Router runs them. The query planner splits a
 * subscription into a primary fetch (a subscription to the subgraph that owns the root field,
 * asking for its own fields plus entity keys) and the rest. The gateway opens that upstream
 * stream once per distinct operation and variables, however many clients subscribe; for each
 * event it runs the rest of the plan (`_entities` fetches to the other subgraphs) once, and
 * hands the composed result to every subscriber.
 *
 * Sharing is right only for subscriptions that mean "from now on": someone who joins later
 * wants what happens from then. A subscription that resumes from a cursor (its root field's
 * `after` argument is set) wants everything after that cursor, which a stream already under
 * way has partly delivered; it gets a stream of its own.
 */
export class FederatedSubscriptions {
  private readonly streams = new Map<string, SharedStream>();
  private readonly resuming = new Set<SharedStream>();
  /** Resuming streams open per caller (its subject). */
  private readonly resumingBy = new Map<string, number>();
  /** Subscriptions open per caller (as the rate limit counts callers: a subject, or a signed-out address). */
  private readonly openBy = new Map<string, number>();
  private readonly serviceMap: ServiceMap;

  constructor(private readonly options: FederatedSubscriptionsOptions) {
    this.serviceMap = Object.fromEntries(options.dataSources);
  }

  /**
   * Callers share a stream only when they are the same for authorization (see authorizationKey):
   * each event is composed with one identity, so a customer never receives what was fetched for another.
   * `caller`: whom the per-caller bound counts this subscription for.
   */
  subscribe(args: ExecutionArgs, identity: Identity, caller: string): AsyncIterableIterator<ExecutionResult> | ExecutionResult {
    // Each open subscription costs a delivery per event, and one that differs from the rest a
    // composition per event: without a bound over all of a caller's connections, one customer's
    // hundreds of subscriptions would slow everyone's events.
    const open = this.openBy.get(caller) ?? 0;
    if (open >= this.options.maxPerCaller) {
      return { errors: [clientError(ErrorCode.TOO_MANY_SUBSCRIPTIONS, `At most ${this.options.maxPerCaller} subscriptions at once per caller; complete one first.`)] };
    }
    const subscribed = this.open(args, identity);
    if (!(subscribed instanceof Subscriber)) return subscribed;
    this.openBy.set(caller, open + 1);
    subscribed.onEnd(() => {
      const left = (this.openBy.get(caller) ?? 1) - 1;
      if (left > 0) this.openBy.set(caller, left);
      else this.openBy.delete(caller);
    });
    return subscribed;
  }

  private open(args: ExecutionArgs, identity: Identity): Subscriber | ExecutionResult {
    const request = this.options.requests.of(args);
    if (!request) return { errors: [new GraphQLError('No subscription operation to run.')] };
    const operationName = args.operationName ?? undefined;
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    // The document as parsed, not as sent: comments and spacing do not make a stream of their own.
    const key = JSON.stringify([print(args.document), operationName ?? null, variables, authorizationKey(identity)]);
    const shared = this.streams.get(key);
    if (shared) return shared.join();

    const plan = this.options.planner.plan(args.schema, args.document, request.source, operationName);
    // Each resumes on a stream of its own and replays the log from its cursor: without a bound per
    // caller, one customer's resumes (50 cost tracking 2.6 s of CPU) would slow everyone's events.
    const resumes = resumesFromCursor(plan, variables);
    const caller = identity.subject;
    const callerResuming = this.resumingBy.get(caller) ?? 0;
    const maxResuming = this.options.maxResumingPerCaller ?? MAX_RESUMING_PER_CALLER;
    if (resumes && callerResuming >= maxResuming) {
      return {
        errors: [
          clientError(ErrorCode.TOO_MANY_SUBSCRIPTIONS, `At most ${maxResuming} subscriptions resuming from a cursor at once per caller; complete one, or subscribe without \`after\` once caught up.`),
        ],
      };
    }
    const upstream = this.options.upstream.stream(plan.primary.serviceName, plan.primary.operation, pick(variables, plan.primary.variableUsages));
    // A stream outlives the subscriber that opened it, so it composes with the identity all its
    // subscribers share rather than that one's credential (each connection is closed when its own expires).
    const sharedIdentity: Identity = { subject: 'subscription', scopes: identity.scopes, customerId: identity.customerId, orderId: identity.orderId };
    const streamRequest = { ...request, context: { ...request.context, identity: sharedIdentity } };
    const budgets = new EventBudgets(this.options.eventTimeoutMs);
    const compose = (event: ExecutionResult) => budgets.run(streamRequest.context, (context) => this.compose(plan, { ...streamRequest, context }, event));
    if (resumes) {
      this.resumingBy.set(caller, callerResuming + 1);
      const own: SharedStream = new SharedStream(
        upstream,
        compose,
        () => {
          this.resuming.delete(own);
          const left = (this.resumingBy.get(caller) ?? 1) - 1;
          if (left > 0) this.resumingBy.set(caller, left);
          else this.resumingBy.delete(caller);
        },
        this.options,
      );
      this.resuming.add(own);
      return own.join();
    }
    const stream = new SharedStream(upstream, compose, () => this.streams.delete(key), this.options);
    this.streams.set(key, stream);
    return stream.join();
  }

  /** Subscriptions `caller` (as `subscribe` was told) has open right now. */
  openOf(caller: string): number {
    return this.openBy.get(caller) ?? 0;
  }

  /** Streams open upstream right now: one per distinct live operation and variables, one per resuming subscriber. */
  get openStreams(): number {
    return this.streams.size + this.resuming.size;
  }

  close(): void {
    for (const stream of [...this.streams.values(), ...this.resuming]) stream.close();
  }

  /**
   * Runs the plan's per-event part with Apollo's own executor. The primary fetch is answered
   * from the event instead of the network; every other fetch goes to its subgraph as usual.
   */
  private async compose(plan: SubscriptionPlan, request: NonNullable<ReturnType<RequestContexts['of']>>, event: ExecutionResult): Promise<ExecutionResult> {
    const owner = plan.primary.serviceName;
    const services: ServiceMap = { ...this.serviceMap, [owner]: answeredFrom(event, plan.primary, this.serviceMap[owner]!) };
    try {
      return await executeQueryPlan(plan.perEvent, services, request, plan.operationContext, this.options.planner.supergraphSchema, this.options.planner.apiSchema);
    } catch (error) {
      this.options.logger.error('composing a subscription event failed', { error: error instanceof Error ? error : String(error) });
      return { errors: [error instanceof GraphQLError ? error : new GraphQLError('Composing this event failed.', { originalError: error as Error })] };
    }
  }
}

function answeredFrom(event: ExecutionResult, primary: FetchNode, owner: GraphQLDataSource): GraphQLDataSource {
  return {
    process: (options) =>
      options.request.query === primary.operation ? Promise.resolve({ data: event.data ?? null, errors: event.errors }) : owner.process(options),
  };
}

function resumesFromCursor(plan: SubscriptionPlan, variables: Record<string, unknown>): boolean {
  const after = plan.resumeArgument;
  if (!after) return false;
  if (after.value.kind === Kind.VARIABLE) return variables[after.value.name.value] != null;
  return after.value.kind !== Kind.NULL;
}

function pick(variables: Record<string, unknown>, names: readonly string[] = []): Record<string, unknown> {
  return Object.fromEntries(names.filter((name) => name in variables).map((name) => [name, variables[name]]));
}
