import type { GraphQLResolveInfo } from 'graphql';
import type { ChargeRequestItem, ChargeDoc, RefundItem, MoneyDoc, OrderRef } from '../store.ts';
import type { OutboxMessage, QueueCounts } from '../../../kit/queue.ts';
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

export type Authorization = {
  __typename?: 'Authorization';
  approved: Scalars['Boolean']['output'];
  declineReason?: Maybe<Scalars['String']['output']>;
};

export type AuthorizeInput = {
  amount: MoneyInput;
  card: PaymentCardInput;
};

export type Charge = {
  __typename?: 'Charge';
  amount: Money;
  chargedAt: Scalars['String']['output'];
  declineReason?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  outcome: ChargeOutcome;
  requestId: Scalars['ID']['output'];
};

export type ChargeOutcome =
  | 'APPROVED'
  | 'DECLINED';

export type ChargeRequest = {
  __typename?: 'ChargeRequest';
  attempts: Scalars['Int']['output'];
  callbackUrl?: Maybe<Scalars['String']['output']>;
  /** Set once the request is COMPLETED. */
  charge?: Maybe<Charge>;
  /** Whether the result reached the requester's callback or queue (the outbox's view). */
  deliveries: Array<ResultDelivery>;
  id: Scalars['ID']['output'];
  /** Why the last failed attempt failed; kept once a later attempt succeeds, to say why it took `attempts` tries. Null if none failed. */
  lastError?: Maybe<Scalars['String']['output']>;
  replyTo?: Maybe<Scalars['String']['output']>;
  status: ChargeRequestStatus;
};

export type ChargeRequestInput = {
  amount: MoneyInput;
  callbackUrl?: InputMaybe<Scalars['String']['input']>;
  card: PaymentCardInput;
  orderId?: InputMaybe<Scalars['ID']['input']>;
  replyTo?: InputMaybe<Scalars['String']['input']>;
  requestId: Scalars['ID']['input'];
};

export type ChargeRequestStatus =
  | 'CANCELLED'
  | 'COMPLETED'
  | 'FAILED'
  | 'PROCESSING'
  | 'QUEUED';

export type ExceptionAction =
  | 'CANCEL'
  | 'RETRY';

export type Money = {
  __typename?: 'Money';
  amount: Scalars['Int']['output'];
  currency: Scalars['String']['output'];
};

export type MoneyInput = {
  amount: Scalars['Int']['input'];
  currency: Scalars['String']['input'];
};

export type Mutation = {
  __typename?: 'Mutation';
  /** Synchronous: asks the processor at once whether the card can be charged this amount. Nothing is captured. The processor not answering in time is DEPENDENCY_UNAVAILABLE: ask again. */
  authorize: Authorization;
  /**
   * Asynchronous: answers at once with the request (status QUEUED); a payments worker
   * charges later. Idempotent by requestId: asking twice charges once; the same requestId
   * with another amount, card or destination is a CONFLICT. The result can be
   * polled (chargeRequest), posted to callbackUrl, or published to the requester's
   * persistent queue named in replyTo ("<service>.<queue>", e.g. "orders.charge-results"), which
   * only that service may name (FORBIDDEN for anyone else, who polls or gives a callbackUrl).
   * requestIds that start "<order id>:charge:" (in any case or spacing) are the orders service's own.
   */
  requestCharge: ChargeRequest;
  /**
   * Internal (orders): refund what was charged for what will not ship. Asynchronous: answers at
   * once with the refund QUEUED; a payments worker refunds it through the processor, retrying
   * transient failures and parking it in exceptions when it keeps failing. Idempotent by refundId:
   * asking twice refunds once; the same refundId with another charge or amount is a CONFLICT.
   */
  requestRefund: Refund;
  /** Internal: the exceptions service asks to retry or cancel a charge request payments parked. */
  resolvePaymentsException: Scalars['Boolean']['output'];
  /** Puts a FAILED charge request back in the queue. */
  retryChargeRequest?: Maybe<ChargeRequest>;
  /**
   * Internal: orders cancelled the order of a charge request not yet charged. A request waiting (or
   * parked, its exception then closed with `reason`) is cancelled; one being charged is left to
   * finish (its result reaches orders, which pays a charge on a cancelled order back), and
   * DEPENDENCY_UNAVAILABLE says to ask again. A request parked after the processor charged all the
   * same sends orders that charge's result too. `reason`: readable text of up to 500 characters.
   * Idempotent; true also for a request done or not here.
   */
  withdrawCharge: Scalars['Boolean']['output'];
};


export type MutationAuthorizeArgs = {
  input: AuthorizeInput;
};


export type MutationRequestChargeArgs = {
  input: ChargeRequestInput;
};


export type MutationRequestRefundArgs = {
  input: RefundRequestInput;
};


export type MutationResolvePaymentsExceptionArgs = {
  action: ExceptionAction;
  elementId: Scalars['ID']['input'];
  queue: Scalars['String']['input'];
};


export type MutationRetryChargeRequestArgs = {
  id: Scalars['ID']['input'];
};


export type MutationWithdrawChargeArgs = {
  reason: Scalars['String']['input'];
  requestId: Scalars['ID']['input'];
};

/** Any caller can use payments; orders is one of them. Payments adds the charge to an order (money: not for the warehouse). */
export type Order = {
  __typename?: 'Order';
  /** The order's charge: the latest the order asked for (a retried card makes another), if any. Charges a person made naming the order (requestCharge with its orderId) are not it. */
  charge?: Maybe<Charge>;
  id: Scalars['ID']['output'];
  /** Refunds of this order's charge, oldest first, each with its state. Null only when the payments service could not be asked (an error names it). */
  refunds?: Maybe<Array<Refund>>;
};

/** The card as a token plus what the processor needs; never a card number. */
export type PaymentCardInput = {
  expMonth: Scalars['Int']['input'];
  expYear: Scalars['Int']['input'];
  last4: Scalars['String']['input'];
  token: Scalars['String']['input'];
};

/** A transition another node told tracking, as tracking takes it (its `TransitionInput`). */
export type PriorTransitionInput = {
  at: Scalars['String']['input'];
  detail?: InputMaybe<Scalars['String']['input']>;
  elementId: Scalars['ID']['input'];
  elementType: Scalars['String']['input'];
  from?: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
  node: Scalars['String']['input'];
  orderId?: InputMaybe<Scalars['ID']['input']>;
  to: Scalars['String']['input'];
  traceId?: InputMaybe<Scalars['String']['input']>;
};

export type Query = {
  __typename?: 'Query';
  /** How many charge requests are in each state (watch the stage's backlog). */
  chargeQueue: QueueDepth;
  /** An asynchronous charge request: poll it until its status is COMPLETED (or FAILED). */
  chargeRequest?: Maybe<ChargeRequest>;
};


export type QueryChargeRequestArgs = {
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

/** Money going back to the card charged, for what did not ship. */
export type Refund = {
  __typename?: 'Refund';
  amount: Money;
  attempts: Scalars['Int']['output'];
  /** The charge it pays back. */
  chargeId: Scalars['ID']['output'];
  id: Scalars['ID']['output'];
  /** Why the last failed attempt failed; kept once a later attempt succeeds, to say why it took `attempts` tries. Null if none failed. For staff: it is the failing step's own text, which can name internal services. */
  lastError?: Maybe<Scalars['String']['output']>;
  reason: Scalars['String']['output'];
  /** Set once REFUNDED. */
  refundedAt?: Maybe<Scalars['String']['output']>;
  requestedAt: Scalars['String']['output'];
  status: RefundStatus;
};

export type RefundRequestInput = {
  /**
   * What the refund follows (the order's cancellation, and the moves before it), as the order told
   * tracking of them: payments tells them again, ahead of the refund's own moves, so that whoever
   * follows the order never sees it refunded before it was cancelled, whichever message reaches
   * tracking first (after tracking was down, say). Each of the refund's order (`orderId`) and one
   * of its elements (named after it), its id its element's; at most
   * 500, and 256 KB as JSON; kept as the first request gave them.
   */
  after?: InputMaybe<Array<PriorTransitionInput>>;
  amount: MoneyInput;
  chargeId: Scalars['ID']['input'];
  orderId?: InputMaybe<Scalars['ID']['input']>;
  reason: Scalars['String']['input'];
  refundId: Scalars['ID']['input'];
};

export type RefundStatus =
  /** Given up on from exceptions. */
  | 'CANCELLED'
  /** Kept failing, or the processor refused it: parked in exceptions for a person. */
  | 'FAILED'
  | 'PROCESSING'
  /** Waiting for a payments worker (again after a transient failure). */
  | 'QUEUED'
  /** Paid back to the card. */
  | 'REFUNDED';

export type ResultDelivery = {
  __typename?: 'ResultDelivery';
  /** True when delivery was given up (a callback target that stayed down). */
  abandoned: Scalars['Boolean']['output'];
  attempts: Scalars['Int']['output'];
  delivered: Scalars['Boolean']['output'];
  lastError?: Maybe<Scalars['String']['output']>;
  target: Scalars['String']['output'];
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
  Authorization: ResolverTypeWrapper<Authorization>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  AuthorizeInput: AuthorizeInput;
  Charge: ResolverTypeWrapper<ChargeDoc>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  ChargeOutcome: ChargeOutcome;
  ChargeRequest: ResolverTypeWrapper<ChargeRequestItem>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  ChargeRequestInput: ChargeRequestInput;
  ChargeRequestStatus: ChargeRequestStatus;
  ExceptionAction: ExceptionAction;
  Money: ResolverTypeWrapper<MoneyDoc>;
  MoneyInput: MoneyInput;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Order: ResolverTypeWrapper<OrderRef>;
  PaymentCardInput: PaymentCardInput;
  PriorTransitionInput: PriorTransitionInput;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  QueueDepth: ResolverTypeWrapper<QueueCounts>;
  Refund: ResolverTypeWrapper<RefundItem>;
  RefundRequestInput: RefundRequestInput;
  RefundStatus: RefundStatus;
  ResultDelivery: ResolverTypeWrapper<OutboxMessage>;
}>;

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = ResolversObject<{
  Authorization: Authorization;
  Boolean: Scalars['Boolean']['output'];
  String: Scalars['String']['output'];
  AuthorizeInput: AuthorizeInput;
  Charge: ChargeDoc;
  ID: Scalars['ID']['output'];
  ChargeRequest: ChargeRequestItem;
  Int: Scalars['Int']['output'];
  ChargeRequestInput: ChargeRequestInput;
  Money: MoneyDoc;
  MoneyInput: MoneyInput;
  Mutation: Record<PropertyKey, never>;
  Order: OrderRef;
  PaymentCardInput: PaymentCardInput;
  PriorTransitionInput: PriorTransitionInput;
  Query: Record<PropertyKey, never>;
  QueueDepth: QueueCounts;
  Refund: RefundItem;
  RefundRequestInput: RefundRequestInput;
  ResultDelivery: OutboxMessage;
}>;

export type AuthorizationResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Authorization'] = ResolversParentTypes['Authorization']> = ResolversObject<{
  approved?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  declineReason?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
}>;

export type ChargeResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Charge'] = ResolversParentTypes['Charge']> = ResolversObject<{
  amount?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  chargedAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  declineReason?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  outcome?: Resolver<ResolversTypes['ChargeOutcome'], ParentType, ContextType>;
  requestId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
}>;

export type ChargeRequestResolvers<ContextType = Context, ParentType extends ResolversParentTypes['ChargeRequest'] = ResolversParentTypes['ChargeRequest']> = ResolversObject<{
  attempts?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  callbackUrl?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  charge?: Resolver<Maybe<ResolversTypes['Charge']>, ParentType, ContextType>;
  deliveries?: Resolver<Array<ResolversTypes['ResultDelivery']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastError?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  replyTo?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ChargeRequestStatus'], ParentType, ContextType>;
}>;

export type MoneyResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Money'] = ResolversParentTypes['Money']> = ResolversObject<{
  amount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  currency?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type MutationResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = ResolversObject<{
  authorize?: Resolver<ResolversTypes['Authorization'], ParentType, ContextType, RequireFields<MutationAuthorizeArgs, 'input'>>;
  requestCharge?: Resolver<ResolversTypes['ChargeRequest'], ParentType, ContextType, RequireFields<MutationRequestChargeArgs, 'input'>>;
  requestRefund?: Resolver<ResolversTypes['Refund'], ParentType, ContextType, RequireFields<MutationRequestRefundArgs, 'input'>>;
  resolvePaymentsException?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationResolvePaymentsExceptionArgs, 'action' | 'elementId' | 'queue'>>;
  retryChargeRequest?: Resolver<Maybe<ResolversTypes['ChargeRequest']>, ParentType, ContextType, RequireFields<MutationRetryChargeRequestArgs, 'id'>>;
  withdrawCharge?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationWithdrawChargeArgs, 'reason' | 'requestId'>>;
}>;

export type OrderResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Order'] = ResolversParentTypes['Order'], FederationReferenceType extends FederationReferenceTypes['Order'] = FederationReferenceTypes['Order']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Order']> | FederationReferenceType, FederationReferenceType, ContextType>;
  charge?: Resolver<Maybe<ResolversTypes['Charge']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  refunds?: Resolver<Maybe<Array<ResolversTypes['Refund']>>, ParentType, ContextType>;
}>;

export type QueryResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = ResolversObject<{
  chargeQueue?: Resolver<ResolversTypes['QueueDepth'], ParentType, ContextType>;
  chargeRequest?: Resolver<Maybe<ResolversTypes['ChargeRequest']>, ParentType, ContextType, RequireFields<QueryChargeRequestArgs, 'id'>>;
}>;

export type QueueDepthResolvers<ContextType = Context, ParentType extends ResolversParentTypes['QueueDepth'] = ResolversParentTypes['QueueDepth']> = ResolversObject<{
  done?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  failed?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  leased?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  ready?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type RefundResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Refund'] = ResolversParentTypes['Refund']> = ResolversObject<{
  amount?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  attempts?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  chargeId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastError?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  reason?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  refundedAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  requestedAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['RefundStatus'], ParentType, ContextType>;
}>;

export type ResultDeliveryResolvers<ContextType = Context, ParentType extends ResolversParentTypes['ResultDelivery'] = ResolversParentTypes['ResultDelivery']> = ResolversObject<{
  abandoned?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  attempts?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  delivered?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  lastError?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  target?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type Resolvers<ContextType = Context> = ResolversObject<{
  Authorization?: AuthorizationResolvers<ContextType>;
  Charge?: ChargeResolvers<ContextType>;
  ChargeRequest?: ChargeRequestResolvers<ContextType>;
  Money?: MoneyResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  Order?: OrderResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  QueueDepth?: QueueDepthResolvers<ContextType>;
  Refund?: RefundResolvers<ContextType>;
  ResultDelivery?: ResultDeliveryResolvers<ContextType>;
}>;

