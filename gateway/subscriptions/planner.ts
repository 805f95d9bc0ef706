import { operationFromDocument, Supergraph, type Schema } from '@apollo/federation-internals';
import { buildOperationContext } from '@apollo/gateway';
import { QueryPlanner, type FetchNode, type PlanNode, type QueryPlan } from '@apollo/query-planner';
import type { ArgumentNode, DocumentNode, GraphQLSchema } from 'graphql';
import { rootFields } from './root-fields.ts';

type OperationContext = ReturnType<typeof buildOperationContext>;

/** How one subscription operation runs: a stream from one subgraph, then the rest of each event. */
export interface SubscriptionPlan {
  /** The subscription sent to the subgraph that owns the root field: its fields plus entity keys. */
  primary: FetchNode;
  /** Per event, the fetches (`_entities`) to the other subgraphs that complete the selection. */
  perEvent: QueryPlan;
  operationContext: OperationContext;
  /** The root field's `after` argument, if given: the subscription resumes from a cursor. */
  resumeArgument: ArgumentNode | undefined;
}

/**
 * Plans subscriptions with Apollo's query planner, the one Apollo Gateway uses for queries:
 * it already splits a subscription into a primary fetch and the rest. Built once at start-up
 * from the supergraph; plans are cached by operation text.
 */
export class SubscriptionPlanner {
  readonly apiSchema: Schema;
  readonly supergraphSchema: GraphQLSchema;
  private readonly planner: QueryPlanner;
  private readonly plans = new Map<string, SubscriptionPlan>();

  constructor(supergraphSdl: string, private readonly maxCachedPlans = 500) {
    const supergraph = Supergraph.build(supergraphSdl);
    this.apiSchema = supergraph.apiSchema();
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(supergraph);
  }

  plan(schema: GraphQLSchema, document: DocumentNode, source: string, operationName: string | undefined): SubscriptionPlan {
    const key = `${operationName ?? ''}\n${source}`;
    let plan = this.plans.get(key);
    if (!plan) {
      const operation = operationFromDocument(this.apiSchema, document, { operationName });
      const node = this.planner.buildQueryPlan(operation).node;
      if (node?.kind !== 'Subscription') throw new Error('not a subscription operation');
      plan = {
        primary: node.primary,
        // The primary fetch runs again per event, answered from the event itself (see engine.ts),
        // so Apollo's executor merges, flattens and shapes the result exactly as for a query.
        perEvent: { kind: 'QueryPlan', node: node.rest ? ({ kind: 'Sequence', nodes: [node.primary, node.rest] } satisfies PlanNode) : node.primary },
        operationContext: buildOperationContext({ schema, operationDocument: document, operationName }),
        resumeArgument: undefined,
      };
      // A subscription has one root field once @skip and @include are applied, perhaps written
      // inside a fragment; it resumes if any of those written asks to (sharing a stream is then off).
      plan.resumeArgument = rootFields(document, plan.operationContext.operation)
        .flatMap((root) => root.arguments ?? [])
        .find((argument) => argument.name.value === 'after');
      if (this.plans.size >= this.maxCachedPlans) this.plans.delete(this.plans.keys().next().value!);
      this.plans.set(key, plan);
    }
    return plan;
  }
}
