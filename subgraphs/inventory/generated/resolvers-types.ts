import type { GraphQLResolveInfo } from 'graphql';
import type { ProductRef, BinItemDoc, StockLevel, OrderRef, ReservationDoc, AllocationDoc } from '../store.ts';
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

export type AdjustStockInput = {
  bin: Scalars['String']['input'];
  delta: Scalars['Int']['input'];
  distributionCenter: Scalars['String']['input'];
  /** Client-chosen key (up to 100 characters) that makes retries safe: one per adjustment, remembered per sku in a bin. */
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  sku: Scalars['String']['input'];
};

export type Allocation = {
  __typename?: 'Allocation';
  bin: Scalars['String']['output'];
  distributionCenter: Scalars['String']['output'];
  quantity: Scalars['Int']['output'];
  sku: Scalars['String']['output'];
};

/** Units of one sku in one bin of one distribution centre. */
export type BinItem = {
  __typename?: 'BinItem';
  bin: Scalars['String']['output'];
  distributionCenter: Scalars['String']['output'];
  quantity: Scalars['Int']['output'];
  reserved: Scalars['Int']['output'];
  sku: Scalars['String']['output'];
  /** Internal (receiving): the receipts already counted into this bin, the latest 200, oldest first. */
  stockedReceipts: Array<Scalars['ID']['output']>;
};

export type BinItemConnection = {
  __typename?: 'BinItemConnection';
  edges: Array<BinItemEdge>;
  pageInfo: PageInfo;
};

export type BinItemEdge = {
  __typename?: 'BinItemEdge';
  /** Pass as `after` to get what comes after this bin item. Opaque. */
  cursor: Scalars['String']['output'];
  node: BinItem;
};

export type Mutation = {
  __typename?: 'Mutation';
  /**
   * Adds (positive delta) or removes (negative delta) units in one bin. Atomic:
   * stock never goes below zero; a removal larger than what the bin holds fails with CONFLICT.
   * A bin holds at most 2147483647 units: an addition that would exceed that fails with
   * BAD_USER_INPUT and changes nothing. Units are added only of a sku the catalog has (asked
   * there): another is NOT_FOUND; removing is allowed whatever the sku. With an idempotencyKey, a retry changes the bin once
   * and returns it as it is (a sku's stock in a bin remembers its last 100 keyed adjustments); the
   * same key with another delta there is CONFLICT.
   */
  adjustStock: BinItem;
  /** Internal (shipping): the reservation's units from one distribution centre have shipped and leave their bins. Idempotent. */
  commitReservation: Scalars['Boolean']['output'];
  /** Internal (receiving): adds a received item's units to a bin, once per receiptId. */
  receiveStock: BinItem;
  /**
   * Internal (orders, stages): a cancelled order gives back every unit it still holds, or, with
   * distributionCenter, those of the one shipment a cancellation pulled there. Idempotent.
   */
  releaseReservation: Scalars['Boolean']['output'];
  /** Internal (orders): reserves an order's lines, idempotently by reservationId; stock never goes below zero. */
  reserveStock: Reservation;
};


export type MutationAdjustStockArgs = {
  input: AdjustStockInput;
};


export type MutationCommitReservationArgs = {
  distributionCenter: Scalars['String']['input'];
  reservationId: Scalars['ID']['input'];
};


export type MutationReceiveStockArgs = {
  input: ReceiveStockInput;
};


export type MutationReleaseReservationArgs = {
  distributionCenter?: InputMaybe<Scalars['String']['input']>;
  reservationId: Scalars['ID']['input'];
};


export type MutationReserveStockArgs = {
  input: ReserveStockInput;
};

/** Inventory adds the stock reservation to the order. */
export type Order = {
  __typename?: 'Order';
  id: Scalars['ID']['output'];
  /** Null until the order's stock is asked for; INSUFFICIENT, naming the skus it lacks, while the last attempt could not cover it (the order is OUT_OF_STOCK). */
  reservation?: Maybe<Reservation>;
};

/** Where a page ends. A page's endCursor stays valid while rows are added: the next page repeats nothing and skips nothing. */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** The last edge's cursor; null on an empty page. */
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

/** Stock levels for a product, contributed to the catalog's Product by the inventory service. */
export type Product = {
  __typename?: 'Product';
  /** Where the product is stored, bin by bin. */
  binItems?: Maybe<Array<BinItem>>;
  sku: Scalars['String']['output'];
  /** Null only when the inventory service cannot answer. As of at most a second ago: a reservation or adjustment shows at once, and stock is never promised from this figure (reserving counts the bins themselves). */
  stock?: Maybe<Stock>;
};

export type Query = {
  __typename?: 'Query';
  /** One bin's units of one sku, or null when that bin never held it. An unknown distribution centre is BAD_USER_INPUT. */
  binItem?: Maybe<BinItem>;
  /**
   * Bin items, filtered by sku and/or distribution centre, by distribution centre, bin and sku.
   * Page on with `after: pageInfo.endCursor`.
   */
  binItems: BinItemConnection;
};


export type QueryBinItemArgs = {
  bin: Scalars['String']['input'];
  distributionCenter: Scalars['String']['input'];
  sku: Scalars['String']['input'];
};


export type QueryBinItemsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  distributionCenter?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  sku?: InputMaybe<Scalars['String']['input']>;
};

export type ReceiveStockInput = {
  bin: Scalars['String']['input'];
  distributionCenter: Scalars['String']['input'];
  quantity: Scalars['Int']['input'];
  receiptId: Scalars['ID']['input'];
  sku: Scalars['String']['input'];
};

export type Reservation = {
  __typename?: 'Reservation';
  allocations: Array<Allocation>;
  createdAt: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  /** Skus that could not be covered (INSUFFICIENT). */
  missing: Array<Scalars['String']['output']>;
  status: ReservationStatus;
};

export type ReservationStatus =
  /** The last attempt could not cover every line: nothing is held until stock covers it (the orders worker then tries again by itself) or a person retries the order's exception. */
  | 'INSUFFICIENT'
  /** Being made right now. */
  | 'PENDING'
  /** The order was cancelled and its units given back (before it was split, or every shipment's part as a cancellation pulled it). */
  | 'RELEASED'
  | 'RESERVED'
  /** Nothing is held any more and some units left with their shipments (the parts of shipments a cancellation pulled were given back). */
  | 'SHIPPED';

export type ReserveLineInput = {
  quantity: Scalars['Int']['input'];
  sku: Scalars['String']['input'];
};

export type ReserveStockInput = {
  lines: Array<ReserveLineInput>;
  reservationId: Scalars['ID']['input'];
};

/** A sku's units across its bins. onHand and reserved are at most 2147483647 (the largest Int): a larger total reads as that, and available is then onHand - reserved as shown. */
export type Stock = {
  __typename?: 'Stock';
  /** Units that can still be promised: onHand - reserved. */
  available: Scalars['Int']['output'];
  /** Units on the shelves across all distribution centres. */
  onHand: Scalars['Int']['output'];
  /** Units promised to orders and not yet picked. */
  reserved: Scalars['Int']['output'];
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
  Product: Product;
}>;

/** Mapping of federation reference types */
export type FederationReferenceTypes = ResolversObject<{
  Order:
    ( { __typename: 'Order' }
    & GraphQLRecursivePick<FederationTypes['Order'], {"id":true}> );
  Product:
    ( { __typename: 'Product' }
    & GraphQLRecursivePick<FederationTypes['Product'], {"sku":true}> );
}>;



/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = ResolversObject<{
  AdjustStockInput: AdjustStockInput;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  Allocation: ResolverTypeWrapper<AllocationDoc>;
  BinItem: ResolverTypeWrapper<BinItemDoc>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  BinItemConnection: ResolverTypeWrapper<Omit<BinItemConnection, 'edges'> & { edges: Array<ResolversTypes['BinItemEdge']> }>;
  BinItemEdge: ResolverTypeWrapper<Omit<BinItemEdge, 'node'> & { node: ResolversTypes['BinItem'] }>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  Order: ResolverTypeWrapper<OrderRef>;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Product: ResolverTypeWrapper<ProductRef>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  ReceiveStockInput: ReceiveStockInput;
  Reservation: ResolverTypeWrapper<ReservationDoc>;
  ReservationStatus: ReservationStatus;
  ReserveLineInput: ReserveLineInput;
  ReserveStockInput: ReserveStockInput;
  Stock: ResolverTypeWrapper<StockLevel>;
}>;

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = ResolversObject<{
  AdjustStockInput: AdjustStockInput;
  String: Scalars['String']['output'];
  Int: Scalars['Int']['output'];
  Allocation: AllocationDoc;
  BinItem: BinItemDoc;
  ID: Scalars['ID']['output'];
  BinItemConnection: Omit<BinItemConnection, 'edges'> & { edges: Array<ResolversParentTypes['BinItemEdge']> };
  BinItemEdge: Omit<BinItemEdge, 'node'> & { node: ResolversParentTypes['BinItem'] };
  Mutation: Record<PropertyKey, never>;
  Boolean: Scalars['Boolean']['output'];
  Order: OrderRef;
  PageInfo: PageInfo;
  Product: ProductRef;
  Query: Record<PropertyKey, never>;
  ReceiveStockInput: ReceiveStockInput;
  Reservation: ReservationDoc;
  ReserveLineInput: ReserveLineInput;
  ReserveStockInput: ReserveStockInput;
  Stock: StockLevel;
}>;

export type AllocationResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Allocation'] = ResolversParentTypes['Allocation']> = ResolversObject<{
  bin?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  distributionCenter?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  quantity?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  sku?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type BinItemResolvers<ContextType = Context, ParentType extends ResolversParentTypes['BinItem'] = ResolversParentTypes['BinItem']> = ResolversObject<{
  bin?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  distributionCenter?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  quantity?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  reserved?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  sku?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  stockedReceipts?: Resolver<Array<ResolversTypes['ID']>, ParentType, ContextType>;
}>;

export type BinItemConnectionResolvers<ContextType = Context, ParentType extends ResolversParentTypes['BinItemConnection'] = ResolversParentTypes['BinItemConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['BinItemEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type BinItemEdgeResolvers<ContextType = Context, ParentType extends ResolversParentTypes['BinItemEdge'] = ResolversParentTypes['BinItemEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['BinItem'], ParentType, ContextType>;
}>;

export type MutationResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = ResolversObject<{
  adjustStock?: Resolver<ResolversTypes['BinItem'], ParentType, ContextType, RequireFields<MutationAdjustStockArgs, 'input'>>;
  commitReservation?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationCommitReservationArgs, 'distributionCenter' | 'reservationId'>>;
  receiveStock?: Resolver<ResolversTypes['BinItem'], ParentType, ContextType, RequireFields<MutationReceiveStockArgs, 'input'>>;
  releaseReservation?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationReleaseReservationArgs, 'reservationId'>>;
  reserveStock?: Resolver<ResolversTypes['Reservation'], ParentType, ContextType, RequireFields<MutationReserveStockArgs, 'input'>>;
}>;

export type OrderResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Order'] = ResolversParentTypes['Order'], FederationReferenceType extends FederationReferenceTypes['Order'] = FederationReferenceTypes['Order']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Order']> | FederationReferenceType, FederationReferenceType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  reservation?: Resolver<Maybe<ResolversTypes['Reservation']>, ParentType, ContextType>;
}>;

export type PageInfoResolvers<ContextType = Context, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = ResolversObject<{
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
}>;

export type ProductResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Product'] = ResolversParentTypes['Product'], FederationReferenceType extends FederationReferenceTypes['Product'] = FederationReferenceTypes['Product']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Product']> | FederationReferenceType, FederationReferenceType, ContextType>;
  binItems?: Resolver<Maybe<Array<ResolversTypes['BinItem']>>, ParentType, ContextType>;
  sku?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  stock?: Resolver<Maybe<ResolversTypes['Stock']>, ParentType, ContextType>;
}>;

export type QueryResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = ResolversObject<{
  binItem?: Resolver<Maybe<ResolversTypes['BinItem']>, ParentType, ContextType, RequireFields<QueryBinItemArgs, 'bin' | 'distributionCenter' | 'sku'>>;
  binItems?: Resolver<ResolversTypes['BinItemConnection'], ParentType, ContextType, RequireFields<QueryBinItemsArgs, 'first'>>;
}>;

export type ReservationResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Reservation'] = ResolversParentTypes['Reservation']> = ResolversObject<{
  allocations?: Resolver<Array<ResolversTypes['Allocation']>, ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  missing?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ReservationStatus'], ParentType, ContextType>;
}>;

export type StockResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Stock'] = ResolversParentTypes['Stock']> = ResolversObject<{
  available?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  onHand?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  reserved?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type Resolvers<ContextType = Context> = ResolversObject<{
  Allocation?: AllocationResolvers<ContextType>;
  BinItem?: BinItemResolvers<ContextType>;
  BinItemConnection?: BinItemConnectionResolvers<ContextType>;
  BinItemEdge?: BinItemEdgeResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  Order?: OrderResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Product?: ProductResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  Reservation?: ReservationResolvers<ContextType>;
  Stock?: StockResolvers<ContextType>;
}>;

