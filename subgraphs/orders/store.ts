import type { Collection, Db, Filter, ObjectId } from 'mongodb';
import type { GraphQLClient } from '../../kit/graphql-client.ts';
import { DurableQueue } from '../../kit/queue.ts';
import { sendNow, sendNowOrPost, type SendNow, type SendNowOrPost } from '../../kit/send-now.ts';
import { REFUSED, VersionedDocuments, type Head } from '../../kit/versioned.ts';
import { exceptionFor, type RaisedException } from '../../pipeline/exceptions.ts';
import type { ChargeResultPayload, ShipmentPayload } from '../../pipeline/messages.ts';
import type { TransitionPayload } from '../../pipeline/tracking.ts';
import { ensureIndex, findByIds, isDuplicateKeyError, retireIndex } from '../../kit/mongo.ts';
import { recordsFromJson } from '../../kit/json-records.ts';
import { findPage, type Connection, type PageRequest, type TimeOrdering } from '../../kit/paging.ts';
import { BUSY_DAY_ROWS, CUSTOMER_LISTS, ownerSlotKey, SlotLists, slotOf, type SlotDoc } from '../../kit/slot-lists.ts';
import { parseId } from '../../kit/ids.ts';

// The only code that touches the orders collections.

export type OrderStatusCode =
  | 'PLACED'
  | 'CHARGING'
  | 'RESERVING'
  | 'PICKING'
  | 'REBIN'
  | 'SHIPPING'
  | 'PARTLY_SHIPPED'
  | 'SHIPPED'
  | 'PAYMENT_DECLINED'
  | 'OUT_OF_STOCK'
  | 'CANCELLED';

export type ShippingMethodCode = 'STANDARD' | 'EXPRESS';

export interface MoneyDoc {
  amount: number;
  currency: string;
}

/**
 * A line carries what later stages need (title, weight, price) so the order can
 * travel through the pipeline without anyone reading the catalog again.
 */
export interface OrderLineDoc {
  sku: string;
  title: string;
  weightGrams: number;
  quantity: number;
  unitPrice: MoneyDoc;
}

export interface ShippingAddressDoc {
  name: string;
  line1: string;
  line2?: string | null;
  city: string;
  postalCode: string;
  country: string;
}

export interface OrderPaymentDoc {
  id: string;
  token: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

export interface ShipmentProgressDoc {
  shipmentId: string;
  distributionCenter: string;
  /** CANCELLED once a cancellation pulled it. */
  status: OrderStatusCode;
  detail: string | null;
  /** What it carries (absent on shipments made before cancellations): what a cancellation that pulls it refunds. */
  lines?: { sku: string; quantity: number }[];
  /** A person cancelled it from exceptions (`stopOrder`): what it carries is refunded apart, by its id. */
  stopped?: true;
  /**
   * The moves its latest progress report carried (the one that handed it over, its stage's own),
   * as JSON text: an order's move follows its slowest shipment, so the moves of every shipment
   * are told before it (OrderTransitionDoc.causes), not only those of the shipment that reported last.
   */
  movesJson?: string | null;
}

export type AddressChangeModeCode = 'ASYNCHRONOUS' | 'COORDINATOR' | 'SYNCHRONOUS';

export interface AddressChangeOutcomeDoc {
  /** A shipment id, or the order id when the change reached the order before it was split. */
  elementId: string;
  node: string;
  result: 'APPLIED' | 'REJECTED';
  detail: string | null;
  at: Date;
}

/** A change of the order's shipping address while in flight; see address-changes.ts. */
export interface AddressChangeDoc {
  id: string;
  /** The order's address version this change makes (one more than the one before). */
  version: number;
  mode: AddressChangeModeCode;
  address: ShippingAddressDoc;
  idempotencyKey: string | null;
  requestedAt: Date;
  /** The order's shipping address when this change was asked for (absent on changes recorded before it was kept). */
  previousAddress?: ShippingAddressDoc;
  /** The elements that each need an outcome: the order's shipments, or the order itself before it had any. */
  scope: string[];
  outcomes: AddressChangeOutcomeDoc[];
}

export interface CancellationOutcomeDoc {
  /** A shipment id, or the order id when the cancellation reached the order before it was split. */
  elementId: string;
  node: string;
  result: 'APPLIED' | 'REJECTED';
  detail: string | null;
  at: Date;
  /** The pulled shipment's moves the node reported with it (JSON, as `ShipmentProgressDoc.movesJson`): causes of the order's move the cancellation makes. */
  movesJson?: string;
}

/** A customer's or support's cancellation of the order; see cancellations.ts. */
export interface CancellationDoc {
  id: string;
  reason: string;
  idempotencyKey: string;
  requestedAt: Date;
  /** The elements that each need an outcome: the order's shipments, or the order itself before it had any. */
  scope: string[];
  outcomes: CancellationOutcomeDoc[];
  /** When every element had its outcome and the order was settled; null until then. */
  concludedAt: Date | null;
  /** What payments is asked to refund, set when concluded (null: nothing was charged for what was pulled). */
  refund: { refundId: string; chargeId: string; amount: MoneyDoc } | null;
  /** The exception the order waited in when it was cancelled, which nobody need act on any more. */
  closesException?: RaisedException | null;
}

/** A customer sends a shipped line back; refunded once receiving has the items (see returns.ts). */
export interface ReturnDoc {
  id: string;
  sku: string;
  quantity: number;
  reason: string;
  idempotencyKey: string;
  status: 'AWAITING_ITEM' | 'RECEIVED';
  /** What it was charged at: what is refunded once it is back. */
  amount: MoneyDoc;
  requestedAt: Date;
  receivedAt: Date | null;
  /** The receipt that brought it back. */
  receiptId: string | null;
}

/** A cancellation as the graph shows it: with its order. */
export interface CancellationView {
  order: OrderDoc;
  cancellation: CancellationDoc;
}

/** A change as the graph shows it: with its order, whose id and shipments it speaks of. */
export interface AddressChangeView {
  order: OrderDoc;
  change: AddressChangeDoc;
}

export interface OrderDoc {
  _id: ObjectId;
  version: number;
  idempotencyKey: string;
  /** What the client asked for, so a reused idempotency key with a different request is caught. */
  requestHash: string;
  status: OrderStatusCode;
  stage: string | null;
  customerId: string;
  customerEmail: string;
  lines: OrderLineDoc[];
  total: MoneyDoc;
  shippingMethod: ShippingMethodCode;
  shippingAddress: ShippingAddressDoc;
  /** How many times the address was changed in flight (absent: never); shipments carry the version they have. */
  addressVersion?: number;
  addressChanges?: AddressChangeDoc[];
  /** Returns of shipped lines, oldest first. */
  returns?: ReturnDoc[];
  /** The one cancellation asked for, if any. */
  cancellation?: CancellationDoc | null;
  paymentMethod: OrderPaymentDoc;
  /** Charge requests made so far; the next one is `${orderId}:charge:${chargeAttempts + 1}`. */
  chargeAttempts: number;
  chargeId: string | null;
  /**
   * The exception the coordinator raised when it last sent the order to exceptions (PAYMENT_DECLINED,
   * OUT_OF_STOCK): a cancellation while the order waits there closes it. Absent on orders stored before.
   */
  openException?: RaisedException | null;
  /**
   * When an order whose card was declined is cancelled unless paid again (subgraphs/orders/unpaid.ts):
   * set with each decline. Absent on orders declined before it was kept (the sweep sets it).
   */
  payBy?: Date | null;
  /**
   * When an order short of stock is cancelled and refunded unless stock came in first (restocked.ts):
   * set when it first goes OUT_OF_STOCK. Absent on orders that went there before it was kept (the
   * worker's pass sets it).
   */
  waitForStockUntil?: Date | null;
  /** When the orders worker last retried this OUT_OF_STOCK order as stock came in and found it short after all (restocked.ts). */
  restockTriedAt?: Date | null;
  shipments: ShipmentProgressDoc[];
  /**
   * The order's status changes (see order-transitions.ts), oldest first, each written with the
   * change itself. One of its own (a shipment's progress, a cancellation) stays unsent until the
   * outbox holds it, so none is lost to a crash in between, also when a later change overtakes
   * it. The coordinator's moves are written here as sent: its step's messages carry them. Each
   * message to tracking carries the order's transitions up to its own, so a move whose step
   * never finished (the order was cancelled meanwhile) reaches tracking with the next.
   * Stored as `transitionsJson` by this version, as objects by earlier ones: read them with `transitionsOf`.
   */
  transitions?: OrderTransitionDoc[];
  /**
   * The same as JSON text, as this version writes them: FerretDB 1.24 keeps a type schema beside
   * every object of an array and reads and writes it field by field, and an order is read about
   * twenty times on its way; with a dozen transitions as text, FerretDB spends a third less CPU on
   * each read and a quarter less on each write (docs/benchmarks.md, "2026-12-05"). The version
   * before this one (`cbefacb`) reads both forms and writes `transitions`, so a rollback to it, or
   * its processes beside these during an upgrade, read orders written here; orders written by
   * earlier versions are still read (`transitionsOf`) and written back as text by their next change.
   */
  transitionsJson?: string;
  /**
   * Present (true) while one of `transitions` is unsent: the orders worker's sweep finds an order
   * whose sending died with its process (a cancel's, between its write and its post) by it.
   */
  transitionsUnsent?: true;
  placedAt: Date;
  /** The 15-second slot `placedAt` falls in (kit/slot-lists.ts); absent on orders placed before lists were read by the slot. */
  placedSlot?: number;
  /** `<customerId>|<day>`: the customer's list's slot (kit/slot-lists.ts, `CUSTOMER_LISTS`); absent on orders placed before it. */
  customerDay?: string;
  /** `<customerId>|<second>`: the one-second tick of the customer's list, read by tick on a busy day (kit/slot-lists.ts, `BusySlots`); absent on orders placed before it. */
  customerTick?: string;
  updatedAt: Date;
}

export interface OrderTransitionDoc {
  from: OrderStatusCode;
  to: OrderStatusCode;
  at: Date;
  detail: string | null;
  /** Tells apart repeats of the same move (a second charge attempt), as in its transition id. */
  key?: string | null;
  /** When the outbox took it for tracking (a coordinator's move: when it was made, its step's messages carry it); null until then. */
  sentAt: Date | null;
  /**
   * The moves of its shipment that made it (the stage's progress report carries them): every
   * message that tells tracking of this move tells them first, so that the log never has the order
   * PARTLY_SHIPPED before a shipment shipped, whichever of those messages arrives first.
   */
  causes?: TransitionPayload[] | null;
}

/** The time `ms` after `from`: an order's `payBy` after a decline, its `waitForStockUntil` after it ran short. */
export const deadlineAfter = (from: Date, ms: number) => new Date(from.getTime() + ms);

/**
 * An order's transitions, however they were stored: as objects, or as JSON text (`transitionsJson`).
 * Text is read as leniently as objects: only the times present are made dates again, so a field
 * left out stays out (a `sentAt` left out is unsent, as in an object) rather than an invalid date.
 */
export function transitionsOf(order: Pick<OrderDoc, 'transitions' | 'transitionsJson'>): OrderTransitionDoc[] {
  if (order.transitionsJson == null) return order.transitions ?? [];
  return recordsFromJson<OrderTransitionDoc>(order.transitionsJson, ['at', 'sentAt']);
}

/**
 * The order's state to write, with these transitions in the form this version writes (JSON text,
 * see `transitionsJson`) and the form it was read in dropped, so that it never holds both.
 */
function withTransitions({ _id, version, transitions: _objects, transitionsJson: _text, transitionsUnsent: _unsent, ...state }: OrderDoc, transitions: OrderTransitionDoc[]): OrderState {
  if (transitions.length === 0) return state;
  return { ...state, transitionsJson: JSON.stringify(transitions), ...(transitions.some((t) => !t.sentAt) ? { transitionsUnsent: true } : {}) };
}

/**
 * The order as placeOrder stores it when it sends the first charge request itself (place-order.ts):
 * CHARGING from the start, so that a charge result, or a cancellation's refund, finds the attempt
 * it belongs to however soon it comes. The move is written unsent, and marked sent once the
 * request and the move are known to have gone; until then the orders worker's sweep finds it.
 */
export function chargingOnPlacement(order: OrderDoc): OrderDoc {
  const move: OrderTransitionDoc = { ...PLACEMENT_MOVE, at: order.placedAt, detail: null, key: null, sentAt: null };
  return { ...withTransitions(order, [...transitionsOf(order), move]), _id: order._id, version: order.version, status: 'CHARGING', stage: 'payments', chargeAttempts: 1 };
}

/**
 * The coordination step of an order's charge attempt (from 1). Whoever starts an attempt (placement,
 * a person's retry, the customer paying again) names it so: one attempt is one step, never two.
 */
export const chargeStepId = (orderId: string, attempt: number) => `charge:${orderId}:${attempt}`;
const firstStepId = (orderId: string) => chargeStepId(orderId, 1);

/** The move a first charge attempt makes (the coordinator's first step, or placeOrder as it stores the order). */
export const PLACEMENT_MOVE = { from: 'PLACED', to: 'CHARGING' } as const;

/** The placement's move to CHARGING is written and not yet known to have reached tracking. */
export const placementMoveUnsent = (order: OrderDoc) => transitionsOf(order).some((t) => !t.sentAt && t.from === PLACEMENT_MOVE.from && t.to === PLACEMENT_MOVE.to);

/** Placed CHARGING (`chargingOnPlacement`), its first charge request not yet known to have gone. */
export const placementUnsent = (order: OrderDoc) => order.status === 'CHARGING' && order.chargeAttempts === 1 && placementMoveUnsent(order);

export interface CustomerRef {
  id: string;
}

export interface ProductRef {
  sku: string;
}

export interface PublicationNote {
  _id: string;
  orderId: string;
  at: Date;
}

/** Where the coordinator parks an order in exceptions, waiting for a person (on `openException`). */
export const WAITING_FOR_A_PERSON: readonly OrderStatusCode[] = ['PAYMENT_DECLINED', 'OUT_OF_STOCK'];

/** A charge attempt the customer started by paying a declined order again: the card, and the decline's exception it closes. */
export interface PaidAgain {
  paymentMethod: OrderPaymentDoc;
  closesException: RaisedException | null;
}

/** Work for the coordinator: one step of one order's journey. */
export type CoordinationStep =
  | {
      kind: 'charge';
      orderId: string;
      /** The customer paying a declined order again (payOrder): the card to charge this attempt, and the exception the decline opened, closed once the attempt starts. */
      paidAgain?: PaidAgain;
    }
  | {
      kind: 'reserve';
      orderId: string;
      /** Retried by the orders worker once stock covered every line (restocked.ts): the exception the order waited in, closed when its stock is reserved. */
      restocked?: { closesException: RaisedException | null };
    }
  /** A declined order left unpaid past its `payBy`, cancelled (unpaid.ts); stored under the id of the charge attempt it takes from a payment. */
  | { kind: 'expire'; orderId: string; /** The charge attempts it had when swept: a later decline's order is not this one to cancel. */ attempts: number }
  | { kind: 'release'; orderId: string; /** One centre's part only (a shipment stopped after the split). */ distributionCenter?: string }
  | { kind: 'address-change'; orderId: string; changeId: string }
  | { kind: 'cancellation'; orderId: string; cancellationId: string }
  | { kind: 'forward'; stage: string; shipment: ShipmentPayload };

type OrderState = Omit<OrderDoc, '_id' | 'version'>;

/**
 * A change to an order. One that moves its status and gives `transition` records the move as
 * one of the order's transitions for tracking (with why, its detail); `carried`: written as sent,
 * because what made it sends it itself (a coordinator's step, a stage's progress report) and is
 * run again until it has (see sendProgress).
 */
export type OrderPatch = Omit<Partial<OrderState>, 'transitions' | 'transitionsJson'> & {
  transition?: { detail: string | null; key?: string; carried?: boolean; causes?: TransitionPayload[] };
};

export class OrderStore {
  readonly orders: Collection<OrderDoc>;
  private readonly cas: VersionedDocuments<OrderState, ObjectId>;
  /** The coordinator's work: charge, reserve, forward (directed routing). */
  readonly coordination: DurableQueue<CoordinationStep>;
  /** The persistent queue this service names when it asks payments for a charge. */
  readonly chargeResults: DurableQueue<ChargeResultPayload>;
  /** Messages that belong to no step (what an address change did, decided outside a worker). */
  readonly reports: DurableQueue<null>;
  /** The order's own transitions, to tracking: at once when it answers, else through `reports` (kit/send-now.ts). */
  readonly toTracking: SendNowOrPost;
  /** Messages to payments at once, where this process may call it (placeOrder's first charge request). */
  readonly chargeNow: SendNow;
  /** Whether placeOrder stores orders CHARGING and sends their first charge request itself (it can call payments). */
  readonly chargesOnPlacement: boolean;
  /** Address changes being recorded, until their publication is enqueued (a few at a time). */
  private readonly notes: Collection<PublicationNote>;
  /** The lists of every order and of those SHIPPED or CANCELLED, read a time slot at a time on FerretDB. */
  private readonly slotted: SlotLists<OrderDoc>;
  /** Each customer's own list, read a day at a time on FerretDB (`customerDay`), a busy day a tick at a time (`customerTick`). */
  private readonly customerLists: SlotLists<OrderDoc>;

  /** `tracking`, `payments`: clients for those services, where this process may call them (the orders service does). */
  constructor(db: Db, options: { tracking?: GraphQLClient; payments?: GraphQLClient } = {}) {
    this.orders = db.collection<OrderDoc>('orders');
    // Orders are created by placeOrder's insert; the compare-and-swap only ever changes them.
    this.cas = new VersionedDocuments<OrderState, ObjectId>(this.orders as unknown as Collection<Head<OrderState, ObjectId>>, db.collection('orderHistory'), {
      createHeads: false,
    });
    const exceptionMessage = (queue: string) => (item: { _id: string; payload: unknown }, reason: string) =>
      exceptionFor({ service: 'orders', queue, elementId: item._id, orderId: orderIdOf(item.payload), reason });
    // A refused hand-off is found by its order when the order is cancelled (cancellations.ts, pullRefusedHandOffs).
    const refusalKey = (item: { payload: unknown }) => orderIdOf(item.payload);
    this.coordination = new DurableQueue(db, 'coordination', { exceptionMessage: exceptionMessage('coordination'), refusalKey });
    this.chargeResults = new DurableQueue(db, 'charge-results', { exceptionMessage: exceptionMessage('charge-results'), refusalKey });
    this.reports = new DurableQueue(db, 'reports', { postsOnly: true });
    this.toTracking = sendNowOrPost(this.reports, sendNow(options.tracking));
    this.chargeNow = sendNow(options.payments);
    this.chargesOnPlacement = options.payments !== undefined;
    this.notes = db.collection<PublicationNote>('change_publication_notes');
    this.slotted = new SlotLists(this.orders, db.collection<SlotDoc>('order_list_slots'), newestPlacedFirst, 'placedSlot');
    this.customerLists = new SlotLists(this.orders, db.collection<SlotDoc>('customer_order_days'), newestPlacedFirst, 'customerDay', CUSTOMER_LISTS, ownerSlotKey, {
      field: 'customerTick',
      threshold: BUSY_DAY_ROWS,
    });
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndex(this.orders, { idempotencyKey: 1 }, { unique: true, name: 'idempotency_key_unique' });
    // Lists are newest placed first, ties by id (an id from an idempotency key says nothing of time).
    await ensureIndex(this.orders, { customerId: 1, placedAt: -1, _id: -1 }, { name: 'by_customer_placed' });
    await ensureIndex(this.orders, { status: 1, placedAt: -1, _id: -1 }, { name: 'by_status_placed' });
    await ensureIndex(this.orders, { placedAt: -1, _id: -1 }, { name: 'by_placed' });
    await ensureIndex(this.orders, { placedSlot: -1, placedAt: -1, _id: -1 }, { name: 'by_placed_slot' });
    await ensureIndex(this.orders, { customerDay: 1 }, { name: 'by_customer_day' });
    await ensureIndex(this.orders, { customerTick: 1 }, { name: 'by_customer_tick' });
    await ensureIndex(this.orders, { transitionsUnsent: 1 }, { name: 'by_transitions_unsent' });
    await this.slotted.ensureIndexes();
    await this.customerLists.ensureIndexes();
    // Indexes of earlier versions, ordered by id: they serve no query now and cost every write.
    for (const retired of ['by_customer', 'by_status']) await retireIndex(this.orders, retired);
    await this.cas.ensureIndexes();
    await this.coordination.ensureIndexes();
    await this.chargeResults.ensureIndexes();
    await this.reports.ensureIndexes();
  }

  queue(name: string): DurableQueue<unknown> | undefined {
    if (name === 'coordination') return this.coordination as DurableQueue<unknown>;
    if (name === 'charge-results') return this.chargeResults as DurableQueue<unknown>;
    return undefined;
  }

  /** The orders with these ids; with `customerId`, only that customer's. */
  async findByIds(ids: readonly ObjectId[], customerId?: string): Promise<OrderDoc[]> {
    if (ids.length === 0) return [];
    return findByIds(this.orders, ids, customerId === undefined ? {} : { customerId });
  }

  async findById(id: ObjectId): Promise<OrderDoc | null> {
    return this.orders.findOne({ _id: id });
  }

  /** A page of orders, newest placed first: by customer or status, served by an index that starts with it. */
  async list(filter: { customerId?: string; status?: OrderStatusCode }, page: PageRequest): Promise<Connection<OrderDoc>> {
    const query: Filter<OrderDoc> = {};
    if (filter.customerId) query.customerId = filter.customerId;
    if (filter.status) query.status = filter.status;
    // The lists that grow (with the business, or with one customer's orders) are read a time slot
    // at a time; those in a passing status are few, one query.
    if (filter.customerId) return this.customerLists.page(filter.customerId, query, page);
    if (filter.status && !growingList(filter.status)) return findPage(this.orders, query, newestPlacedFirst, page);
    return this.slotted.page(filter.status ?? EVERY_ORDER, query, page);
  }

  /**
   * Throws a duplicate-key error when an order with the same id or idempotency key exists. Sets
   * `order.placedSlot`, `order.customerDay` and `order.customerTick`: the caller's copy is then the stored order, fit to
   * start a change from.
   */
  async insert(order: OrderDoc): Promise<OrderDoc> {
    order.placedSlot = slotOf(order.placedAt);
    const day = this.customerLists.slotOf(order.placedAt);
    order.customerDay = ownerSlotKey(order.customerId, day);
    order.customerTick = this.customerLists.tickKey(order.customerId, order.placedAt) as string;
    await Promise.all([
      this.slotted.note([EVERY_ORDER, ...(growingList(order.status) ? [order.status] : [])], order.placedSlot),
      this.customerLists.note([order.customerId], day, order.placedAt),
    ]);
    await this.orders.insertOne(order);
    return order;
  }

  async findByIdempotencyKey(key: string): Promise<OrderDoc | null> {
    return this.orders.findOne({ idempotencyKey: key });
  }

  /** Hands the order to the coordinator: its first step, a charge attempt (idempotent by the step's id, so a retried request can always call it). */
  async startJourney(orderId: string): Promise<void> {
    await this.coordination.enqueue(firstStepId(orderId), { kind: 'charge', orderId });
  }

  /**
   * For the orders worker's sweeps: makes sure the order's first step exists. `waiting`: it is
   * waiting, being worked on or parked, found by one lookup (an enqueue's three requests found it
   * there anyway, every 10 s for every order behind a backlog: under a burst of 300 orders, about
   * 10 of an order's 190 database requests); `started`: enqueued now; `finished`: it ran already.
   */
  async ensureJourney(orderId: string): Promise<'waiting' | 'started' | 'finished'> {
    if (await this.coordination.isLive(firstStepId(orderId))) return 'waiting';
    const { created } = await this.coordination.enqueue(firstStepId(orderId), { kind: 'charge', orderId });
    return created ? 'started' : 'finished';
  }

  /** Orders with a transition not yet sent (see `transitionsUnsent`): for a moment after most cancels and placements, for good after a crash. */
  async withUnsentTransitions(limit: number): Promise<OrderDoc[]> {
    return this.orders.find({ transitionsUnsent: true }).limit(limit).toArray();
  }

  /** Orders waiting for stock (OUT_OF_STOCK), the `limit` placed earliest: the orders worker retries them, in that order, as stock comes in. */
  async outOfStock(limit: number): Promise<OrderDoc[]> {
    return this.orders.find({ status: 'OUT_OF_STOCK' }).sort({ placedAt: 1, _id: 1 }).limit(limit).toArray();
  }

  /** Declined orders (PAYMENT_DECLINED) whose `payBy` has passed, earliest first: a handful while customers pay again or let them expire. */
  async declinedPastPayBy(now: Date, limit: number): Promise<OrderDoc[]> {
    return this.orders.find({ status: 'PAYMENT_DECLINED', payBy: { $lte: now } }).sort({ payBy: 1, _id: 1 }).limit(limit).toArray();
  }

  /** Declined orders stored by a version that kept no `payBy` (unpaid.ts gives them one). */
  async declinedWithoutPayBy(limit: number): Promise<OrderDoc[]> {
    return this.orders.find({ status: 'PAYMENT_DECLINED', payBy: null }).limit(limit).toArray();
  }

  /**
   * Gives an order parked in `status` by a version that kept no deadline there (`field`) one, `ms`
   * after its move into `status`: the last such move (each decline sets `payBy` anew) or the first
   * (`waitForStockUntil` runs from when it first ran short); its placement if none is recorded.
   * Written only while it is still there without one; null if it changed meanwhile.
   */
  async giveDeadline(order: OrderDoc, status: OrderStatusCode, field: 'payBy' | 'waitForStockUntil', ms: number, from: 'first' | 'last'): Promise<OrderDoc | null> {
    const moves = transitionsOf(order).filter((move) => move.to === status);
    const deadline = deadlineAfter((from === 'first' ? moves[0] : moves.at(-1))?.at ?? order.placedAt, ms);
    return this.change(order._id, (current) => (current.status === status && !current[field] ? (field === 'payBy' ? { payBy: deadline } : { waitForStockUntil: deadline }) : null), order);
  }

  /** Orders PLACED a while ago whose coordination step may never have been enqueued (a crash in between). */
  async stalePlaced(olderThan: Date, limit: number): Promise<OrderDoc[]> {
    return this.orders.find({ status: 'PLACED', placedAt: { $lt: olderThan } }).limit(limit).toArray();
  }

  /** Notes that a change is being recorded (idempotent), so a crash before its publication is noticed. */
  async notePublication(changeId: string, orderId: string): Promise<void> {
    try {
      await this.notes.insertOne({ _id: changeId, orderId, at: new Date() });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  async forgetPublicationNote(changeId: string): Promise<void> {
    await this.notes.deleteOne({ _id: changeId });
  }

  /** Notes older than `olderThan`: requests that died (or failed) between noting and publishing. */
  async publicationNotes(olderThan: Date, limit: number): Promise<PublicationNote[]> {
    return this.notes.find({ at: { $lt: olderThan } }).limit(limit).toArray();
  }

  /**
   * Compare-and-swap on one order; `change` returns null to leave it unchanged. `known`: the order
   * as the caller just read it, used instead of reading it again (if it changed since, the
   * compare-and-swap notices and reads it).
   */
  async change(id: ObjectId, change: (order: OrderDoc) => OrderPatch | null, known?: OrderDoc): Promise<OrderDoc | null> {
    // An order moving into a list read by the slot has its slot named there first (kit/slot-lists.ts).
    const head = await this.slotted.namingSlots((unnamed) =>
      this.cas.update(id, (current) => {
        if (!current) return REFUSED;
        const patch = change(current as OrderDoc);
        if (!patch) return REFUSED;
        const moves = patch.status && patch.status !== current.status && growingList(patch.status);
        if (moves && unnamed([patch.status!], slotOf(current.placedAt))) return REFUSED;
        return this.changed(current as OrderDoc, patch);
      }, known as Head<OrderState, ObjectId> | undefined),
    );
    return head === REFUSED ? null : (head as OrderDoc);
  }

  /** The order's state after `patch`, with the move it makes recorded as a transition. */
  private changed(current: OrderDoc, patch: OrderPatch): OrderState {
    const { transition, ...fields } = patch;
    const now = new Date();
    const moved = patch.status && patch.status !== current.status;
    const recorded: OrderTransitionDoc[] =
      moved && transition
        ? [{ from: current.status, to: patch.status!, at: now, detail: transition.detail, key: transition.key ?? null, sentAt: transition.carried ? now : null, ...(transition.causes?.length ? { causes: transition.causes } : {}) }]
        : [];
    return { ...withTransitions(current, [...transitionsOf(current), ...recorded]), ...fields, updatedAt: now };
  }

  /**
   * Marks these of the order's transitions (by from and to) sent; not a change of the order, so
   * updatedAt stays. Starts from `order` as the caller just wrote or read it: one read fewer, and
   * if it changed since, the compare-and-swap notices and reads it again.
   */
  async markTransitionsSent(order: OrderDoc, sent: readonly Pick<OrderTransitionDoc, 'from' | 'to'>[]): Promise<void> {
    const isSent = (t: OrderTransitionDoc) => sent.some((s) => s.from === t.from && s.to === t.to);
    await this.cas.update(order._id, (current) => {
      if (!current) return REFUSED;
      const transitions = transitionsOf(current);
      if (!transitions.some((t) => !t.sentAt && isSent(t))) return REFUSED;
      const now = new Date();
      return withTransitions(current as OrderDoc, transitions.map((t) => (!t.sentAt && isSent(t) ? { ...t, sentAt: now } : t)));
    }, order as Head<OrderState, ObjectId>);
  }
}

/** Every order, whatever its status: the list `orders` gives staff without a filter. */
const EVERY_ORDER = '*';

/** Statuses orders stay in: their lists grow with the business, so they are read a time slot at a time. */
const growingList = (status: OrderStatusCode) => status === 'SHIPPED' || status === 'CANCELLED';

const newestPlacedFirst: TimeOrdering<OrderDoc, ObjectId> = {
  list: 'orders',
  timeField: 'placedAt',
  direction: 'desc',
  timeOf: (order) => order.placedAt,
  idOf: (order) => order._id.toHexString(),
  parseId: (id) => parseId(id, 'after'),
};

/** The order a queue element is about (coordination steps and charge results name it differently). */
export function orderIdOf(payload: unknown): string | null {
  const p = payload as { orderId?: string | null; shipment?: { orderId?: string } };
  return p.orderId ?? p.shipment?.orderId ?? null;
}
