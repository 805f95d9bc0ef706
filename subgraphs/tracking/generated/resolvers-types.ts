import type { GraphQLResolveInfo } from 'graphql';
import type { TransitionDoc, EventDoc, OrderRef, ShipmentRef } from '../store.ts';
import type { StageWaitFigures } from '../waits.ts';
import type { Context } from '../context.ts';
export type Maybe<T> = T | null | undefined;
export type InputMaybe<T> = T | null | undefined;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  _FieldSet: { input: unknown; output: unknown; }
};

export type ElementType =
  /** An order's cancellation: CANCEL_REQUESTED (from orders), then CANCEL_APPLIED or CANCEL_REJECTED from each node that held part of the order. */
  | 'CANCEL'
  /** A change to an order in flight (a new shipping address): CHANGE_REQUESTED, then CHANGE_APPLIED or CHANGE_REJECTED from each node that held part of the order. */
  | 'CHANGE'
  | 'CHARGE'
  | 'ORDER'
  | 'RECEIPT'
  /** A refund: REFUND_REQUESTED, then REFUNDED, or REFUND_FAILED when it keeps failing and waits in exceptions. */
  | 'REFUND'
  /** A return of a shipped line: RETURN_REQUESTED (orders), then ITEM_RECEIVED once receiving has it back (a REFUND follows). */
  | 'RETURN'
  | 'SHIPMENT';

export type Location = {
  __typename?: 'Location';
  /** The service that put it there. */
  node: Scalars['String']['output'];
  since: Scalars['String']['output'];
  state: Scalars['String']['output'];
};

export type Mutation = {
  __typename?: 'Mutation';
  /**
   * Internal: nodes record their transitions through their outboxes. Idempotent by transition id.
   * At most 1,000 transitions a delivery; ids at most 1,000 bytes, states and nodes 100 (`to` and
   * `node` not empty), a detail 16 KiB; a time in ISO 8601 with its offset, from 2000 to a day
   * ahead. Anything else is refused whole (BAD_USER_INPUT).
   */
  recordTransitions: Scalars['Int']['output'];
};


export type MutationRecordTransitionsArgs = {
  input: Array<TransitionInput>;
};

/** Tracking adds the order's history and whereabouts, as the nodes recorded them. */
export type Order = {
  __typename?: 'Order';
  /**
   * Every recorded transition of the order and its shipments and charges, oldest first (those of the
   * same time in the order `orderTransitions` gave them live: the order they were logged). An order
   * with one shipment has about 10; the gateway's cost counts 50 (more shipments, changes and
   * returns add more). Null (as `historyCursor`) only when the tracking service could not be asked
   * (an error names it).
   */
  history?: Maybe<Array<Transition>>;
  /**
   * Where `history` is complete up to in tracking's event log: subscribe to `orderTransitions` with
   * `after` set to this and nothing is missed between the two (a transition already in the history
   * may come again, with the same id).
   */
  historyCursor?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  /** Where the order is now: its most recent transition (changes to it in flight aside). */
  location?: Maybe<Location>;
};

export type Query = {
  __typename?: 'Query';
  /** How long elements waited in each state of the pipeline, over the last `minutes`: where the inefficiencies are. A window longer than 60 minutes is read in whole hours (61 reads the last 120). Callers asking for the same window share one reading while it runs and for 5 s after it began, so an answer is as old as that. A service reads two windows at a time with four more waiting; a window asked for beyond those is RATE_LIMITED (ask again shortly). */
  stageWaits: Array<StageWait>;
  /** Transitions of one element (an order, a shipment, a charge request, a receipt), oldest first. */
  transitions: Array<Transition>;
};


export type QueryStageWaitsArgs = {
  minutes?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryTransitionsArgs = {
  elementId: Scalars['ID']['input'];
};

export type Shipment = {
  __typename?: 'Shipment';
  id: Scalars['ID']['output'];
};

/** Time spent in one state (for example PICKING) by the elements that left it in the window. */
export type StageWait = {
  __typename?: 'StageWait';
  count: Scalars['Int']['output'];
  maxMs: Scalars['Int']['output'];
  p50Ms: Scalars['Int']['output'];
  p90Ms: Scalars['Int']['output'];
  p99Ms: Scalars['Int']['output'];
  state: Scalars['String']['output'];
};

/**
 * Live transitions, over WebSockets (graphql-ws) or server-sent events. Every event carries a
 * cursor; subscribe again with `after` set to the last cursor you received and you get what was
 * recorded since, in order, then live events. A subscription that completes (tracking restarted,
 * you fell too far behind) is resumed the same way; `after: "0"` starts from the oldest event
 * kept. A cursor is opaque (sealed: it tells nothing of how many events there are). A malformed
 * orderId, a cursor tracking did not give out or newer than the newest event, or an unknown stage
 * or state, is BAD_USER_INPUT; a cursor older than the log keeps is CURSOR_EXPIRED.
 */
export type Subscription = {
  __typename?: 'Subscription';
  /** Transitions of one order, its charges and its shipments. */
  orderTransitions: TransitionEvent;
  /** Transitions anywhere in the pipeline; `stage` is the node that made them (for example picking), `state` the state entered (for example SHIPPED). */
  pipelineTransitions: TransitionEvent;
};


/**
 * Live transitions, over WebSockets (graphql-ws) or server-sent events. Every event carries a
 * cursor; subscribe again with `after` set to the last cursor you received and you get what was
 * recorded since, in order, then live events. A subscription that completes (tracking restarted,
 * you fell too far behind) is resumed the same way; `after: "0"` starts from the oldest event
 * kept. A cursor is opaque (sealed: it tells nothing of how many events there are). A malformed
 * orderId, a cursor tracking did not give out or newer than the newest event, or an unknown stage
 * or state, is BAD_USER_INPUT; a cursor older than the log keeps is CURSOR_EXPIRED.
 */
export type SubscriptionOrderTransitionsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  orderId: Scalars['ID']['input'];
};


/**
 * Live transitions, over WebSockets (graphql-ws) or server-sent events. Every event carries a
 * cursor; subscribe again with `after` set to the last cursor you received and you get what was
 * recorded since, in order, then live events. A subscription that completes (tracking restarted,
 * you fell too far behind) is resumed the same way; `after: "0"` starts from the oldest event
 * kept. A cursor is opaque (sealed: it tells nothing of how many events there are). A malformed
 * orderId, a cursor tracking did not give out or newer than the newest event, or an unknown stage
 * or state, is BAD_USER_INPUT; a cursor older than the log keeps is CURSOR_EXPIRED.
 */
export type SubscriptionPipelineTransitionsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  elementType?: InputMaybe<ElementType>;
  stage?: InputMaybe<Scalars['String']['input']>;
  state?: InputMaybe<Scalars['String']['input']>;
};

/** One state change of one element, recorded by the node that made it. */
export type Transition = {
  __typename?: 'Transition';
  at: Scalars['String']['output'];
  /** Why, in the node's words (a carrier and tracking number, a decline's reason, what ran short). Not for a tracking link: it may name what was ordered or how it was paid. */
  detail?: Maybe<Scalars['String']['output']>;
  elementId: Scalars['ID']['output'];
  elementType: ElementType;
  from?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  /** The service that made the change. */
  node: Scalars['String']['output'];
  to: Scalars['String']['output'];
  /** The OpenTelemetry trace id of the work that made it (32 hex digits), when tracing is on: find the order's journey in Jaeger by it. */
  traceId?: Maybe<Scalars['String']['output']>;
};

/** One recorded transition, as subscribers receive it. */
export type TransitionEvent = {
  __typename?: 'TransitionEvent';
  /** Where this event sits in tracking's log: pass it as `after` to resume after it. */
  cursor: Scalars['String']['output'];
  /** The order it belongs to: select any of its fields, from any service. */
  order?: Maybe<Order>;
  /** The shipment, for a shipment's transition: carrier and tracking number come from shipping once it has left. */
  shipment?: Maybe<Shipment>;
  transition: Transition;
};

export type TransitionInput = {
  at: Scalars['String']['input'];
  detail?: InputMaybe<Scalars['String']['input']>;
  elementId: Scalars['ID']['input'];
  elementType: ElementType;
  from?: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
  node: Scalars['String']['input'];
  orderId?: InputMaybe<Scalars['ID']['input']>;
  to: Scalars['String']['input'];
  traceId?: InputMaybe<Scalars['String']['input']>;
};

export type WithIndex<TObject> = TObject & Record<string, any>;
export type ResolversObject<TObject> = WithIndex<TObject>;

export type ResolverTypeWrapper<T> = Promise<T> | T;

export type ReferenceResolver<TResult, TReference, TContext> = (
      reference: TReference,
      context: TContext,
      info: GraphQLResolveInfo
    ) => Promise<TResult> | TResult;

      type ScalarCheck<T, S> = S extends true ? T : NullableCheck<T, S>;
      type NullableCheck<T, S> = Maybe<T> extends T ? Maybe<ListCheck<NonNullable<T>, S>> : ListCheck<T, S>;
      type ListCheck<T, S> = T extends (infer U)[] ? NullableCheck<U, S>[] : GraphQLRecursivePick<T, S>;
      export type GraphQLRecursivePick<T, S> = { [K in keyof T & keyof S]: ScalarCheck<T[K], S[K]> };
    

export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

/** Mapping of federation types */
export type FederationTypes = ResolversObject<{
  Order: Order;
}>;

/** Mapping of federation reference types */
export type FederationReferenceTypes = ResolversObject<{
  Order:
    ( { __typename: 'Order' }
    & GraphQLRecursivePick<FederationTypes['Order'], {"id":true}> );
}>;



/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = ResolversObject<{
  ElementType: ElementType;
  Location: ResolverTypeWrapper<Location>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  Order: ResolverTypeWrapper<OrderRef>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Shipment: ResolverTypeWrapper<ShipmentRef>;
  StageWait: ResolverTypeWrapper<StageWaitFigures>;
  Subscription: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Transition: ResolverTypeWrapper<TransitionDoc>;
  TransitionEvent: ResolverTypeWrapper<EventDoc>;
  TransitionInput: TransitionInput;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
}>;

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = ResolversObject<{
  Location: Location;
  String: Scalars['String']['output'];
  Mutation: Record<PropertyKey, never>;
  Int: Scalars['Int']['output'];
  Order: OrderRef;
  ID: Scalars['ID']['output'];
  Query: Record<PropertyKey, never>;
  Shipment: ShipmentRef;
  StageWait: StageWaitFigures;
  Subscription: Record<PropertyKey, never>;
  Transition: TransitionDoc;
  TransitionEvent: EventDoc;
  TransitionInput: TransitionInput;
  Boolean: Scalars['Boolean']['output'];
}>;

export type LocationResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Location'] = ResolversParentTypes['Location']> = ResolversObject<{
  node?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  since?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  state?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type MutationResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = ResolversObject<{
  recordTransitions?: Resolver<ResolversTypes['Int'], ParentType, ContextType, RequireFields<MutationRecordTransitionsArgs, 'input'>>;
}>;

export type OrderResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Order'] = ResolversParentTypes['Order'], FederationReferenceType extends FederationReferenceTypes['Order'] = FederationReferenceTypes['Order']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Order']> | FederationReferenceType, FederationReferenceType, ContextType>;
  history?: Resolver<Maybe<Array<ResolversTypes['Transition']>>, ParentType, ContextType>;
  historyCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  location?: Resolver<Maybe<ResolversTypes['Location']>, ParentType, ContextType>;
}>;

export type QueryResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = ResolversObject<{
  stageWaits?: Resolver<Array<ResolversTypes['StageWait']>, ParentType, ContextType, RequireFields<QueryStageWaitsArgs, 'minutes'>>;
  transitions?: Resolver<Array<ResolversTypes['Transition']>, ParentType, ContextType, RequireFields<QueryTransitionsArgs, 'elementId'>>;
}>;

export type ShipmentResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Shipment'] = ResolversParentTypes['Shipment']> = ResolversObject<{
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
}>;

export type StageWaitResolvers<ContextType = Context, ParentType extends ResolversParentTypes['StageWait'] = ResolversParentTypes['StageWait']> = ResolversObject<{
  count?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  maxMs?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  p50Ms?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  p90Ms?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  p99Ms?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  state?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type SubscriptionResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Subscription'] = ResolversParentTypes['Subscription']> = ResolversObject<{
  orderTransitions?: SubscriptionResolver<ResolversTypes['TransitionEvent'], "orderTransitions", ParentType, ContextType, RequireFields<SubscriptionOrderTransitionsArgs, 'orderId'>>;
  pipelineTransitions?: SubscriptionResolver<ResolversTypes['TransitionEvent'], "pipelineTransitions", ParentType, ContextType, Partial<SubscriptionPipelineTransitionsArgs>>;
}>;

export type TransitionResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Transition'] = ResolversParentTypes['Transition']> = ResolversObject<{
  at?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  detail?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  elementId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  elementType?: Resolver<ResolversTypes['ElementType'], ParentType, ContextType>;
  from?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  to?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  traceId?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
}>;

export type TransitionEventResolvers<ContextType = Context, ParentType extends ResolversParentTypes['TransitionEvent'] = ResolversParentTypes['TransitionEvent']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  order?: Resolver<Maybe<ResolversTypes['Order']>, ParentType, ContextType>;
  shipment?: Resolver<Maybe<ResolversTypes['Shipment']>, ParentType, ContextType>;
  transition?: Resolver<ResolversTypes['Transition'], ParentType, ContextType>;
}>;

export type Resolvers<ContextType = Context> = ResolversObject<{
  Location?: LocationResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  Order?: OrderResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  Shipment?: ShipmentResolvers<ContextType>;
  StageWait?: StageWaitResolvers<ContextType>;
  Subscription?: SubscriptionResolvers<ContextType>;
  Transition?: TransitionResolvers<ContextType>;
  TransitionEvent?: TransitionEventResolvers<ContextType>;
}>;

