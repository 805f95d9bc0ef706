import type { Collection, Db, ObjectId } from 'mongodb';
import { REFUSED, VersionedDocuments, type Head } from '../../kit/versioned.ts';
import { ensureIndex, findByIds } from '../../kit/mongo.ts';
import { pageOfRows, type Connection, type PageRequest, type TimeOrdering } from '../../kit/paging.ts';
import { SlotLists, type SlotDoc } from '../../kit/slot-lists.ts';
import { parseId } from '../../kit/ids.ts';

// The only code that touches the customers collections.

export const regionCodes = ['US', 'UK', 'DE'] as const;
export type RegionCode = (typeof regionCodes)[number];
export type CardBrandCode = 'VISA' | 'MASTERCARD' | 'AMEX' | 'OTHER';

export interface AddressDoc {
  id: string;
  line1: string;
  line2?: string | null;
  city: string;
  postalCode: string;
  country: string;
}

export interface PaymentMethodDoc {
  id: string;
  token: string;
  brand: CardBrandCode;
  last4: string;
  expMonth: number;
  expYear: number;
}

export interface CustomerDoc {
  _id: ObjectId;
  name: string;
  email: string;
  homeRegion: RegionCode;
  addresses: AddressDoc[];
  paymentMethods: PaymentMethodDoc[];
  createdAt: Date;
  /**
   * The 15-second slot `createdAt` falls in (kit/slot-lists.ts), written with the customer at this
   * copy: the list of customers grows with the business and is read a slot at a time. Absent on
   * customers stored before.
   */
  createdSlot?: number;
  /**
   * Bumped by every change; see kit/versioned.ts. New customers start at 0. A regional
   * replica stores the home copy's version with each state it takes in.
   */
  version: number;
  /** On a regional replica: when this version arrived from the home copy. */
  replicatedAt?: Date;
  /** On a regional replica, in answers only (never stored): writes made there for this customer that home has not confirmed yet. */
  unconfirmedWrites?: number;
}

/** What a change to a customer may touch: everything but its id and version. */
export type CustomerState = Omit<CustomerDoc, '_id' | 'version'>;

/** A change that finds the customer already as it should be (the write was applied before). */
export const UNCHANGED = Symbol('unchanged');

/**
 * The most addresses and cards one customer keeps: every change puts the whole customer into the
 * replication log, so without a bound a customer who adds thousands makes each entry, and the
 * log, grow without end.
 */
export const MAX_ADDRESSES = 50;
export const MAX_PAYMENT_METHODS = 20;

/** `items` with `item` appended; UNCHANGED when one with its id is there (the write applied before) or `max` are. */
function appended<T extends { id: string }>(items: readonly T[] | undefined, item: T, max: number): T[] | typeof UNCHANGED {
  const held = items ?? [];
  return held.some((existing) => existing.id === item.id) || held.length >= max ? UNCHANGED : [...held, item];
}

export class CustomerStore {
  readonly customers: Collection<CustomerDoc>;
  /**
   * Every change to an existing customer is claimed as a new version in
   * `customerHistory` before the head (the `customers` document) is written, so
   * concurrent changes on FerretDB, whose `$push` is read-modify-write, are never lost.
   */
  private readonly versions: VersionedDocuments<CustomerState, ObjectId>;
  /**
   * The customers list, read a time slot at a time on FerretDB's PostgreSQL handler, which would
   * otherwise read and sort in Go every customer for each page.
   */
  private readonly slotted: SlotLists<CustomerDoc>;

  constructor(db: Db) {
    this.customers = db.collection<CustomerDoc>('customers');
    this.versions = new VersionedDocuments<CustomerState, ObjectId>(
      this.customers as unknown as Collection<Head<CustomerState, ObjectId>>,
      db.collection('customerHistory'),
      { createHeads: false }, // customers are created by addCustomer's insert
    );
    this.slotted = new SlotLists(this.customers, db.collection<SlotDoc>('customer_list_slots'), newestFirst, 'createdSlot');
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndex(this.customers, { email: 1 }, { unique: true, name: 'email_unique' });
    await ensureIndex(this.customers, { createdAt: -1, _id: -1 }, { name: 'by_created' });
    await ensureIndex(this.customers, { createdSlot: -1, createdAt: -1, _id: -1 }, { name: 'by_created_slot' });
    await this.slotted.ensureIndexes();
    await this.versions.ensureIndexes();
  }

  /** One query (or, on FerretDB, one `_id` lookup each) for a whole batch of entity lookups. */
  async findByIds(ids: readonly ObjectId[]): Promise<CustomerDoc[]> {
    if (ids.length === 0) return [];
    return findByIds(this.customers, ids);
  }

  /** A page of customers, newest first. */
  async list(page: PageRequest): Promise<Connection<CustomerDoc>> {
    return this.slotted.page(EVERY_CUSTOMER, {}, page);
  }

  /** The stored rows a page is made from (one more than the page when there is a next), for a copy that adds its queued writes. */
  async listRows(page: PageRequest): Promise<CustomerDoc[]> {
    return this.slotted.pageRows(EVERY_CUSTOMER, {}, page);
  }

  /** A page made from customers already read (stored ones with queued writes applied), in the list's order. */
  pageOf(customers: readonly CustomerDoc[], page: PageRequest): Connection<CustomerDoc> {
    return pageOfRows(customers, newestFirst, page);
  }

  /** Throws a duplicate-key error when the email is taken. */
  async insert(customer: CustomerDoc): Promise<CustomerDoc> {
    const listed = await this.listed(customer);
    await this.customers.insertOne(listed);
    return listed;
  }

  /**
   * `customer` with the slot of its `createdAt`, named in the list first (kit/slot-lists.ts): call
   * before storing it. (One created before this version, on a copy that had customers then, keeps
   * none: see `SlotLists.slotting`.)
   */
  private async listed(customer: CustomerDoc): Promise<CustomerDoc> {
    const { createdSlot: _, ...unslotted } = customer;
    const createdSlot = (await this.slotted.slotting())(customer.createdAt);
    if (createdSlot === undefined) return unslotted;
    await this.slotted.note([EVERY_CUSTOMER], createdSlot);
    return { ...unslotted, createdSlot };
  }

  async findById(id: ObjectId): Promise<CustomerDoc | null> {
    return this.customers.findOne({ _id: id });
  }

  /** On FerretDB a scan of the collection; used only to refuse a taken email early at a replica. */
  async findByEmail(email: string): Promise<CustomerDoc | null> {
    return this.customers.findOne({ email });
  }

  /**
   * Appends an address unless one with its id is there already (the same write applied
   * before) or the customer has MAX_ADDRESSES (the customer comes back without it); null when
   * there is no such customer. Safe under concurrent writers in any number of processes.
   */
  async addAddress(id: ObjectId, address: AddressDoc): Promise<CustomerDoc | null> {
    return this.change(id, (customer) => {
      const addresses = appended(customer.addresses, address, MAX_ADDRESSES);
      return addresses === UNCHANGED ? UNCHANGED : { ...customer, addresses };
    });
  }

  /** Appends a payment method as addAddress appends an address, up to MAX_PAYMENT_METHODS. */
  async addPaymentMethod(id: ObjectId, method: PaymentMethodDoc): Promise<CustomerDoc | null> {
    return this.change(id, (customer) => {
      const paymentMethods = appended(customer.paymentMethods, method, MAX_PAYMENT_METHODS);
      return paymentMethods === UNCHANGED ? UNCHANGED : { ...customer, paymentMethods };
    });
  }

  /**
   * Applies `apply` to an existing customer through VersionedDocuments; null when there
   * is no such customer, the customer as it is when `apply` answers UNCHANGED. `apply`
   * may run more than once (once per attempt).
   */
  private async change(id: ObjectId, apply: (customer: CustomerState) => CustomerState | typeof UNCHANGED): Promise<CustomerDoc | null> {
    const key = id;
    for (let attempt = 0; ; attempt++) {
      let unversioned = false;
      let unchanged = null as CustomerDoc | null;
      const head = await this.versions.update(key, (current) => {
        unversioned = false;
        unchanged = null;
        if (!current) return REFUSED;
        if (typeof current.version !== 'number') {
          unversioned = true;
          return REFUSED;
        }
        const { _id, version, ...state } = current;
        const next = apply(state);
        if (next === UNCHANGED) {
          unchanged = current as unknown as CustomerDoc;
          return REFUSED;
        }
        return next;
      });
      if (head !== REFUSED) return head as unknown as CustomerDoc;
      if (unchanged) return unchanged;
      if (!unversioned) return null;
      if (attempt > 0) throw new Error(`customer ${id.toHexString()} still has no version after it was given one`);
      // A customer stored before documents carried a version: a head without one can never
      // be replaced (the head write is conditional on an older version), so give it version 0 first.
      await this.customers.updateOne({ _id: id, version: { $exists: false } }, { $set: { version: 0 } });
    }
  }

  /** Idempotent: inserts the customer unless one with the same id exists. */
  async upsert(customer: CustomerDoc): Promise<void> {
    await this.customers.updateOne({ _id: customer._id }, { $setOnInsert: await this.listed(customer) }, { upsert: true });
  }

  /** Every customer, for the home copy's start-up check that each current version is in the replication log. */
  all(): AsyncIterable<CustomerDoc> {
    return this.customers.find();
  }

  /**
   * On a regional replica: stores a state taken in from the home copy unless this copy
   * already holds that version or a newer one (so a state arriving twice, or late, changes
   * nothing). The caller makes sure one state per customer is applied at a time.
   */
  async applyReplicated(state: CustomerDoc): Promise<boolean> {
    const existing = await this.customers.findOne({ _id: state._id }, { projection: { version: 1 } });
    if (existing && (existing.version ?? 0) >= state.version) return false;
    await this.customers.replaceOne({ _id: state._id }, { ...(await this.listed(state)), replicatedAt: new Date() }, { upsert: true });
    return true;
  }
}

/** The one list of customers, in the directory of slots. */
const EVERY_CUSTOMER = '*';

/** Newest first by when the customer was created (at whichever copy), ties by id. */
const newestFirst: TimeOrdering<CustomerDoc, ObjectId> = {
  list: 'customers',
  timeField: 'createdAt',
  direction: 'desc',
  timeOf: (customer) => customer.createdAt,
  idOf: (customer) => customer._id.toHexString(),
  parseId: (id) => parseId(id, 'after'),
};
