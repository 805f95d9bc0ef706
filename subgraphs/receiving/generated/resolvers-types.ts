import type { GraphQLResolveInfo } from 'graphql';
import type { ReceiptItem } from '../store.ts';
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

export type ExceptionAction =
  | 'CANCEL'
  | 'RETRY';

export type Mutation = {
  __typename?: 'Mutation';
  /**
   * Records items received from a distributor. Receipts are a sequential queue: they
   * are processed strictly in arrival order, each adding its units to inventory through
   * the inventory service. Idempotent by receiptId: the same receipt again answers the one
   * recorded; other content under a recorded receiptId is a CONFLICT. An unknown sku or vendor
   * is NOT_FOUND, an unknown distribution centre BAD_USER_INPUT; nothing is recorded then.
   * A receipt that would take its bin over the maximum of 2147483647 units, with what the bin holds
   * and what receipts taken before it will add, is BAD_USER_INPUT (a parked one holds up every
   * receipt behind it). One inventory still refuses when it comes up goes to exceptions: the bin
   * was filled by other means meanwhile (adjustStock), another receiving process took a receipt
   * for the same bin at the same moment, or inventory could not be asked when it arrived (receipts
   * are taken while inventory is down).
   */
  receiveItems: Receipt;
  /** Internal: the exceptions service asks to retry or cancel a receipt receiving parked. */
  resolveReceivingException: Scalars['Boolean']['output'];
};


export type MutationReceiveItemsArgs = {
  input: ReceiveItemsInput;
};


export type MutationResolveReceivingExceptionArgs = {
  action: ExceptionAction;
  elementId: Scalars['ID']['input'];
  queue: Scalars['String']['input'];
};

/** Where a page ends. A page's endCursor stays valid while rows are added: the next page repeats nothing and skips nothing. */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** The last edge's cursor; null on an empty page. */
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

export type Query = {
  __typename?: 'Query';
  receipt?: Maybe<Receipt>;
  /** Receipts, most recently arrived first (they are processed oldest first). Page on with `after: pageInfo.endCursor`. */
  receipts: ReceiptConnection;
  receivingQueue: QueueDepth;
};


export type QueryReceiptArgs = {
  id: Scalars['ID']['input'];
};


export type QueryReceiptsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
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

export type Receipt = {
  __typename?: 'Receipt';
  attempts: Scalars['Int']['output'];
  bin: Scalars['String']['output'];
  distributionCenter: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  lastError?: Maybe<Scalars['String']['output']>;
  /** When inventory was increased (status DONE). */
  processedAt?: Maybe<Scalars['String']['output']>;
  quantity: Scalars['Int']['output'];
  receivedAt: Scalars['String']['output'];
  sku: Scalars['String']['output'];
  status: StageStatus;
  vendorId?: Maybe<Scalars['ID']['output']>;
};

/** A page of receipts, as every list of the graph pages (Relay connections). */
export type ReceiptConnection = {
  __typename?: 'ReceiptConnection';
  edges: Array<ReceiptEdge>;
  pageInfo: PageInfo;
};

export type ReceiptEdge = {
  __typename?: 'ReceiptEdge';
  /** Pass as `after` to get what comes after this one. Opaque. */
  cursor: Scalars['String']['output'];
  node: Receipt;
};

export type ReceiveItemsInput = {
  bin: Scalars['String']['input'];
  distributionCenter: Scalars['String']['input'];
  quantity: Scalars['Int']['input'];
  receiptId: Scalars['ID']['input'];
  /** The return (Order.returns) these items are, when a customer sends a shipped line back: once they are stocked, orders has it refunded. */
  returnId?: InputMaybe<Scalars['ID']['input']>;
  sku: Scalars['String']['input'];
  vendorId?: InputMaybe<Scalars['ID']['input']>;
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
  ExceptionAction: ExceptionAction;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  QueueDepth: ResolverTypeWrapper<QueueCounts>;
  Receipt: ResolverTypeWrapper<ReceiptItem>;
  ReceiptConnection: ResolverTypeWrapper<Omit<ReceiptConnection, 'edges'> & { edges: Array<ResolversTypes['ReceiptEdge']> }>;
  ReceiptEdge: ResolverTypeWrapper<Omit<ReceiptEdge, 'node'> & { node: ResolversTypes['Receipt'] }>;
  ReceiveItemsInput: ReceiveItemsInput;
  StageStatus: StageStatus;
}>;

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = ResolversObject<{
  Mutation: Record<PropertyKey, never>;
  Boolean: Scalars['Boolean']['output'];
  ID: Scalars['ID']['output'];
  String: Scalars['String']['output'];
  PageInfo: PageInfo;
  Query: Record<PropertyKey, never>;
  Int: Scalars['Int']['output'];
  QueueDepth: QueueCounts;
  Receipt: ReceiptItem;
  ReceiptConnection: Omit<ReceiptConnection, 'edges'> & { edges: Array<ResolversParentTypes['ReceiptEdge']> };
  ReceiptEdge: Omit<ReceiptEdge, 'node'> & { node: ResolversParentTypes['Receipt'] };
  ReceiveItemsInput: ReceiveItemsInput;
}>;

export type MutationResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = ResolversObject<{
  receiveItems?: Resolver<ResolversTypes['Receipt'], ParentType, ContextType, RequireFields<MutationReceiveItemsArgs, 'input'>>;
  resolveReceivingException?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationResolveReceivingExceptionArgs, 'action' | 'elementId' | 'queue'>>;
}>;

export type PageInfoResolvers<ContextType = Context, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = ResolversObject<{
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
}>;

export type QueryResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = ResolversObject<{
  receipt?: Resolver<Maybe<ResolversTypes['Receipt']>, ParentType, ContextType, RequireFields<QueryReceiptArgs, 'id'>>;
  receipts?: Resolver<ResolversTypes['ReceiptConnection'], ParentType, ContextType, RequireFields<QueryReceiptsArgs, 'first'>>;
  receivingQueue?: Resolver<ResolversTypes['QueueDepth'], ParentType, ContextType>;
}>;

export type QueueDepthResolvers<ContextType = Context, ParentType extends ResolversParentTypes['QueueDepth'] = ResolversParentTypes['QueueDepth']> = ResolversObject<{
  done?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  failed?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  leased?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  ready?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type ReceiptResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Receipt'] = ResolversParentTypes['Receipt']> = ResolversObject<{
  attempts?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  bin?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  distributionCenter?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastError?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  processedAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  quantity?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  receivedAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  sku?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['StageStatus'], ParentType, ContextType>;
  vendorId?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
}>;

export type ReceiptConnectionResolvers<ContextType = Context, ParentType extends ResolversParentTypes['ReceiptConnection'] = ResolversParentTypes['ReceiptConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['ReceiptEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type ReceiptEdgeResolvers<ContextType = Context, ParentType extends ResolversParentTypes['ReceiptEdge'] = ResolversParentTypes['ReceiptEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Receipt'], ParentType, ContextType>;
}>;

export type Resolvers<ContextType = Context> = ResolversObject<{
  Mutation?: MutationResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  QueueDepth?: QueueDepthResolvers<ContextType>;
  Receipt?: ReceiptResolvers<ContextType>;
  ReceiptConnection?: ReceiptConnectionResolvers<ContextType>;
  ReceiptEdge?: ReceiptEdgeResolvers<ContextType>;
}>;

