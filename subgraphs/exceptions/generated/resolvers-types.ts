import type { GraphQLResolveInfo } from 'graphql';
import type { ExceptionDoc, OrderRef } from '../store.ts';
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

/** Why the owner of a parked element closes its raise (`closeException`). */
export type ExceptionClosedBecause =
  /** The order was cancelled while it waited: the exception reads CANCELLED. */
  | 'ORDER_CANCELLED'
  /** What it waited for came without a person (the customer paid again, stock came in), and the order went on: RESOLVED. */
  | 'WAIT_OVER';

export type ExceptionStatus =
  /** A person gave up on it, or its order was cancelled while it waited (`resolution` says so). */
  | 'CANCELLED'
  /** Waits for a person. */
  | 'OPEN'
  /** Closed without a person: what it waited for came by itself, and its order went on (`resolution` says what: the customer paid again, stock came in). */
  | 'RESOLVED'
  /** A person sent it back into its queue (or asked for a new charge). */
  | 'RETRIED';

export type Mutation = {
  __typename?: 'Mutation';
  /** Gives up on the element (the order is cancelled; for a hand-off its receiver refused, the hand-off, and the order where orders or a shipment stage handed it on). One whose order no longer waits on it (its customer paid again or cancelled it, its stock came in, it waits on a later attempt, it shipped) is not cancelled, and the cancel is `CONFLICT`: the exception closes as what moved the order says. `note` as for a retry. */
  cancelException: PipelineException;
  /** Internal: the owner of a parked element says nobody need act on this raise any more: its order was cancelled, or what it waited for came without a person (`because`). Idempotent; one that comes before its raise records the raise as closed. */
  closeException: PipelineException;
  /** Internal: a service parks an element here. Idempotent by occurrence. */
  raiseException: PipelineException;
  /** Sends the element back into its queue (or, for a declined card, asks for a new charge; for a hand-off its receiver refused, sends that again). `note` (up to 500 characters) says why, for the people who come after. */
  retryException: PipelineException;
};


export type MutationCancelExceptionArgs = {
  id: Scalars['ID']['input'];
  note?: InputMaybe<Scalars['String']['input']>;
};


export type MutationCloseExceptionArgs = {
  because?: InputMaybe<ExceptionClosedBecause>;
  input: RaiseExceptionInput;
  resolution: Scalars['String']['input'];
};


export type MutationRaiseExceptionArgs = {
  input: RaiseExceptionInput;
};


export type MutationRetryExceptionArgs = {
  id: Scalars['ID']['input'];
  note?: InputMaybe<Scalars['String']['input']>;
};

export type Order = {
  __typename?: 'Order';
  /** Exceptions this order has met, open ones first. Null only when the exceptions service could not be asked (an error names it). */
  exceptions?: Maybe<Array<PipelineException>>;
  id: Scalars['ID']['output'];
};

/** Where a page ends. A page's endCursor stays valid while rows are added: the next page repeats nothing and skips nothing. */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** The last edge's cursor; null on an empty page. */
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

/** An element that could not go on: a declined card, missing stock, a node that kept failing. */
export type PipelineException = {
  __typename?: 'PipelineException';
  elementId: Scalars['ID']['output'];
  id: Scalars['ID']['output'];
  /** What that person wrote when they acted; null if nothing. */
  note?: Maybe<Scalars['String']['output']>;
  /** How many times this element came here. */
  occurrences: Scalars['Int']['output'];
  order?: Maybe<Order>;
  queue: Scalars['String']['output'];
  raisedAt: Scalars['String']['output'];
  /**
   * Why the element stopped. Staff (support, warehouse, services) read it as the failing step said
   * it, which may name services and internal errors. A customer reads it only where it was written
   * for them (a declined card, missing stock); for any other failure, that the order is held up
   * there and staff have been told.
   */
  reason: Scalars['String']['output'];
  /** Why it was closed without a person acting on it (its order was cancelled meanwhile, or went on by itself: RESOLVED); null otherwise. */
  resolution?: Maybe<Scalars['String']['output']>;
  resolvedAt?: Maybe<Scalars['String']['output']>;
  /** Who retried or cancelled it (the subject of their token); null while nobody has, or when their action could not be carried out. With `resolution` also set, they retried it and the order was then cancelled while it still waited: that, not them, is why it reads CANCELLED. */
  resolvedBy?: Maybe<Scalars['String']['output']>;
  /** The service and queue that parked the element. */
  service: Scalars['String']['output'];
  status: ExceptionStatus;
};

/** A page of exceptions, as every list of the graph pages (Relay connections). */
export type PipelineExceptionConnection = {
  __typename?: 'PipelineExceptionConnection';
  edges: Array<PipelineExceptionEdge>;
  pageInfo: PageInfo;
};

export type PipelineExceptionEdge = {
  __typename?: 'PipelineExceptionEdge';
  /** Pass as `after` to get what comes after this one. Opaque. */
  cursor: Scalars['String']['output'];
  node: PipelineException;
};

export type Query = {
  __typename?: 'Query';
  /** Elements that failed and wait for a person (OPEN, unless `status` names another; `status: null` lists every status), most recently raised first. Page on with `after: pageInfo.endCursor`. */
  exceptions: PipelineExceptionConnection;
  pipelineException?: Maybe<PipelineException>;
};


export type QueryExceptionsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  service?: InputMaybe<Scalars['String']['input']>;
  status?: InputMaybe<ExceptionStatus>;
};


export type QueryPipelineExceptionArgs = {
  id: Scalars['ID']['input'];
};

export type RaiseExceptionInput = {
  /** The reason in words for the order's customer, where there are any; without it a customer reads that staff have been told. */
  customerReason?: InputMaybe<Scalars['String']['input']>;
  elementId: Scalars['ID']['input'];
  id: Scalars['ID']['input'];
  occurrence: Scalars['ID']['input'];
  orderId?: InputMaybe<Scalars['ID']['input']>;
  queue: Scalars['String']['input'];
  reason: Scalars['String']['input'];
  service: Scalars['String']['input'];
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
  ExceptionClosedBecause: ExceptionClosedBecause;
  ExceptionStatus: ExceptionStatus;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Order: ResolverTypeWrapper<OrderRef>;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  PipelineException: ResolverTypeWrapper<ExceptionDoc>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  PipelineExceptionConnection: ResolverTypeWrapper<Omit<PipelineExceptionConnection, 'edges'> & { edges: Array<ResolversTypes['PipelineExceptionEdge']> }>;
  PipelineExceptionEdge: ResolverTypeWrapper<Omit<PipelineExceptionEdge, 'node'> & { node: ResolversTypes['PipelineException'] }>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  RaiseExceptionInput: RaiseExceptionInput;
}>;

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = ResolversObject<{
  Mutation: Record<PropertyKey, never>;
  ID: Scalars['ID']['output'];
  String: Scalars['String']['output'];
  Order: OrderRef;
  PageInfo: PageInfo;
  Boolean: Scalars['Boolean']['output'];
  PipelineException: ExceptionDoc;
  Int: Scalars['Int']['output'];
  PipelineExceptionConnection: Omit<PipelineExceptionConnection, 'edges'> & { edges: Array<ResolversParentTypes['PipelineExceptionEdge']> };
  PipelineExceptionEdge: Omit<PipelineExceptionEdge, 'node'> & { node: ResolversParentTypes['PipelineException'] };
  Query: Record<PropertyKey, never>;
  RaiseExceptionInput: RaiseExceptionInput;
}>;

export type MutationResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = ResolversObject<{
  cancelException?: Resolver<ResolversTypes['PipelineException'], ParentType, ContextType, RequireFields<MutationCancelExceptionArgs, 'id'>>;
  closeException?: Resolver<ResolversTypes['PipelineException'], ParentType, ContextType, RequireFields<MutationCloseExceptionArgs, 'because' | 'input' | 'resolution'>>;
  raiseException?: Resolver<ResolversTypes['PipelineException'], ParentType, ContextType, RequireFields<MutationRaiseExceptionArgs, 'input'>>;
  retryException?: Resolver<ResolversTypes['PipelineException'], ParentType, ContextType, RequireFields<MutationRetryExceptionArgs, 'id'>>;
}>;

export type OrderResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Order'] = ResolversParentTypes['Order'], FederationReferenceType extends FederationReferenceTypes['Order'] = FederationReferenceTypes['Order']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Order']> | FederationReferenceType, FederationReferenceType, ContextType>;
  exceptions?: Resolver<Maybe<Array<ResolversTypes['PipelineException']>>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
}>;

export type PageInfoResolvers<ContextType = Context, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = ResolversObject<{
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
}>;

export type PipelineExceptionResolvers<ContextType = Context, ParentType extends ResolversParentTypes['PipelineException'] = ResolversParentTypes['PipelineException']> = ResolversObject<{
  elementId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  note?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  occurrences?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  order?: Resolver<Maybe<ResolversTypes['Order']>, ParentType, ContextType>;
  queue?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  raisedAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  reason?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  resolution?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  resolvedAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  resolvedBy?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  service?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ExceptionStatus'], ParentType, ContextType>;
}>;

export type PipelineExceptionConnectionResolvers<ContextType = Context, ParentType extends ResolversParentTypes['PipelineExceptionConnection'] = ResolversParentTypes['PipelineExceptionConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['PipelineExceptionEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type PipelineExceptionEdgeResolvers<ContextType = Context, ParentType extends ResolversParentTypes['PipelineExceptionEdge'] = ResolversParentTypes['PipelineExceptionEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['PipelineException'], ParentType, ContextType>;
}>;

export type QueryResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = ResolversObject<{
  exceptions?: Resolver<ResolversTypes['PipelineExceptionConnection'], ParentType, ContextType, RequireFields<QueryExceptionsArgs, 'first' | 'status'>>;
  pipelineException?: Resolver<Maybe<ResolversTypes['PipelineException']>, ParentType, ContextType, RequireFields<QueryPipelineExceptionArgs, 'id'>>;
}>;

export type Resolvers<ContextType = Context> = ResolversObject<{
  Mutation?: MutationResolvers<ContextType>;
  Order?: OrderResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  PipelineException?: PipelineExceptionResolvers<ContextType>;
  PipelineExceptionConnection?: PipelineExceptionConnectionResolvers<ContextType>;
  PipelineExceptionEdge?: PipelineExceptionEdgeResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
}>;

