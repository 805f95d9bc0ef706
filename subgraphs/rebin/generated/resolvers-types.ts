import type { GraphQLResolveInfo } from 'graphql';
import type { ShipmentItem } from '../store.ts';
import type { QueueCounts } from '../../../kit/queue.ts';
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
  applyRebinAddressChange: Array<ChangeOutcome>;
  /** Internal (orders): an order was cancelled; pull its shipments held here unless sealed for the carrier. Idempotent. */
  applyRebinCancellation: Array<StageCancellationOutcome>;
  /** Puts a shipment in rebin's queue. Idempotent by shipmentId. */
  enqueueForRebin: StageShipment;
  /** Internal: the exceptions service asks to retry or cancel a shipment rebin parked. */
  resolveRebinException: Scalars['Boolean']['output'];
};


export type MutationApplyRebinAddressChangeArgs = {
  change: AddressChangeInput;
  dryRun?: InputMaybe<Scalars['Boolean']['input']>;
};


export type MutationApplyRebinCancellationArgs = {
  cancellation: CancellationInput;
};


export type MutationEnqueueForRebinArgs = {
  shipment: ShipmentInput;
};


export type MutationResolveRebinExceptionArgs = {
  action: ExceptionAction;
  elementId: Scalars['ID']['input'];
  queue: Scalars['String']['input'];
};

export type Query = {
  __typename?: 'Query';
  rebinQueue: QueueDepth;
  /** A shipment in rebin's queue (multi-item shipments are consolidated here after picking). */
  rebinShipment?: Maybe<StageShipment>;
};


export type QueryRebinShipmentArgs = {
  id: Scalars['ID']['input'];
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
  applyRebinAddressChange?: Resolver<Array<ResolversTypes['ChangeOutcome']>, ParentType, ContextType, RequireFields<MutationApplyRebinAddressChangeArgs, 'change' | 'dryRun'>>;
  applyRebinCancellation?: Resolver<Array<ResolversTypes['StageCancellationOutcome']>, ParentType, ContextType, RequireFields<MutationApplyRebinCancellationArgs, 'cancellation'>>;
  enqueueForRebin?: Resolver<ResolversTypes['StageShipment'], ParentType, ContextType, RequireFields<MutationEnqueueForRebinArgs, 'shipment'>>;
  resolveRebinException?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationResolveRebinExceptionArgs, 'action' | 'elementId' | 'queue'>>;
}>;

export type QueryResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = ResolversObject<{
  rebinQueue?: Resolver<ResolversTypes['QueueDepth'], ParentType, ContextType>;
  rebinShipment?: Resolver<Maybe<ResolversTypes['StageShipment']>, ParentType, ContextType, RequireFields<QueryRebinShipmentArgs, 'id'>>;
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
  Query?: QueryResolvers<ContextType>;
  QueueDepth?: QueueDepthResolvers<ContextType>;
  StageCancellationOutcome?: StageCancellationOutcomeResolvers<ContextType>;
  StageShipment?: StageShipmentResolvers<ContextType>;
}>;

