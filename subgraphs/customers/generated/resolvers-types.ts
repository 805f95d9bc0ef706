import type { GraphQLResolveInfo } from 'graphql';
import type { CustomerDoc, AddressDoc, PaymentMethodDoc } from '../store.ts';
import type { ReplicationStatusView, LogPage } from '../replication.ts';
import type { LogEntry } from '../replication-store.ts';
import type { WriteResult } from '../writes.ts';
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

/**
 * The name 1 to 200 characters on one line (it is printed on every label of the customer's
 * orders: no line breaks, control characters, text-direction overrides or invisible characters);
 * the email an address of up to 254 characters with nothing invisible in it, stored in lower case.
 * Anything else is BAD_USER_INPUT.
 */
export type AddCustomerInput = {
  address?: InputMaybe<AddressInput>;
  email: Scalars['String']['input'];
  homeRegion: Region;
  name: Scalars['String']['input'];
};

export type Address = {
  __typename?: 'Address';
  city: Scalars['String']['output'];
  /** ISO 3166-1 alpha-2 country code, for example GB. */
  country: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  line1: Scalars['String']['output'];
  line2?: Maybe<Scalars['String']['output']>;
  postalCode: Scalars['String']['output'];
};

/**
 * Lines and city up to 200 characters, a postal code up to 20, each one line: no line breaks of
 * any kind, tabs, other control characters, text-direction overrides or invisible characters, nor,
 * in a line without right-to-left letters, right-to-left marks or signs (they print on labels, and
 * would print it in another order). Country an
 * existing ISO 3166-1 alpha-2 code (any case: stored in upper case). Anything else is BAD_USER_INPUT.
 */
export type AddressInput = {
  city: Scalars['String']['input'];
  country: Scalars['String']['input'];
  line1: Scalars['String']['input'];
  line2?: InputMaybe<Scalars['String']['input']>;
  postalCode: Scalars['String']['input'];
};

export type CardBrand =
  | 'AMEX'
  | 'MASTERCARD'
  | 'OTHER'
  | 'VISA';

/** A person who places orders. Owned by the customers service. */
export type Customer = {
  __typename?: 'Customer';
  addresses: Array<Address>;
  createdAt: Scalars['String']['output'];
  email: Scalars['String']['output'];
  /** The region the customer lives in and is served from (every region's copy holds every customer; the home copy is authoritative). */
  homeRegion: Region;
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  paymentMethods: Array<PaymentMethod>;
  /** On a regional replica: when this version arrived from the home copy. Null on the home copy. */
  replicatedAt?: Maybe<Scalars['String']['output']>;
  /**
   * Writes made at this regional copy for this customer that the home copy has not confirmed yet:
   * 0 on the home copy, and once home has them. Above 0, the customer reads as those writes will
   * make it, and home may still refuse one (it then counts in replicationStatus.rejectedWrites).
   * A frontend shows such a change as saved here, not yet everywhere.
   */
  unconfirmedWrites: Scalars['Int']['output'];
  /**
   * How many changes the customer has had. A regional copy showing the same version as
   * the home copy holds the same customer (a write answered while it is still queued for the
   * home copy shows the version before it).
   */
  version: Scalars['Int']['output'];
};

export type CustomerConnection = {
  __typename?: 'CustomerConnection';
  edges: Array<CustomerEdge>;
  pageInfo: PageInfo;
};

export type CustomerEdge = {
  __typename?: 'CustomerEdge';
  /** Pass as `after` to get what comes after this customer. Opaque. */
  cursor: Scalars['String']['output'];
  node: Customer;
};

export type Mutation = {
  __typename?: 'Mutation';
  /**
   * Adds an address to the customer's. With an idempotencyKey (up to 100 characters, the
   * customer's own: other customers' keys never clash with it), a retry adds it once and returns
   * the customer; the same key with a different address is CONFLICT. A customer keeps at most 50
   * addresses: a 51st is CONFLICT.
   */
  addAddress: Customer;
  /**
   * Adds a customer. With an idempotencyKey (up to 100 characters, the caller's own), a retry
   * returns the customer the first attempt added; the same key with another name, email, home
   * region or address is CONFLICT. Without one, a retry is CONFLICT on the email.
   */
  addCustomer: Customer;
  /**
   * Stores a card as the processor would: a token, the brand, the last four digits
   * and the expiry. The full number is used once to derive those and is never stored or logged.
   * With an idempotencyKey (as for addAddress), a retry stores the card once and returns the
   * customer; the same key with a card of another brand, last four digits or expiry is CONFLICT.
   * A customer keeps at most 20 cards: a 21st is CONFLICT.
   */
  addPaymentMethod: Customer;
  /**
   * Internal (home copy only): writes made at a regional replica, applied in the order
   * given, each once however often it is sent. Only the replica of `region` may send them
   * (FORBIDDEN otherwise). Hidden from gateway clients.
   */
  applyWrites: Array<WriteOutcome>;
};


export type MutationAddAddressArgs = {
  customerId: Scalars['ID']['input'];
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  input: AddressInput;
};


export type MutationAddCustomerArgs = {
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  input: AddCustomerInput;
};


export type MutationAddPaymentMethodArgs = {
  customerId: Scalars['ID']['input'];
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  input: PaymentMethodInput;
};


export type MutationApplyWritesArgs = {
  region: Region;
  writes: Array<ReplicatedWrite>;
};

/** Where a page ends. A page's endCursor stays valid while rows are added: the next page repeats nothing and skips nothing. */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** The last edge's cursor; null on an empty page. */
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

export type PaymentMethod = {
  __typename?: 'PaymentMethod';
  brand: CardBrand;
  expMonth: Scalars['Int']['output'];
  expYear: Scalars['Int']['output'];
  /** True once the card's expiry month has passed. */
  expired: Scalars['Boolean']['output'];
  id: Scalars['ID']['output'];
  last4: Scalars['String']['output'];
  /**
   * Opaque token the payment processor charges; never a card number. Hidden from
   * gateway clients: only services that call this subgraph directly (orders) can read it.
   */
  token: Scalars['String']['output'];
};

export type PaymentMethodInput = {
  cardNumber: Scalars['String']['input'];
  expMonth: Scalars['Int']['input'];
  expYear: Scalars['Int']['input'];
};

export type Query = {
  __typename?: 'Query';
  /** One customer, or null when no customer has this id. A malformed id fails with BAD_USER_INPUT. */
  customer?: Maybe<Customer>;
  /** Customers, newest first (ties by id). Page on with `after: pageInfo.endCursor`. */
  customers: CustomerConnection;
  /**
   * Internal (home copy only): the replication log, the entries after \`after\` in order.
   * Regional replicas follow it; no other caller may read it (FORBIDDEN). Hidden from gateway clients.
   */
  replicationLog: ReplicationLogPage;
  /**
   * How this copy of the customer domain stands: the region it serves, whether it is the
   * home copy or a regional replica, and, for a replica, how far it is behind home and how
   * many writes made here still wait to reach home.
   */
  replicationStatus: ReplicationStatus;
};


export type QueryCustomerArgs = {
  id: Scalars['ID']['input'];
};


export type QueryCustomersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


export type QueryReplicationLogArgs = {
  after: Scalars['Int']['input'];
  first?: InputMaybe<Scalars['Int']['input']>;
};

/** Regions that hold a copy of the customer domain. */
export type Region =
  | 'DE'
  | 'UK'
  | 'US';

export type ReplicaRole =
  /** The authoritative copy: every write is applied here first, in one order. */
  | 'HOME'
  /** A regional copy: reads are local, writes are sent on to the home copy. */
  | 'REPLICA';

export type ReplicatedAddress = {
  city: Scalars['String']['input'];
  country: Scalars['String']['input'];
  id: Scalars['ID']['input'];
  line1: Scalars['String']['input'];
  line2?: InputMaybe<Scalars['String']['input']>;
  postalCode: Scalars['String']['input'];
};

export type ReplicatedCustomer = {
  addresses: Array<ReplicatedAddress>;
  createdAt: Scalars['String']['input'];
  email: Scalars['String']['input'];
  homeRegion: Region;
  name: Scalars['String']['input'];
};

export type ReplicatedPaymentMethod = {
  brand: CardBrand;
  expMonth: Scalars['Int']['input'];
  expYear: Scalars['Int']['input'];
  id: Scalars['ID']['input'];
  last4: Scalars['String']['input'];
  token: Scalars['String']['input'];
};

/** A write made at a regional copy, with every id chosen there; cards travel as tokens, never numbers. */
export type ReplicatedWrite = {
  address?: InputMaybe<ReplicatedAddress>;
  at: Scalars['String']['input'];
  customer?: InputMaybe<ReplicatedCustomer>;
  customerId: Scalars['ID']['input'];
  kind: WriteKind;
  paymentMethod?: InputMaybe<ReplicatedPaymentMethod>;
  writeId: Scalars['ID']['input'];
};

/** One change: the whole customer at one version. */
export type ReplicationEntry = {
  __typename?: 'ReplicationEntry';
  at: Scalars['String']['output'];
  customer: Customer;
  region: Region;
  seq: Scalars['Int']['output'];
  writeId?: Maybe<Scalars['ID']['output']>;
};

export type ReplicationLogPage = {
  __typename?: 'ReplicationLogPage';
  entries: Array<ReplicationEntry>;
  /** When the newest entry was logged. */
  headAt?: Maybe<Scalars['String']['output']>;
  /** The newest entry of the log. */
  headSeq: Scalars['Int']['output'];
};

export type ReplicationStatus = {
  __typename?: 'ReplicationStatus';
  /** The newest entry of the home copy's replication log this copy has applied. */
  appliedSeq: Scalars['Int']['output'];
  homeReachable: Scalars['Boolean']['output'];
  /** The newest entry the home copy had when it last answered. */
  homeSeq: Scalars['Int']['output'];
  /** homeSeq - appliedSeq: changes this copy has not applied yet (as of the last contact). */
  lagEntries: Scalars['Int']['output'];
  /**
   * How far behind this copy may be, in milliseconds: at most the age of the oldest change
   * not applied yet (by the home copy's clock), or, while the home copy cannot be reached,
   * the time since it last answered. Always 0 on the home copy.
   */
  lagMs: Scalars['Int']['output'];
  /** When the home copy last answered this copy (ISO 8601); null if it never has. */
  lastContactAt?: Maybe<Scalars['String']['output']>;
  /** Writes made at this copy that the home copy has not confirmed yet. */
  pendingWrites: Scalars['Int']['output'];
  region: Region;
  /** Writes the home copy refused for a reason (for example an email already taken elsewhere). */
  rejectedWrites: Scalars['Int']['output'];
  role: ReplicaRole;
};

export type WriteKind =
  | 'ADD_ADDRESS'
  | 'ADD_CUSTOMER'
  | 'ADD_PAYMENT_METHOD';

export type WriteOutcome = {
  __typename?: 'WriteOutcome';
  /** Why it was refused (an extensions.code, e.g. CONFLICT). */
  code?: Maybe<Scalars['String']['output']>;
  /** The customer as home holds it after the write. */
  customer?: Maybe<Customer>;
  /** The input the refusal is about (extensions.field: email, idempotencyKey), when it is about one. */
  field?: Maybe<Scalars['String']['output']>;
  message?: Maybe<Scalars['String']['output']>;
  status: WriteStatus;
  writeId: Scalars['ID']['output'];
};

export type WriteStatus =
  | 'APPLIED'
  | 'REJECTED';

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
  Customer: Customer;
}>;

/** Mapping of federation reference types */
export type FederationReferenceTypes = ResolversObject<{
  Customer:
    ( { __typename: 'Customer' }
    & GraphQLRecursivePick<FederationTypes['Customer'], {"id":true}> );
}>;



/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = ResolversObject<{
  AddCustomerInput: AddCustomerInput;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Address: ResolverTypeWrapper<AddressDoc>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  AddressInput: AddressInput;
  CardBrand: CardBrand;
  Customer: ResolverTypeWrapper<CustomerDoc>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  CustomerConnection: ResolverTypeWrapper<Omit<CustomerConnection, 'edges'> & { edges: Array<ResolversTypes['CustomerEdge']> }>;
  CustomerEdge: ResolverTypeWrapper<Omit<CustomerEdge, 'node'> & { node: ResolversTypes['Customer'] }>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  PaymentMethod: ResolverTypeWrapper<PaymentMethodDoc>;
  PaymentMethodInput: PaymentMethodInput;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Region: Region;
  ReplicaRole: ReplicaRole;
  ReplicatedAddress: ReplicatedAddress;
  ReplicatedCustomer: ReplicatedCustomer;
  ReplicatedPaymentMethod: ReplicatedPaymentMethod;
  ReplicatedWrite: ReplicatedWrite;
  ReplicationEntry: ResolverTypeWrapper<LogEntry>;
  ReplicationLogPage: ResolverTypeWrapper<LogPage>;
  ReplicationStatus: ResolverTypeWrapper<ReplicationStatusView>;
  WriteKind: WriteKind;
  WriteOutcome: ResolverTypeWrapper<WriteResult>;
  WriteStatus: WriteStatus;
}>;

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = ResolversObject<{
  AddCustomerInput: AddCustomerInput;
  String: Scalars['String']['output'];
  Address: AddressDoc;
  ID: Scalars['ID']['output'];
  AddressInput: AddressInput;
  Customer: CustomerDoc;
  Int: Scalars['Int']['output'];
  CustomerConnection: Omit<CustomerConnection, 'edges'> & { edges: Array<ResolversParentTypes['CustomerEdge']> };
  CustomerEdge: Omit<CustomerEdge, 'node'> & { node: ResolversParentTypes['Customer'] };
  Mutation: Record<PropertyKey, never>;
  PageInfo: PageInfo;
  Boolean: Scalars['Boolean']['output'];
  PaymentMethod: PaymentMethodDoc;
  PaymentMethodInput: PaymentMethodInput;
  Query: Record<PropertyKey, never>;
  ReplicatedAddress: ReplicatedAddress;
  ReplicatedCustomer: ReplicatedCustomer;
  ReplicatedPaymentMethod: ReplicatedPaymentMethod;
  ReplicatedWrite: ReplicatedWrite;
  ReplicationEntry: LogEntry;
  ReplicationLogPage: LogPage;
  ReplicationStatus: ReplicationStatusView;
  WriteOutcome: WriteResult;
}>;

export type AddressResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Address'] = ResolversParentTypes['Address']> = ResolversObject<{
  city?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  country?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  line1?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  line2?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  postalCode?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type CustomerResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Customer'] = ResolversParentTypes['Customer'], FederationReferenceType extends FederationReferenceTypes['Customer'] = FederationReferenceTypes['Customer']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Customer']> | FederationReferenceType, FederationReferenceType, ContextType>;
  addresses?: Resolver<Array<ResolversTypes['Address']>, ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  email?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  homeRegion?: Resolver<ResolversTypes['Region'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  paymentMethods?: Resolver<Array<ResolversTypes['PaymentMethod']>, ParentType, ContextType>;
  replicatedAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  unconfirmedWrites?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  version?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type CustomerConnectionResolvers<ContextType = Context, ParentType extends ResolversParentTypes['CustomerConnection'] = ResolversParentTypes['CustomerConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['CustomerEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type CustomerEdgeResolvers<ContextType = Context, ParentType extends ResolversParentTypes['CustomerEdge'] = ResolversParentTypes['CustomerEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Customer'], ParentType, ContextType>;
}>;

export type MutationResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = ResolversObject<{
  addAddress?: Resolver<ResolversTypes['Customer'], ParentType, ContextType, RequireFields<MutationAddAddressArgs, 'customerId' | 'input'>>;
  addCustomer?: Resolver<ResolversTypes['Customer'], ParentType, ContextType, RequireFields<MutationAddCustomerArgs, 'input'>>;
  addPaymentMethod?: Resolver<ResolversTypes['Customer'], ParentType, ContextType, RequireFields<MutationAddPaymentMethodArgs, 'customerId' | 'input'>>;
  applyWrites?: Resolver<Array<ResolversTypes['WriteOutcome']>, ParentType, ContextType, RequireFields<MutationApplyWritesArgs, 'region' | 'writes'>>;
}>;

export type PageInfoResolvers<ContextType = Context, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = ResolversObject<{
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
}>;

export type PaymentMethodResolvers<ContextType = Context, ParentType extends ResolversParentTypes['PaymentMethod'] = ResolversParentTypes['PaymentMethod']> = ResolversObject<{
  brand?: Resolver<ResolversTypes['CardBrand'], ParentType, ContextType>;
  expMonth?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  expYear?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  expired?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  last4?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  token?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type QueryResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = ResolversObject<{
  customer?: Resolver<Maybe<ResolversTypes['Customer']>, ParentType, ContextType, RequireFields<QueryCustomerArgs, 'id'>>;
  customers?: Resolver<ResolversTypes['CustomerConnection'], ParentType, ContextType, RequireFields<QueryCustomersArgs, 'first'>>;
  replicationLog?: Resolver<ResolversTypes['ReplicationLogPage'], ParentType, ContextType, RequireFields<QueryReplicationLogArgs, 'after' | 'first'>>;
  replicationStatus?: Resolver<ResolversTypes['ReplicationStatus'], ParentType, ContextType>;
}>;

export type ReplicationEntryResolvers<ContextType = Context, ParentType extends ResolversParentTypes['ReplicationEntry'] = ResolversParentTypes['ReplicationEntry']> = ResolversObject<{
  at?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  customer?: Resolver<ResolversTypes['Customer'], ParentType, ContextType>;
  region?: Resolver<ResolversTypes['Region'], ParentType, ContextType>;
  seq?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  writeId?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
}>;

export type ReplicationLogPageResolvers<ContextType = Context, ParentType extends ResolversParentTypes['ReplicationLogPage'] = ResolversParentTypes['ReplicationLogPage']> = ResolversObject<{
  entries?: Resolver<Array<ResolversTypes['ReplicationEntry']>, ParentType, ContextType>;
  headAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  headSeq?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type ReplicationStatusResolvers<ContextType = Context, ParentType extends ResolversParentTypes['ReplicationStatus'] = ResolversParentTypes['ReplicationStatus']> = ResolversObject<{
  appliedSeq?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  homeReachable?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  homeSeq?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  lagEntries?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  lagMs?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  lastContactAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  pendingWrites?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  region?: Resolver<ResolversTypes['Region'], ParentType, ContextType>;
  rejectedWrites?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  role?: Resolver<ResolversTypes['ReplicaRole'], ParentType, ContextType>;
}>;

export type WriteOutcomeResolvers<ContextType = Context, ParentType extends ResolversParentTypes['WriteOutcome'] = ResolversParentTypes['WriteOutcome']> = ResolversObject<{
  code?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  customer?: Resolver<Maybe<ResolversTypes['Customer']>, ParentType, ContextType>;
  field?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  message?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['WriteStatus'], ParentType, ContextType>;
  writeId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
}>;

export type Resolvers<ContextType = Context> = ResolversObject<{
  Address?: AddressResolvers<ContextType>;
  Customer?: CustomerResolvers<ContextType>;
  CustomerConnection?: CustomerConnectionResolvers<ContextType>;
  CustomerEdge?: CustomerEdgeResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  PaymentMethod?: PaymentMethodResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  ReplicationEntry?: ReplicationEntryResolvers<ContextType>;
  ReplicationLogPage?: ReplicationLogPageResolvers<ContextType>;
  ReplicationStatus?: ReplicationStatusResolvers<ContextType>;
  WriteOutcome?: WriteOutcomeResolvers<ContextType>;
}>;

