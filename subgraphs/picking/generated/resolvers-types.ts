import type { GraphQLResolveInfo } from 'graphql';
import type { ShipmentItem, OrderRef, PicklistDoc } from '../store.ts';
import type { QueueCounts } from '../../../kit/queue.ts';
import type { Context } from '../context.ts';
export type Maybe<T> = T | null | undefined;
export type InputMaybe<T> = T | null | undefined;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
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

export type AddressChangeInput = {
  address: ShipmentAddressInput;
  changeId: Scalars['ID']['input'];
  orderId: Scalars['ID']['input'];
  requestedAt: Scalars['String']['input'];
  version: Scalars['Int']['input'];
};

export type CancellationInput = {
  cancellationId: Scalars['ID']['input'];
  orderId: Scalars['ID']['input'];
  reason: Scalars['String']['input'];
  requestedAt: Scalars['String']['input'];
};

/** What an address change did to one shipment. */
export type ChangeOutcome = {
  __typename?: 'ChangeOutcome';
  /** When this stage reached the outcome (ISO 8601). */
  at?: Maybe<Scalars['String']['output']>;
  detail?: Maybe<Scalars['String']['output']>;
  elementId: Scalars['ID']['output'];
  /** For an application: the address version the shipment had before it. */
  fromVersion?: Maybe<Scalars['Int']['output']>;
  result: ChangeResult;
};

export type ChangeResult =
  | 'APPLIED'
  | 'REJECTED';

export type ExceptionAction =
  | 'CANCEL'
  | 'RETRY';

/** A shipment's move as its hand-off carries it (a transition less the shipment and order it is of). */
export type HandedOverInput = {
  at: Scalars['String']['input'];
  detail?: InputMaybe<Scalars['String']['input']>;
  from?: InputMaybe<Scalars['String']['input']>;
  node: Scalars['String']['input'];
  to: Scalars['String']['input'];
  traceId?: InputMaybe<Scalars['String']['input']>;
};

export type Mutation = {
  __typename?: 'Mutation';
  /**
   * Internal: an address change of an order in flight, from the orders service: published to
   * the stages that subscribed (asynchronous) or sent and awaited (synchronous). Applied to
   * every shipment of the order this stage holds (queued, being worked on, or waiting in an
   * aggregation queue) and remembered for shipments still on their way here. Idempotent.
   * With dryRun, changes nothing and says what would happen.
   */
  applyPickingAddressChange: Array<ChangeOutcome>;
  /** Internal (orders): an order was cancelled; pull its shipments held here unless sealed for the carrier. Idempotent. */
  applyPickingCancellation: Array<StageCancellationOutcome>;
  /** Puts a shipment in its distribution centre's picking queue. Idempotent by shipmentId. */
  enqueueForPicking: StageShipment;
  /** Internal: the exceptions service asks to retry or cancel a shipment picking parked. */
  resolvePickingException: Scalars['Boolean']['output'];
};


export type MutationApplyPickingAddressChangeArgs = {
  change: AddressChangeInput;
  dryRun?: InputMaybe<Scalars['Boolean']['input']>;
};


export type MutationApplyPickingCancellationArgs = {
  cancellation: CancellationInput;
};


export type MutationEnqueueForPickingArgs = {
  shipment: ShipmentInput;
};


export type MutationResolvePickingExceptionArgs = {
  action: ExceptionAction;
  elementId: Scalars['ID']['input'];
  queue: Scalars['String']['input'];
};

/** Picking adds the picklists its shipments were picked on to the order. */
export type Order = {
  __typename?: 'Order';
  id: Scalars['ID']['output'];
  /** The picklists the order's shipments were picked on. Null only when the picking service could not be asked (an error names it). */
  picklists?: Maybe<Array<Picklist>>;
};

/** Where a page ends. A page's endCursor stays valid while rows are added: the next page repeats nothing and skips nothing. */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** The last edge's cursor; null on an empty page. */
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

/** Shipments of one distribution centre and shipping method, picked together. */
export type Picklist = {
  __typename?: 'Picklist';
  distributionCenter: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  reason: PicklistReason;
  releasedAt: Scalars['String']['output'];
  /** Every shipment batched on it, other customers' too: for the warehouse and support only. */
  shipmentIds: Array<Scalars['ID']['output']>;
  shippingMethod: Scalars['String']['output'];
};

/** A page of picklists, as every list of the graph pages (Relay connections). */
export type PicklistConnection = {
  __typename?: 'PicklistConnection';
  edges: Array<PicklistEdge>;
  pageInfo: PageInfo;
};

export type PicklistEdge = {
  __typename?: 'PicklistEdge';
  /** Pass as `after` to get what comes after this one. Opaque. */
  cursor: Scalars['String']['output'];
  node: Picklist;
};

export type PicklistReason =
  /** The batch reached its size. */
  | 'BATCH_FULL'
  /** The oldest shipment waited as long as it may. */
  | 'MAX_WAIT';

export type Query = {
  __typename?: 'Query';
  pickingQueue: QueueDepth;
  /** A shipment in picking's aggregation queue. */
  pickingShipment?: Maybe<StageShipment>;
  /** Released picklists, newest first; with distributionCenter, only that centre's. Page on with `after: pageInfo.endCursor`. */
  picklists: PicklistConnection;
};


export type QueryPickingShipmentArgs = {
  id: Scalars['ID']['input'];
};


export type QueryPicklistsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  distributionCenter?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

/** A queue's elements by status. Each is counted only when asked for. */
export type QueueDepth = {
  __typename?: 'QueueDepth';
  /** Finished since the queue began. Counting them reads every one, so it slows as the queue ages: a view that polls the backlog asks for the other three. One count runs at a time in a service, and its answer serves every caller for 30 s after, so it may be that old. */
  done: Scalars['Int']['output'];
  /** Parked, waiting for a person (see exceptions). */
  failed: Scalars['Int']['output'];
  /** Held by a worker now. */
  leased: Scalars['Int']['output'];
  /** Waiting for a worker. */
  ready: Scalars['Int']['output'];
};

export type ShipmentAddressInput = {
  city: Scalars['String']['input'];
  country: Scalars['String']['input'];
  line1: Scalars['String']['input'];
  line2?: InputMaybe<Scalars['String']['input']>;
  name: Scalars['String']['input'];
  postalCode: Scalars['String']['input'];
};

/** A shipment as it travels between stages: everything the next node needs. */
export type ShipmentInput = {
  address: ShipmentAddressInput;
  /** Which change of the order's address this is (0: as placed). */
  addressVersion?: InputMaybe<Scalars['Int']['input']>;
  distributionCenter: Scalars['String']['input'];
  /** The move that handed the shipment over: the node it reaches records it again, before its own move, so that tracking logs the two in order however late the sender's own record is. */
  handedOver?: InputMaybe<HandedOverInput>;
  lines: Array<ShipmentLineInput>;
  orderId: Scalars['ID']['input'];
  picklistId?: InputMaybe<Scalars['ID']['input']>;
  reservationId: Scalars['ID']['input'];
  shipmentId: Scalars['ID']['input'];
  shippingMethod: Scalars['String']['input'];
};

export type ShipmentLineInput = {
  bin: Scalars['String']['input'];
  quantity: Scalars['Int']['input'];
  sku: Scalars['String']['input'];
  title: Scalars['String']['input'];
  weightGrams: Scalars['Int']['input'];
};

/** What a cancellation did to one shipment held by a stage. */
export type StageCancellationOutcome = {
  __typename?: 'StageCancellationOutcome';
  detail?: Maybe<Scalars['String']['output']>;
  elementId: Scalars['ID']['output'];
  result: ChangeResult;
};

/** A shipment as a stage's queue holds it. */
export type StageShipment = {
  __typename?: 'StageShipment';
  attempts: Scalars['Int']['output'];
  lastError?: Maybe<Scalars['String']['output']>;
  orderId: Scalars['ID']['output'];
  shipmentId: Scalars['ID']['output'];
  status: StageStatus;
};

export type StageStatus =
  | 'CANCELLED'
  | 'DONE'
  | 'FAILED'
  | 'PROCESSING'
  | 'QUEUED';

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
  AddressChangeInput: AddressChangeInput;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  CancellationInput: CancellationInput;
  ChangeOutcome: ResolverTypeWrapper<ChangeOutcome>;
  ChangeResult: ChangeResult;
  ExceptionAction: ExceptionAction;
  HandedOverInput: HandedOverInput;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  Order: ResolverTypeWrapper<OrderRef>;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Picklist: ResolverTypeWrapper<PicklistDoc>;
  PicklistConnection: ResolverTypeWrapper<Omit<PicklistConnection, 'edges'> & { edges: Array<ResolversTypes['PicklistEdge']> }>;
  PicklistEdge: ResolverTypeWrapper<Omit<PicklistEdge, 'node'> & { node: ResolversTypes['Picklist'] }>;
  PicklistReason: PicklistReason;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  QueueDepth: ResolverTypeWrapper<QueueCounts>;
  ShipmentAddressInput: ShipmentAddressInput;
  ShipmentInput: ShipmentInput;
  ShipmentLineInput: ShipmentLineInput;
  StageCancellationOutcome: ResolverTypeWrapper<StageCancellationOutcome>;
  StageShipment: ResolverTypeWrapper<ShipmentItem>;
  StageStatus: StageStatus;
}>;

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = ResolversObject<{
  AddressChangeInput: AddressChangeInput;
  ID: Scalars['ID']['output'];
  String: Scalars['String']['output'];
  Int: Scalars['Int']['output'];
  CancellationInput: CancellationInput;
  ChangeOutcome: ChangeOutcome;
  HandedOverInput: HandedOverInput;
  Mutation: Record<PropertyKey, never>;
  Boolean: Scalars['Boolean']['output'];
  Order: OrderRef;
  PageInfo: PageInfo;
  Picklist: PicklistDoc;
  PicklistConnection: Omit<PicklistConnection, 'edges'> & { edges: Array<ResolversParentTypes['PicklistEdge']> };
  PicklistEdge: Omit<PicklistEdge, 'node'> & { node: ResolversParentTypes['Picklist'] };
  Query: Record<PropertyKey, never>;
  QueueDepth: QueueCounts;
  ShipmentAddressInput: ShipmentAddressInput;
  ShipmentInput: ShipmentInput;
  ShipmentLineInput: ShipmentLineInput;
  StageCancellationOutcome: StageCancellationOutcome;
  StageShipment: ShipmentItem;
}>;

export type ChangeOutcomeResolvers<ContextType = Context, ParentType extends ResolversParentTypes['ChangeOutcome'] = ResolversParentTypes['ChangeOutcome']> = ResolversObject<{
  at?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  detail?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  elementId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  fromVersion?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  result?: Resolver<ResolversTypes['ChangeResult'], ParentType, ContextType>;
}>;

export type MutationResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = ResolversObject<{
  applyPickingAddressChange?: Resolver<Array<ResolversTypes['ChangeOutcome']>, ParentType, ContextType, RequireFields<MutationApplyPickingAddressChangeArgs, 'change' | 'dryRun'>>;
  applyPickingCancellation?: Resolver<Array<ResolversTypes['StageCancellationOutcome']>, ParentType, ContextType, RequireFields<MutationApplyPickingCancellationArgs, 'cancellation'>>;
  enqueueForPicking?: Resolver<ResolversTypes['StageShipment'], ParentType, ContextType, RequireFields<MutationEnqueueForPickingArgs, 'shipment'>>;
  resolvePickingException?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationResolvePickingExceptionArgs, 'action' | 'elementId' | 'queue'>>;
}>;

export type OrderResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Order'] = ResolversParentTypes['Order'], FederationReferenceType extends FederationReferenceTypes['Order'] = FederationReferenceTypes['Order']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Order']> | FederationReferenceType, FederationReferenceType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  picklists?: Resolver<Maybe<Array<ResolversTypes['Picklist']>>, ParentType, ContextType>;
}>;

export type PageInfoResolvers<ContextType = Context, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = ResolversObject<{
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
}>;

export type PicklistResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Picklist'] = ResolversParentTypes['Picklist']> = ResolversObject<{
  distributionCenter?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  reason?: Resolver<ResolversTypes['PicklistReason'], ParentType, ContextType>;
  releasedAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  shipmentIds?: Resolver<Array<ResolversTypes['ID']>, ParentType, ContextType>;
  shippingMethod?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type PicklistConnectionResolvers<ContextType = Context, ParentType extends ResolversParentTypes['PicklistConnection'] = ResolversParentTypes['PicklistConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['PicklistEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type PicklistEdgeResolvers<ContextType = Context, ParentType extends ResolversParentTypes['PicklistEdge'] = ResolversParentTypes['PicklistEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Picklist'], ParentType, ContextType>;
}>;

export type QueryResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = ResolversObject<{
  pickingQueue?: Resolver<ResolversTypes['QueueDepth'], ParentType, ContextType>;
  pickingShipment?: Resolver<Maybe<ResolversTypes['StageShipment']>, ParentType, ContextType, RequireFields<QueryPickingShipmentArgs, 'id'>>;
  picklists?: Resolver<ResolversTypes['PicklistConnection'], ParentType, ContextType, RequireFields<QueryPicklistsArgs, 'first'>>;
}>;

export type QueueDepthResolvers<ContextType = Context, ParentType extends ResolversParentTypes['QueueDepth'] = ResolversParentTypes['QueueDepth']> = ResolversObject<{
  done?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  failed?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  leased?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  ready?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type StageCancellationOutcomeResolvers<ContextType = Context, ParentType extends ResolversParentTypes['StageCancellationOutcome'] = ResolversParentTypes['StageCancellationOutcome']> = ResolversObject<{
  detail?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  elementId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  result?: Resolver<ResolversTypes['ChangeResult'], ParentType, ContextType>;
}>;

export type StageShipmentResolvers<ContextType = Context, ParentType extends ResolversParentTypes['StageShipment'] = ResolversParentTypes['StageShipment']> = ResolversObject<{
  attempts?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  lastError?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  orderId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  shipmentId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['StageStatus'], ParentType, ContextType>;
}>;

export type Resolvers<ContextType = Context> = ResolversObject<{
  ChangeOutcome?: ChangeOutcomeResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  Order?: OrderResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Picklist?: PicklistResolvers<ContextType>;
  PicklistConnection?: PicklistConnectionResolvers<ContextType>;
  PicklistEdge?: PicklistEdgeResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  QueueDepth?: QueueDepthResolvers<ContextType>;
  StageCancellationOutcome?: StageCancellationOutcomeResolvers<ContextType>;
  StageShipment?: StageShipmentResolvers<ContextType>;
}>;

