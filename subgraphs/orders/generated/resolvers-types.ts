import type { GraphQLResolveInfo } from 'graphql';
import type { OrderDoc, OrderLineDoc, ShippingAddressDoc, OrderPaymentDoc, ShipmentProgressDoc, MoneyDoc, CustomerRef, ProductRef, AddressChangeView, AddressChangeOutcomeDoc, CancellationView, ReturnDoc, CancellationOutcomeDoc } from '../store.ts';
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

/** A change of an order's shipping address while the order is in flight. */
export type AddressChange = {
  __typename?: 'AddressChange';
  address: ShippingAddress;
  id: Scalars['ID']['output'];
  mode: AddressChangeMode;
  order: Order;
  /** One per shipment (or one for the order, if it had no shipments yet), from the node that held it. */
  outcomes: Array<AddressChangeOutcome>;
  requestedAt: Scalars['String']['output'];
  status: AddressChangeStatus;
};

/** How an address change reaches the nodes that hold the order. */
export type AddressChangeMode =
  | 'ASYNCHRONOUS'
  | 'COORDINATOR'
  | 'SYNCHRONOUS';

export type AddressChangeOutcome = {
  __typename?: 'AddressChangeOutcome';
  at: Scalars['String']['output'];
  detail?: Maybe<Scalars['String']['output']>;
  /** The shipment, or the order before it was split into shipments. */
  elementId: Scalars['ID']['output'];
  /** The node that applied or rejected the change. */
  node: Scalars['String']['output'];
  result: ChangeResult;
};

export type AddressChangeOutcomeInput = {
  /** When the node reached the outcome (ISO 8601); when orders records it, if absent. */
  at?: InputMaybe<Scalars['String']['input']>;
  changeId: Scalars['ID']['input'];
  detail?: InputMaybe<Scalars['String']['input']>;
  elementId: Scalars['ID']['input'];
  /** For an application: the address version the element had before it (earlier changes it skipped were superseded). */
  fromVersion?: InputMaybe<Scalars['Int']['input']>;
  node: Scalars['String']['input'];
  orderId: Scalars['ID']['input'];
  result: ChangeResult;
};

export type AddressChangeStatus =
  | 'APPLIED'
  /** Applied to some shipments, too late for others. */
  | 'PARTLY_APPLIED'
  /** Not every shipment (or the order, before it is split into shipments) has an outcome yet. */
  | 'PENDING'
  /** Too late for every shipment: they had left. */
  | 'REJECTED';

export type CancelOrderInput = {
  /** Client-chosen key (up to 100 characters): a retry with it returns the same cancellation. */
  idempotencyKey: Scalars['String']['input'];
  orderId: Scalars['ID']['input'];
  /** Why, in up to 500 characters; shown in the order's history. */
  reason: Scalars['String']['input'];
};

/** A cancellation of an order, travelling to the nodes that hold its shipments. */
export type Cancellation = {
  __typename?: 'Cancellation';
  id: Scalars['ID']['output'];
  order: Order;
  /** One per shipment (or one for the order, if it had no shipments yet), from the node that held it. */
  outcomes: Array<CancellationOutcome>;
  reason: Scalars['String']['output'];
  /** What payments was asked to refund once every outcome was in; null while PENDING, while a charge made before the cancellation is still in flight, or when nothing is refunded. Not for the warehouse. */
  refundAmount?: Maybe<Money>;
  requestedAt: Scalars['String']['output'];
  status: CancellationStatus;
};

export type CancellationOutcome = {
  __typename?: 'CancellationOutcome';
  at: Scalars['String']['output'];
  detail?: Maybe<Scalars['String']['output']>;
  /** The shipment, or the order before it was split into shipments. */
  elementId: Scalars['ID']['output'];
  /** The node that pulled it or said it was too late. */
  node: Scalars['String']['output'];
  result: ChangeResult;
};

export type CancellationOutcomeInput = {
  /** When the node reached the outcome (ISO 8601), as it told tracking; when orders records it, if absent. */
  at?: InputMaybe<Scalars['String']['input']>;
  cancellationId: Scalars['ID']['input'];
  detail?: InputMaybe<Scalars['String']['input']>;
  elementId: Scalars['ID']['input'];
  /** The pulled shipment's moves (the one that handed it over, then its stop; at most 2), told to tracking ahead of the order's move they lead to. */
  moves?: InputMaybe<Array<HandedOverInput>>;
  node: Scalars['String']['input'];
  orderId: Scalars['ID']['input'];
  result: ChangeResult;
};

export type CancellationStatus =
  /** Every shipment was pulled (or the order was stopped before it had any). */
  | 'CANCELLED'
  /** Some shipments were pulled; others had left already and are not cancelled. */
  | 'PARTLY_CANCELLED'
  /** Not every shipment (or the order, before it is split into shipments) has an outcome yet. */
  | 'PENDING'
  /** Too late for every shipment: they had left. */
  | 'REJECTED';

export type ChangeResult =
  | 'APPLIED'
  | 'REJECTED';

export type ChangeShippingAddressInput = {
  address: NewShippingAddressInput;
  /** Client-chosen key (up to 100 characters) that makes retries safe. */
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  mode?: InputMaybe<AddressChangeMode>;
  orderId: Scalars['ID']['input'];
};

export type ChargeResultInput = {
  amount: MoneyInput;
  chargeId: Scalars['ID']['input'];
  declineReason?: InputMaybe<Scalars['String']['input']>;
  orderId?: InputMaybe<Scalars['ID']['input']>;
  outcome: Scalars['String']['input'];
  requestId: Scalars['ID']['input'];
};

export type Customer = {
  __typename?: 'Customer';
  id: Scalars['ID']['output'];
  /** This customer's orders, newest placed first. Page on with `after: pageInfo.endCursor`. Null only when the orders service could not be asked (an error names it). */
  orders?: Maybe<OrderConnection>;
};


export type CustomerOrdersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

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

/** An amount of money in minor units (cents, pence) of an ISO 4217 currency. */
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
  /**
   * Cancels an order wherever it is (docs/cancellations.md), for its customer or support. Answers
   * at once with the cancellation PENDING (CANCELLED at once if the order was not yet split into
   * shipments). It is published to the stages: each pulls the shipments of the order it holds,
   * unless one is already sealed for the carrier (too late), gives their stock back and reports;
   * a stage that is down does so when it is back. Then the cancellation is CANCELLED,
   * PARTLY_CANCELLED or REJECTED, and payments refunds what was charged for what did not ship
   * (`Order.refunds`). Watch `orderTransitions` for CANCEL and REFUND transitions, or poll
   * `cancellation(id)`. Retrying with the same idempotencyKey (and reason) returns the same
   * cancellation; the same key with another reason is a CONFLICT, and so is another key: an
   * order has one cancellation.
   */
  cancelOrder: Cancellation;
  /**
   * Changes where an order in flight ships to. `mode` chooses how the change reaches the nodes
   * that hold the order (docs/in-flight-changes.md):
   *
   * - ASYNCHRONOUS (default): answers at once with the change PENDING and publishes it to the
   *   stages subscribed to address changes; each applies it to the shipments it holds (or
   *   rejects it: too late) and records that in tracking. Poll `addressChange(id)` or watch
   *   `orderTransitions` for CHANGE transitions. A stage that is down applies it when it is back.
   * - COORDINATOR: the orders service keeps the change and applies it to the order or a
   *   shipment the next time it routes it (shipments pass through it only on directed routing).
   * - SYNCHRONOUS: applies the change at every node that might hold the order before
   *   answering; if any of them is unavailable, fails with DEPENDENCY_UNAVAILABLE and nothing
   *   is changed anywhere. Only for changes that may fail.
   *
   * In every mode, a shipment the orders service knows has left is rejected at once (too late):
   * the answer for an order that has shipped is REJECTED, and no stage is asked.
   *
   * Retrying with the same idempotencyKey returns the change already made. An order takes at
   * most 20 changes; more is a CONFLICT. An address in a country orders do not ship to (the
   * service's SHIPPING_COUNTRIES) is BAD_USER_INPUT.
   */
  changeShippingAddress: AddressChange;
  /**
   * Pays a declined order (PAYMENT_DECLINED) again, with one of its customer's cards: another one,
   * or the same once the customer has sorted it out with their bank. For the order's customer, or
   * support. Answers at once with the order moved to CHARGING with that card (an `orderTransitions`
   * event: the customer paid again); the charge is then asked for, and the order goes on like any
   * order, or back to PAYMENT_DECLINED on another decline. The exception the decline opened for
   * support is closed. A card that is not the customer's is NOT_FOUND, an expired one
   * PAYMENT_METHOD_EXPIRED. An order in another status is CONFLICT, as is a second payment while
   * one with another card (or support's retry) is starting, one cancelled meanwhile or being
   * cancelled past its payBy (one the orders worker has not looked at since its payBy passed is
   * still taken), and the customer's payment once the order has had 10 attempts (support
   * still may). Repeating the call
   * once its attempt has started answers the order as it then is.
   */
  payOrder: Order;
  /**
   * Places an order. The customer, payment method and every sku are checked through
   * the customers and catalog services, lines are priced from the catalog, and the
   * order is stored with everything the fulfilment pipeline needs; the pipeline then
   * takes it from PLACED to SHIPPED by itself. Retrying with the same idempotencyKey
   * returns the order already placed instead of a second one. An address in a country
   * orders do not ship to (the service's SHIPPING_COUNTRIES) is BAD_USER_INPUT.
   */
  placeOrder: Order;
  /** Internal: payments publishes charge results to the queue this service named (replyTo: "orders.charge-results"). */
  receiveChargeResult: Scalars['Boolean']['output'];
  /** Internal: a stage reports what an address change did to a shipment it held. Idempotent. */
  recordAddressChangeOutcome: Scalars['Boolean']['output'];
  /** Internal: a stage reports what a cancellation did to a shipment it held. Idempotent. */
  recordCancellationOutcome: Scalars['Boolean']['output'];
  /** Internal: a stage reports a shipment's progress. Idempotent by eventId. */
  recordProgress: Scalars['Boolean']['output'];
  /** Internal: receiving has stocked the items of a return. Idempotent. */
  recordReturnReceived: Scalars['Boolean']['output'];
  /**
   * A customer (its own orders) or support sends back units of a line that has shipped (a
   * return). Answers at once with the return AWAITING_ITEM; when receiving stocks the items
   * (receiveItems with this returnId), it becomes RECEIVED and payments refunds what they were
   * charged at (Order.refunds). Only shipped units can be returned, each once. Retrying with the
   * same idempotencyKey returns the same return.
   */
  requestReturn: Return;
  /** Internal: the exceptions service asks to retry or cancel an element this service parked. */
  resolveOrdersException: Scalars['Boolean']['output'];
  /** Internal: a stage on directed routing hands a finished shipment back to the coordinator. */
  stageCompleted: Scalars['Boolean']['output'];
  /** Internal: a stage gave up on one of the order's shipments (cancelled from exceptions): the order stops. The stock of `shipmentId` is given back and what its lines were charged at refunded; the order's other shipments go out with theirs. */
  stopOrder: Scalars['Boolean']['output'];
};


export type MutationCancelOrderArgs = {
  input: CancelOrderInput;
};


export type MutationChangeShippingAddressArgs = {
  input: ChangeShippingAddressInput;
};


export type MutationPayOrderArgs = {
  input: PayOrderInput;
};


export type MutationPlaceOrderArgs = {
  input: PlaceOrderInput;
};


export type MutationReceiveChargeResultArgs = {
  queue: Scalars['String']['input'];
  result: ChargeResultInput;
};


export type MutationRecordAddressChangeOutcomeArgs = {
  input: AddressChangeOutcomeInput;
};


export type MutationRecordCancellationOutcomeArgs = {
  input: CancellationOutcomeInput;
};


export type MutationRecordProgressArgs = {
  input: ProgressInput;
};


export type MutationRecordReturnReceivedArgs = {
  input: ReturnReceivedInput;
};


export type MutationRequestReturnArgs = {
  input: RequestReturnInput;
};


export type MutationResolveOrdersExceptionArgs = {
  action: ExceptionAction;
  elementId: Scalars['ID']['input'];
  queue: Scalars['String']['input'];
};


export type MutationStageCompletedArgs = {
  shipment: ShipmentInput;
  stage: Scalars['String']['input'];
};


export type MutationStopOrderArgs = {
  orderId: Scalars['ID']['input'];
  reason: Scalars['String']['input'];
  shipmentId?: InputMaybe<Scalars['ID']['input']>;
};

/**
 * As a customer's address is checked (name, lines and city up to 200 characters, a postal code up
 * to 20, each one line without line breaks, control characters, text-direction overrides or invisible
 * characters); BAD_USER_INPUT otherwise.
 */
export type NewShippingAddressInput = {
  city: Scalars['String']['input'];
  /** ISO 3166-1 alpha-2 country code, for example GB. */
  country: Scalars['String']['input'];
  line1: Scalars['String']['input'];
  line2?: InputMaybe<Scalars['String']['input']>;
  name: Scalars['String']['input'];
  postalCode: Scalars['String']['input'];
};

/** A customer's order. Owned by the orders service. */
export type Order = {
  __typename?: 'Order';
  /** Address changes asked for while the order was in flight, oldest first. */
  addressChanges: Array<AddressChange>;
  /** The cancellation asked for, if any. */
  cancellation?: Maybe<Cancellation>;
  /** Nullable like every reference resolved by another service: if customers is down, the rest of the order still answers. */
  customer?: Maybe<Customer>;
  id: Scalars['ID']['output'];
  /** What was ordered. Not for a tracking link, which shows the order's status, history and shipments only. */
  lines: Array<OrderLine>;
  /**
   * While the order is PAYMENT_DECLINED: when it is cancelled (reason "not paid within ... of the card
   * being declined") unless paid again first (payOrder), by the orders worker's first look after it
   * (once a minute at most; a payment that comes before that look still counts). ISO 8601; null in
   * any other status. Each
   * decline sets it anew (DECLINED_ORDER_PAY_WITHIN_MS after it, 72 hours by default).
   */
  payBy?: Maybe<Scalars['String']['output']>;
  /** The card charged, as it was when the order was placed. Not for the warehouse. */
  paymentMethod: OrderPaymentMethod;
  placedAt: Scalars['String']['output'];
  /** Returns of shipped lines, oldest first. */
  returns: Array<Return>;
  /** Each shipment's progress, as reported by the stages. */
  shipmentProgress: Array<ShipmentProgress>;
  /**
   * Copied from the customer's address book when the order was placed, or the latest address
   * asked for with changeShippingAddress, unless every shipment it was for rejected it (they had
   * left): that change changed nothing. Where each shipment actually went is on the shipment.
   */
  shippingAddress: ShippingAddress;
  shippingMethod: ShippingMethod;
  /** The service that holds the order now (orders, payments, inventory, picking, rebin, shipping, exceptions), or null once shipped. */
  stage?: Maybe<Scalars['String']['output']>;
  status: OrderStatus;
  /** Sum of the line totals. Not for a tracking link, nor for the warehouse (what it ships has no price). */
  total: Money;
  /**
   * A token for a tracking link (/track?order=<id>&token=<token>): whoever holds it may follow this
   * one order, its status, history and shipments, and nothing else, for 30 days.
   */
  trackingToken: Scalars['String']['output'];
  updatedAt: Scalars['String']['output'];
  /**
   * While the order is OUT_OF_STOCK: when it is cancelled and its charge refunded in full (reason "no
   * stock came in within ..."), by the orders worker's first look after it (every 30 s) that finds
   * too little stock for it; stock that covers it by then ships it instead. ISO 8601; null in any
   * other status. Set when the order first ran short (OUT_OF_STOCK_WAIT_MS after it, 14
   * days by default); a retry that finds it short again does not move it.
   */
  waitForStockUntil?: Maybe<Scalars['String']['output']>;
};

/** A page of orders. Every list of the graph pages this way (Relay connections). */
export type OrderConnection = {
  __typename?: 'OrderConnection';
  edges: Array<OrderEdge>;
  pageInfo: PageInfo;
};

export type OrderEdge = {
  __typename?: 'OrderEdge';
  /** Pass as `after` to get what comes after this order. Opaque. */
  cursor: Scalars['String']['output'];
  node: Order;
};

export type OrderLine = {
  __typename?: 'OrderLine';
  lineTotal: Money;
  /** Resolved by catalog (and inventory); null if they cannot answer. */
  product?: Maybe<Product>;
  quantity: Scalars['Int']['output'];
  /** Catalog price per unit when the order was placed. Not for the warehouse, as no price on an order is. */
  unitPrice: Money;
};

export type OrderLineInput = {
  quantity: Scalars['Int']['input'];
  sku: Scalars['String']['input'];
};

export type OrderPaymentMethod = {
  __typename?: 'OrderPaymentMethod';
  brand: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  last4: Scalars['String']['output'];
};

/** Where an order is. Statuses after PLACED are set by the pipeline as the order moves. */
export type OrderStatus =
  /** Cancelled by its customer or support (cancelOrder), or stopped by a person from the exceptions service. A shipment pulled by a cancellation is CANCELLED too. */
  | 'CANCELLED'
  /** Waiting for the payments service to charge the card. */
  | 'CHARGING'
  /** Not enough stock to reserve; waiting in exceptions. Reserved again by itself once stock comes in that covers every line (orders waiting longest first), or by a person's retry. Cancelled and refunded at waitForStockUntil if neither came. */
  | 'OUT_OF_STOCK'
  /** Some shipments have left with their carrier; the others are still in their distribution centres (stage says where the slowest is). */
  | 'PARTLY_SHIPPED'
  /** The card was declined; waiting for its customer to pay again (payOrder) or for a person in exceptions. Cancelled at payBy if neither did. */
  | 'PAYMENT_DECLINED'
  /** In a distribution centre's picking queue, waiting for a picklist. */
  | 'PICKING'
  /** Accepted and stored; waiting for the coordinator. */
  | 'PLACED'
  /** Picked; multi-item shipments are being consolidated at rebin. */
  | 'REBIN'
  /** Charged; reserving stock in inventory. */
  | 'RESERVING'
  /** Every shipment has left with its carrier, but those a cancellation pulled first (the order's cancellation is then PARTLY_CANCELLED, and those shipments read CANCELLED in shipmentProgress). */
  | 'SHIPPED'
  /** With shipping: being packed and handed to the carrier. */
  | 'SHIPPING';

/** Where a page ends. A page's endCursor stays valid while rows are added: the next page repeats nothing and skips nothing. */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** The last edge's cursor; null on an empty page. */
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

export type PayOrderInput = {
  orderId: Scalars['ID']['input'];
  /** One of the customer's payment methods (`Customer.paymentMethods`). */
  paymentMethodId: Scalars['ID']['input'];
};

export type PlaceOrderInput = {
  customerId: Scalars['ID']['input'];
  /** The total the customer was shown. When given, an order that would cost anything else now (a price changed since, perhaps in a gateway's cache) is CONFLICT, with the total it would cost in extensions.total, and nothing is placed. */
  expectedTotal?: InputMaybe<MoneyInput>;
  /** Client-chosen key (up to 100 characters) that makes retries safe. */
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  lines: Array<OrderLineInput>;
  paymentMethodId: Scalars['ID']['input'];
  /** One of the customer's addresses; the first one when omitted. */
  shippingAddressId?: InputMaybe<Scalars['ID']['input']>;
  shippingMethod?: InputMaybe<ShippingMethod>;
};

export type Product = {
  __typename?: 'Product';
  sku: Scalars['String']['output'];
};

export type ProgressInput = {
  detail?: InputMaybe<Scalars['String']['input']>;
  eventId: Scalars['ID']['input'];
  /** The shipment's moves that put it there, as its stage records them (the move that handed it over, then the stage's own): orders tells tracking of them ahead of the order's move they cause. */
  moves?: InputMaybe<Array<HandedOverInput>>;
  orderId: Scalars['ID']['input'];
  shipmentId: Scalars['ID']['input'];
  stage: Scalars['String']['input'];
  status: Scalars['String']['input'];
};

export type Query = {
  __typename?: 'Query';
  /** An address change, by the id changeShippingAddress returned: poll it for the outcome. */
  addressChange?: Maybe<AddressChange>;
  /** A cancellation, by the id cancelOrder returned: poll it for the outcome. */
  cancellation?: Maybe<Cancellation>;
  /**
   * One order, or null when no order has this id or the caller may not see it (another
   * customer's reads as no order). A malformed id is BAD_USER_INPUT.
   */
  order?: Maybe<Order>;
  /**
   * Orders, newest placed first (ties by id); with customerId, only that customer's, with
   * status, only those in that status. Page on with `after: pageInfo.endCursor`.
   * A frontend should name the customer: that list is served by an index on every database.
   */
  orders: OrderConnection;
};


export type QueryAddressChangeArgs = {
  id: Scalars['ID']['input'];
};


export type QueryCancellationArgs = {
  id: Scalars['ID']['input'];
};


export type QueryOrderArgs = {
  id: Scalars['ID']['input'];
};


export type QueryOrdersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  customerId?: InputMaybe<Scalars['ID']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<OrderStatus>;
};

export type RequestReturnInput = {
  /** Client-chosen key (up to 100 characters): a retry with it returns the same return. */
  idempotencyKey: Scalars['String']['input'];
  orderId: Scalars['ID']['input'];
  quantity: Scalars['Int']['input'];
  /** Why, in up to 500 characters. */
  reason: Scalars['String']['input'];
  sku: Scalars['String']['input'];
};

/** Units of a shipped line the customer sends back. */
export type Return = {
  __typename?: 'Return';
  id: Scalars['ID']['output'];
  quantity: Scalars['Int']['output'];
  reason: Scalars['String']['output'];
  receivedAt?: Maybe<Scalars['String']['output']>;
  /** What is refunded once the items are back: what they were charged at. Not for the warehouse. */
  refundAmount: Money;
  requestedAt: Scalars['String']['output'];
  sku: Scalars['String']['output'];
  status: ReturnStatus;
};

export type ReturnReceivedInput = {
  quantity: Scalars['Int']['input'];
  receiptId: Scalars['ID']['input'];
  returnId: Scalars['ID']['input'];
  sku: Scalars['String']['input'];
};

export type ReturnStatus =
  /** Waiting for the items to come back through receiving. */
  | 'AWAITING_ITEM'
  /** Received and stocked; the refund is asked for (Order.refunds). */
  | 'RECEIVED';

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

export type ShipmentProgress = {
  __typename?: 'ShipmentProgress';
  /** What the stage said of it (a carrier and tracking number, a picklist, why it was cancelled). Not for a tracking link, as a transition's detail is not. */
  detail?: Maybe<Scalars['String']['output']>;
  distributionCenter: Scalars['String']['output'];
  shipmentId: Scalars['ID']['output'];
  status: OrderStatus;
};

export type ShippingAddress = {
  __typename?: 'ShippingAddress';
  city: Scalars['String']['output'];
  country: Scalars['String']['output'];
  line1: Scalars['String']['output'];
  line2?: Maybe<Scalars['String']['output']>;
  name: Scalars['String']['output'];
  postalCode: Scalars['String']['output'];
};

export type ShippingMethod =
  | 'EXPRESS'
  | 'STANDARD';

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
  Order: Order;
}>;

/** Mapping of federation reference types */
export type FederationReferenceTypes = ResolversObject<{
  Customer:
    ( { __typename: 'Customer' }
    & GraphQLRecursivePick<FederationTypes['Customer'], {"id":true}> );
  Order:
    ( { __typename: 'Order' }
    & GraphQLRecursivePick<FederationTypes['Order'], {"id":true}> );
}>;



/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = ResolversObject<{
  AddressChange: ResolverTypeWrapper<AddressChangeView>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  AddressChangeMode: AddressChangeMode;
  AddressChangeOutcome: ResolverTypeWrapper<AddressChangeOutcomeDoc>;
  AddressChangeOutcomeInput: AddressChangeOutcomeInput;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  AddressChangeStatus: AddressChangeStatus;
  CancelOrderInput: CancelOrderInput;
  Cancellation: ResolverTypeWrapper<CancellationView>;
  CancellationOutcome: ResolverTypeWrapper<CancellationOutcomeDoc>;
  CancellationOutcomeInput: CancellationOutcomeInput;
  CancellationStatus: CancellationStatus;
  ChangeResult: ChangeResult;
  ChangeShippingAddressInput: ChangeShippingAddressInput;
  ChargeResultInput: ChargeResultInput;
  Customer: ResolverTypeWrapper<CustomerRef>;
  ExceptionAction: ExceptionAction;
  HandedOverInput: HandedOverInput;
  Money: ResolverTypeWrapper<MoneyDoc>;
  MoneyInput: MoneyInput;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  NewShippingAddressInput: NewShippingAddressInput;
  Order: ResolverTypeWrapper<OrderDoc>;
  OrderConnection: ResolverTypeWrapper<Omit<OrderConnection, 'edges'> & { edges: Array<ResolversTypes['OrderEdge']> }>;
  OrderEdge: ResolverTypeWrapper<Omit<OrderEdge, 'node'> & { node: ResolversTypes['Order'] }>;
  OrderLine: ResolverTypeWrapper<OrderLineDoc>;
  OrderLineInput: OrderLineInput;
  OrderPaymentMethod: ResolverTypeWrapper<OrderPaymentDoc>;
  OrderStatus: OrderStatus;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  PayOrderInput: PayOrderInput;
  PlaceOrderInput: PlaceOrderInput;
  Product: ResolverTypeWrapper<ProductRef>;
  ProgressInput: ProgressInput;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  RequestReturnInput: RequestReturnInput;
  Return: ResolverTypeWrapper<ReturnDoc>;
  ReturnReceivedInput: ReturnReceivedInput;
  ReturnStatus: ReturnStatus;
  ShipmentAddressInput: ShipmentAddressInput;
  ShipmentInput: ShipmentInput;
  ShipmentLineInput: ShipmentLineInput;
  ShipmentProgress: ResolverTypeWrapper<ShipmentProgressDoc>;
  ShippingAddress: ResolverTypeWrapper<ShippingAddressDoc>;
  ShippingMethod: ShippingMethod;
}>;

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = ResolversObject<{
  AddressChange: AddressChangeView;
  ID: Scalars['ID']['output'];
  String: Scalars['String']['output'];
  AddressChangeOutcome: AddressChangeOutcomeDoc;
  AddressChangeOutcomeInput: AddressChangeOutcomeInput;
  Int: Scalars['Int']['output'];
  CancelOrderInput: CancelOrderInput;
  Cancellation: CancellationView;
  CancellationOutcome: CancellationOutcomeDoc;
  CancellationOutcomeInput: CancellationOutcomeInput;
  ChangeShippingAddressInput: ChangeShippingAddressInput;
  ChargeResultInput: ChargeResultInput;
  Customer: CustomerRef;
  HandedOverInput: HandedOverInput;
  Money: MoneyDoc;
  MoneyInput: MoneyInput;
  Mutation: Record<PropertyKey, never>;
  Boolean: Scalars['Boolean']['output'];
  NewShippingAddressInput: NewShippingAddressInput;
  Order: OrderDoc;
  OrderConnection: Omit<OrderConnection, 'edges'> & { edges: Array<ResolversParentTypes['OrderEdge']> };
  OrderEdge: Omit<OrderEdge, 'node'> & { node: ResolversParentTypes['Order'] };
  OrderLine: OrderLineDoc;
  OrderLineInput: OrderLineInput;
  OrderPaymentMethod: OrderPaymentDoc;
  PageInfo: PageInfo;
  PayOrderInput: PayOrderInput;
  PlaceOrderInput: PlaceOrderInput;
  Product: ProductRef;
  ProgressInput: ProgressInput;
  Query: Record<PropertyKey, never>;
  RequestReturnInput: RequestReturnInput;
  Return: ReturnDoc;
  ReturnReceivedInput: ReturnReceivedInput;
  ShipmentAddressInput: ShipmentAddressInput;
  ShipmentInput: ShipmentInput;
  ShipmentLineInput: ShipmentLineInput;
  ShipmentProgress: ShipmentProgressDoc;
  ShippingAddress: ShippingAddressDoc;
}>;

export type AddressChangeResolvers<ContextType = Context, ParentType extends ResolversParentTypes['AddressChange'] = ResolversParentTypes['AddressChange']> = ResolversObject<{
  address?: Resolver<ResolversTypes['ShippingAddress'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  mode?: Resolver<ResolversTypes['AddressChangeMode'], ParentType, ContextType>;
  order?: Resolver<ResolversTypes['Order'], ParentType, ContextType>;
  outcomes?: Resolver<Array<ResolversTypes['AddressChangeOutcome']>, ParentType, ContextType>;
  requestedAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['AddressChangeStatus'], ParentType, ContextType>;
}>;

export type AddressChangeOutcomeResolvers<ContextType = Context, ParentType extends ResolversParentTypes['AddressChangeOutcome'] = ResolversParentTypes['AddressChangeOutcome']> = ResolversObject<{
  at?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  detail?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  elementId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  result?: Resolver<ResolversTypes['ChangeResult'], ParentType, ContextType>;
}>;

export type CancellationResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Cancellation'] = ResolversParentTypes['Cancellation']> = ResolversObject<{
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  order?: Resolver<ResolversTypes['Order'], ParentType, ContextType>;
  outcomes?: Resolver<Array<ResolversTypes['CancellationOutcome']>, ParentType, ContextType>;
  reason?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  refundAmount?: Resolver<Maybe<ResolversTypes['Money']>, ParentType, ContextType>;
  requestedAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['CancellationStatus'], ParentType, ContextType>;
}>;

export type CancellationOutcomeResolvers<ContextType = Context, ParentType extends ResolversParentTypes['CancellationOutcome'] = ResolversParentTypes['CancellationOutcome']> = ResolversObject<{
  at?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  detail?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  elementId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  result?: Resolver<ResolversTypes['ChangeResult'], ParentType, ContextType>;
}>;

export type CustomerResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Customer'] = ResolversParentTypes['Customer'], FederationReferenceType extends FederationReferenceTypes['Customer'] = FederationReferenceTypes['Customer']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Customer']> | FederationReferenceType, FederationReferenceType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  orders?: Resolver<Maybe<ResolversTypes['OrderConnection']>, ParentType, ContextType, RequireFields<CustomerOrdersArgs, 'first'>>;
}>;

export type MoneyResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Money'] = ResolversParentTypes['Money']> = ResolversObject<{
  amount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  currency?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type MutationResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = ResolversObject<{
  cancelOrder?: Resolver<ResolversTypes['Cancellation'], ParentType, ContextType, RequireFields<MutationCancelOrderArgs, 'input'>>;
  changeShippingAddress?: Resolver<ResolversTypes['AddressChange'], ParentType, ContextType, RequireFields<MutationChangeShippingAddressArgs, 'input'>>;
  payOrder?: Resolver<ResolversTypes['Order'], ParentType, ContextType, RequireFields<MutationPayOrderArgs, 'input'>>;
  placeOrder?: Resolver<ResolversTypes['Order'], ParentType, ContextType, RequireFields<MutationPlaceOrderArgs, 'input'>>;
  receiveChargeResult?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationReceiveChargeResultArgs, 'queue' | 'result'>>;
  recordAddressChangeOutcome?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationRecordAddressChangeOutcomeArgs, 'input'>>;
  recordCancellationOutcome?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationRecordCancellationOutcomeArgs, 'input'>>;
  recordProgress?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationRecordProgressArgs, 'input'>>;
  recordReturnReceived?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationRecordReturnReceivedArgs, 'input'>>;
  requestReturn?: Resolver<ResolversTypes['Return'], ParentType, ContextType, RequireFields<MutationRequestReturnArgs, 'input'>>;
  resolveOrdersException?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationResolveOrdersExceptionArgs, 'action' | 'elementId' | 'queue'>>;
  stageCompleted?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationStageCompletedArgs, 'shipment' | 'stage'>>;
  stopOrder?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationStopOrderArgs, 'orderId' | 'reason'>>;
}>;

export type OrderResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Order'] = ResolversParentTypes['Order'], FederationReferenceType extends FederationReferenceTypes['Order'] = FederationReferenceTypes['Order']> = ResolversObject<{
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Order']> | FederationReferenceType, FederationReferenceType, ContextType>;
  addressChanges?: Resolver<Array<ResolversTypes['AddressChange']>, ParentType, ContextType>;
  cancellation?: Resolver<Maybe<ResolversTypes['Cancellation']>, ParentType, ContextType>;
  customer?: Resolver<Maybe<ResolversTypes['Customer']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lines?: Resolver<Array<ResolversTypes['OrderLine']>, ParentType, ContextType>;
  payBy?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  paymentMethod?: Resolver<ResolversTypes['OrderPaymentMethod'], ParentType, ContextType>;
  placedAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  returns?: Resolver<Array<ResolversTypes['Return']>, ParentType, ContextType>;
  shipmentProgress?: Resolver<Array<ResolversTypes['ShipmentProgress']>, ParentType, ContextType>;
  shippingAddress?: Resolver<ResolversTypes['ShippingAddress'], ParentType, ContextType>;
  shippingMethod?: Resolver<ResolversTypes['ShippingMethod'], ParentType, ContextType>;
  stage?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['OrderStatus'], ParentType, ContextType>;
  total?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  trackingToken?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  waitForStockUntil?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
}>;

export type OrderConnectionResolvers<ContextType = Context, ParentType extends ResolversParentTypes['OrderConnection'] = ResolversParentTypes['OrderConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['OrderEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type OrderEdgeResolvers<ContextType = Context, ParentType extends ResolversParentTypes['OrderEdge'] = ResolversParentTypes['OrderEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Order'], ParentType, ContextType>;
}>;

export type OrderLineResolvers<ContextType = Context, ParentType extends ResolversParentTypes['OrderLine'] = ResolversParentTypes['OrderLine']> = ResolversObject<{
  lineTotal?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  product?: Resolver<Maybe<ResolversTypes['Product']>, ParentType, ContextType>;
  quantity?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  unitPrice?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
}>;

export type OrderPaymentMethodResolvers<ContextType = Context, ParentType extends ResolversParentTypes['OrderPaymentMethod'] = ResolversParentTypes['OrderPaymentMethod']> = ResolversObject<{
  brand?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  last4?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type PageInfoResolvers<ContextType = Context, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = ResolversObject<{
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
}>;

export type ProductResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Product'] = ResolversParentTypes['Product']> = ResolversObject<{
  sku?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type QueryResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = ResolversObject<{
  addressChange?: Resolver<Maybe<ResolversTypes['AddressChange']>, ParentType, ContextType, RequireFields<QueryAddressChangeArgs, 'id'>>;
  cancellation?: Resolver<Maybe<ResolversTypes['Cancellation']>, ParentType, ContextType, RequireFields<QueryCancellationArgs, 'id'>>;
  order?: Resolver<Maybe<ResolversTypes['Order']>, ParentType, ContextType, RequireFields<QueryOrderArgs, 'id'>>;
  orders?: Resolver<ResolversTypes['OrderConnection'], ParentType, ContextType, RequireFields<QueryOrdersArgs, 'first'>>;
}>;

export type ReturnResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Return'] = ResolversParentTypes['Return']> = ResolversObject<{
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  quantity?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  reason?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  receivedAt?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  refundAmount?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  requestedAt?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  sku?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ReturnStatus'], ParentType, ContextType>;
}>;

export type ShipmentProgressResolvers<ContextType = Context, ParentType extends ResolversParentTypes['ShipmentProgress'] = ResolversParentTypes['ShipmentProgress']> = ResolversObject<{
  detail?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  distributionCenter?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  shipmentId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['OrderStatus'], ParentType, ContextType>;
}>;

export type ShippingAddressResolvers<ContextType = Context, ParentType extends ResolversParentTypes['ShippingAddress'] = ResolversParentTypes['ShippingAddress']> = ResolversObject<{
  city?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  country?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  line1?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  line2?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  postalCode?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type Resolvers<ContextType = Context> = ResolversObject<{
  AddressChange?: AddressChangeResolvers<ContextType>;
  AddressChangeOutcome?: AddressChangeOutcomeResolvers<ContextType>;
  Cancellation?: CancellationResolvers<ContextType>;
  CancellationOutcome?: CancellationOutcomeResolvers<ContextType>;
  Customer?: CustomerResolvers<ContextType>;
  Money?: MoneyResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  Order?: OrderResolvers<ContextType>;
  OrderConnection?: OrderConnectionResolvers<ContextType>;
  OrderEdge?: OrderEdgeResolvers<ContextType>;
  OrderLine?: OrderLineResolvers<ContextType>;
  OrderPaymentMethod?: OrderPaymentMethodResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Product?: ProductResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  Return?: ReturnResolvers<ContextType>;
  ShipmentProgress?: ShipmentProgressResolvers<ContextType>;
  ShippingAddress?: ShippingAddressResolvers<ContextType>;
}>;

