import type { Collection, Db, Filter } from 'mongodb';
import { MAX_BIN_QUANTITY } from '../../pipeline/bin-location.ts';
import { tryLater } from '../../kit/errors.ts';
import { byId, ensureIndex, findByIds, findWhereIn, isDuplicateKeyError, retireIndex } from '../../kit/mongo.ts';
import { findPage, type Connection, type Ordering, type PageRequest } from '../../kit/paging.ts';
import { REFUSED, VersionedDocuments, type Head } from '../../kit/versioned.ts';
import { RecentReads } from '../../kit/recent-reads.ts';
import { groupBy } from '../../kit/group.ts';

// The only code that touches the bin-items collection.

export interface BinItemDoc {
  _id: string; // `${distributionCenter}/${bin}/${sku}`: one document per sku per bin
  sku: string;
  distributionCenter: string;
  bin: string;
  quantity: number;
  /** Sum of `holds`: units promised to orders and not yet shipped. */
  reserved: number;
  /** One hold per reservation (order) that promised units from this bin. */
  holds?: HoldDoc[];
  /** Receipts already added here, so a retried receipt is not counted twice (the last 200). */
  recentReceipts?: string[];
  /** Keyed adjustments already made here, so a retried one is not made twice (the last 100). */
  recentAdjustments?: AdjustmentDoc[];
  /** Bumped by every change; see kit/versioned.ts. */
  version: number;
}

export interface AdjustmentDoc {
  key: string;
  delta: number;
}

export interface HoldDoc {
  reservationId: string;
  quantity: number;
}

export interface AllocationDoc {
  sku: string;
  quantity: number;
  distributionCenter: string;
  bin: string;
}

/** The outcome of reserving an order's lines; its _id is the reservation id (the order id). */
export interface ReservationDoc {
  _id: string;
  /** PENDING while one call is placing holds (a claim: concurrent calls for the same id wait). */
  status: 'PENDING' | 'RESERVED' | 'INSUFFICIENT' | 'RELEASED' | 'SHIPPED';
  allocations: AllocationDoc[];
  missing: string[];
  createdAt: Date;
}

const RECENT_RECEIPTS = 200;
const RECENT_ADJUSTMENTS = 100;
/** A reservation claim older than this was left by a call that died. */
const STALE_CLAIM_MS = 30_000;

export interface StockLevel {
  onHand: number;
  reserved: number;
  available: number;
}

export const MAX_QUANTITY = MAX_BIN_QUANTITY;

export const binItemId = (distributionCenter: string, bin: string, sku: string) => `${distributionCenter}/${bin}/${sku}`;

type BinState = Omit<BinItemDoc, '_id' | 'version'>;

/** A reservation's last attempt that could not cover every line: which skus it lacked, and when. */
interface ShortfallDoc {
  _id: string;
  missing: string[];
  at: Date;
}

/**
 * What became of one distribution centre's part of a reservation: given back (a cancellation
 * pulled its shipment) or shipped (its units left their bins). The first outcome stands.
 */
interface CentreOutcomeDoc {
  _id: string; // `${reservationId}|${distributionCenter}`
  reservationId: string;
  distributionCenter: string;
  /** Absent on outcomes stored before shipments were recorded here: those were releases. */
  outcome?: 'RELEASED' | 'SHIPPED';
  at: Date;
}

const centreOutcomeId = (reservationId: string, distributionCenter: string) => `${reservationId}|${distributionCenter}`;

/** How long a sku's stock, once read for `Product.stock`, is shown again without reading it. */
export const STOCK_SHOWN_FOR_MS = 1_000;

export class InventoryStore {
  readonly binItems: Collection<BinItemDoc>;
  readonly reservations: Collection<ReservationDoc>;
  /**
   * Which centres' parts of a reservation were given back or shipped. Kept apart, one insert
   * each, so two centres settled at once both count (FerretDB applies no update atomically); a
   * reservation whose every centre is here holds nothing any more. (The collection's name is
   * from when only releases were kept.)
   */
  private readonly centreOutcomes: Collection<CentreOutcomeDoc>;
  /**
   * What a reservation's last attempt could not cover, by reservation id. The attempt itself is not
   * kept (a later one may find stock), but a reader is told why the order waits: the reservation
   * reads INSUFFICIENT until one is made.
   */
  private readonly shortfalls: Collection<ShortfallDoc>;
  /** Every stock change is claimed as a new version of its bin item: see kit/versioned.ts. */
  private readonly versions: VersionedDocuments<BinState>;
  /**
   * The stock of recently viewed skus, for `Product.stock`. Every order view and product page asks
   * for the stock of its skus, one database lookup per sku on FerretDB (kit/mongo.ts,
   * findWhereIn), and the same few skus are asked for again and again. Here a sku's stock is read
   * at most once a second, and kept as its three counts (not its bins, whose holds grow with the
   * orders waiting on them). Every change this process makes to a bin (reservations, adjustments,
   * receipts, shipping) drops them all, and a read that overlapped a change is not kept: what
   * this process changed shows at once. A change made by another inventory process (scaled out)
   * shows within the second. Stock is never promised from here: reservations and adjustments
   * read and compare-and-swap the bins themselves, and `Product.binItems` (what the warehouse
   * works from) reads them every time. The orders worker's look at what came in for orders that
   * wait for stock (orders/restocked.ts) may see such a change a second late, as if it had looked
   * a second earlier: a retry still reserves, and a cancellation is past a deadline of days.
   */
  readonly recentStock = new RecentReads<StockLevel>((skus) => this.stockOfSkus(skus), stockLevel([]), STOCK_SHOWN_FOR_MS);

  constructor(db: Db) {
    this.binItems = db.collection<BinItemDoc>('binItems');
    this.reservations = db.collection<ReservationDoc>('reservations');
    this.centreOutcomes = db.collection<CentreOutcomeDoc>('reservation_centre_releases');
    this.shortfalls = db.collection<ShortfallDoc>('reservation_shortfalls');
    this.versions = new VersionedDocuments<BinState>(this.binItems as unknown as Collection<Head<BinState>>, db.collection('binItemHistory'));
  }

  async ensureIndexes(): Promise<void> {
    // Lists are by _id (centre/bin/sku): a sku's bins, or a centre's, in that order.
    await ensureIndex(this.binItems, { sku: 1, _id: 1 }, { name: 'by_sku_id' });
    await ensureIndex(this.binItems, { distributionCenter: 1, _id: 1 }, { name: 'by_dc_id' });
    for (const retired of ['by_sku', 'by_dc']) await retireIndex(this.binItems, retired); // an earlier version's, not in list order
    await ensureIndex(this.centreOutcomes, { reservationId: 1 }, { name: 'by_reservation' });
    await this.versions.ensureIndexes();
  }

  /** Every change of a bin goes through here, so that no stock read before it is shown again (`recentStock`). */
  private async updateBin(...args: Parameters<VersionedDocuments<BinState>['update']>): ReturnType<VersionedDocuments<BinState>['update']> {
    try {
      return await this.versions.update(...args);
    } finally {
      this.recentStock.changed();
    }
  }

  /** Each sku's stock summed across its bins, from their counts alone (for `Product.stock`, through `recentStock`). */
  private async stockOfSkus(skus: readonly string[]): Promise<Map<string, StockLevel>> {
    const bins = await findWhereIn(this.binItems, 'sku', skus, {}, { projection: { sku: 1, quantity: 1, reserved: 1 } });
    return new Map([...groupBy(bins, (bin) => bin.sku)].map(([sku, ofSku]) => [sku, stockLevel(ofSku)]));
  }

  /** Bin items of many skus in one query. */
  async findBySkus(skus: readonly string[]): Promise<BinItemDoc[]> {
    if (skus.length === 0) return [];
    return (await findWhereIn(this.binItems, 'sku', skus)).sort(byId);
  }

  /** One bin's item of one sku, by its id. */
  binItem(distributionCenter: string, bin: string, sku: string): Promise<BinItemDoc | null> {
    return this.binItems.findOne({ _id: binItemId(distributionCenter, bin, sku) });
  }

  /** A page of bin items by id (centre/bin/sku), served by the index of whichever filter is given. */
  async search(filter: { sku?: string | null; distributionCenter?: string | null }, page: PageRequest): Promise<Connection<BinItemDoc>> {
    const query: Filter<BinItemDoc> = {};
    if (filter.sku) query.sku = filter.sku;
    if (filter.distributionCenter) query.distributionCenter = filter.distributionCenter;
    return findPage(this.binItems, query, byLocation, page);
  }

  /**
   * Adds (positive delta) or removes units in one compare-and-swap, creating the bin item when
   * units are added to a new one. Safe under concurrent writers in any number of processes: a
   * removal never takes the bin below what is reserved. Once per key when a key is given: a
   * retried adjustment finds its key among the bin's recent ones and changes nothing.
   * `refused`: a removal the unreserved units do not cover, or an addition past MAX_QUANTITY;
   * `already`: made before with this key; `conflict`: the key was used for another delta.
   */
  async adjust(
    item: Pick<BinItemDoc, 'sku' | 'distributionCenter' | 'bin'>,
    delta: number,
    key?: string,
  ): Promise<{ outcome: 'adjusted' | 'already'; item: BinItemDoc } | { outcome: 'refused' | 'conflict'; item: BinItemDoc | null }> {
    const id = binItemId(item.distributionCenter, item.bin, item.sku);
    let refusal = 'refused' as 'refused' | 'already' | 'conflict';
    const head = await this.updateBin(id, (current) => {
      const made = key === undefined ? undefined : current?.recentAdjustments?.find((adjustment) => adjustment.key === key);
      if (made) {
        refusal = made.delta === delta ? 'already' : 'conflict';
        return REFUSED;
      }
      refusal = 'refused';
      if (delta < 0 && (!current || current.quantity - current.reserved < -delta)) return REFUSED;
      const quantity = (current?.quantity ?? 0) + delta;
      if (quantity > MAX_QUANTITY) return REFUSED;
      const state = { ...emptyBin(item), ...(current ? stateOf(current) : {}), quantity };
      return key === undefined ? state : { ...state, recentAdjustments: [...(state.recentAdjustments ?? []), { key, delta }].slice(-RECENT_ADJUSTMENTS) };
    });
    if (head !== REFUSED) return { outcome: 'adjusted', item: head as BinItemDoc };
    const stored = await this.binItems.findOne({ _id: id });
    return refusal === 'already' ? { outcome: refusal, item: stored! } : { outcome: refusal, item: stored };
  }

  /**
   * Adds a received item's units once per receipt id: a receipt delivered again
   * (a retried worker) finds its id among the bin's recent receipts and adds nothing.
   * The outcome says which: `received` now, `already` received before, or `over` (the
   * bin would exceed MAX_QUANTITY; nothing added). The two refusals must never be confused.
   */
  async receive(receiptId: string, item: Pick<BinItemDoc, 'sku' | 'distributionCenter' | 'bin'>, units: number): Promise<{ outcome: 'received' | 'already' | 'over'; item: BinItemDoc | null }> {
    const id = binItemId(item.distributionCenter, item.bin, item.sku);
    let refusal: 'already' | 'over' = 'already';
    const head = await this.updateBin(id, (current) => {
      const state = { ...emptyBin(item), ...(current ? stateOf(current) : {}) };
      if (state.recentReceipts?.includes(receiptId)) {
        refusal = 'already';
        return REFUSED;
      }
      if (state.quantity + units > MAX_QUANTITY) {
        refusal = 'over';
        return REFUSED;
      }
      return { ...state, quantity: state.quantity + units, recentReceipts: [...(state.recentReceipts ?? []), receiptId].slice(-RECENT_RECEIPTS) };
    });
    if (head !== REFUSED) return { outcome: 'received', item: head as BinItemDoc };
    return { outcome: refusal, item: await this.binItems.findOne({ _id: id }) };
  }

  /**
   * Reserves an order's lines, idempotently by reservation id. Each bin records a hold
   * per reservation, so a retried call reuses the holds it already made; stock never
   * goes below zero because every hold is a compare-and-swap on its bin. When a line
   * cannot be covered, every hold made for this reservation is released again.
   */
  async reserve(reservationId: string, lines: { sku: string; quantity: number }[]): Promise<ReservationDoc> {
    // Claim the reservation first: two calls for the same order (a retry while the first
    // is still running) must not both place holds, or one could release the other's.
    const claim: ReservationDoc = { _id: reservationId, status: 'PENDING', allocations: [], missing: [], createdAt: new Date() };
    try {
      await this.reservations.insertOne(claim);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const recorded = (await this.reservations.findOne({ _id: reservationId }))!;
      if (recorded.status !== 'PENDING') return recorded;
      // A claim left by a call that died (say, when the database went down under it) is taken
      // over after a while; until then the caller is told to try later, as with a live one.
      if (Date.now() - recorded.createdAt.getTime() < STALE_CLAIM_MS) throw tryLater(`reservation ${reservationId} is being made by another call; try again`);
      await this.reservations.replaceOne({ _id: reservationId }, claim);
    }
    const allocations: AllocationDoc[] = [];
    const missing: string[] = [];
    for (const line of lines) {
      const bins = (await this.binItems.find({ sku: line.sku }).toArray()).sort((a, b) => holdOf(b, reservationId) - holdOf(a, reservationId) || available(b) - available(a));
      let needed = line.quantity;
      for (const bin of bins) {
        if (needed === 0) break;
        const held = await this.hold(bin, reservationId, needed);
        if (held > 0) {
          allocations.push({ sku: line.sku, quantity: held, distributionCenter: bin.distributionCenter, bin: bin.bin });
          needed -= held;
        }
      }
      if (needed > 0) missing.push(line.sku);
    }
    if (missing.length > 0) {
      await Promise.all(allocations.map((allocation) => this.releaseHold(binItemId(allocation.distributionCenter, allocation.bin, allocation.sku), reservationId, false)));
    }
    const reservation: ReservationDoc = {
      _id: reservationId,
      status: missing.length ? 'INSUFFICIENT' : 'RESERVED',
      allocations: missing.length ? [] : allocations,
      missing,
      createdAt: new Date(),
    };
    if (reservation.status === 'INSUFFICIENT') {
      await this.shortfalls.replaceOne({ _id: reservationId }, { missing, at: reservation.createdAt }, { upsert: true });
      await this.reservations.deleteOne({ _id: reservationId }); // not kept: a later retry may find stock
      return reservation;
    }
    await this.reservations.replaceOne({ _id: reservationId }, reservation);
    return reservation;
  }

  /**
   * Gives back every unit a reservation still holds (the order was cancelled), or only those
   * held in one distribution centre (a cancellation pulled that centre's shipment; units of
   * shipments that left were committed and are not held any more). Idempotent.
   */
  async releaseReservation(reservationId: string, distributionCenter: string | null = null): Promise<boolean> {
    const reservation = await this.reservations.findOne({ _id: reservationId });
    if (!reservation || reservation.status !== 'RESERVED') return false;
    if (distributionCenter) {
      const here = reservation.allocations.filter((allocation) => allocation.distributionCenter === distributionCenter);
      await Promise.all(here.map((allocation) => this.releaseHold(binItemId(allocation.distributionCenter, allocation.bin, allocation.sku), reservationId, false)));
      if (here.length === 0) return false;
      await this.recordCentreOutcome(reservationId, distributionCenter, 'RELEASED');
      return true;
    }
    // Part of it left with a shipment: it is not the whole order's to give back (a release sent late).
    if (await this.centreOutcomes.findOne({ reservationId, outcome: 'SHIPPED' } as Filter<CentreOutcomeDoc>, { projection: { _id: 1 } })) return false;
    await Promise.all(
      reservation.allocations.map((allocation) => this.releaseHold(binItemId(allocation.distributionCenter, allocation.bin, allocation.sku), reservationId, false)),
    );
    await this.reservations.replaceOne({ _id: reservationId }, { ...reservation, status: 'RELEASED' });
    return true;
  }

  /**
   * Holds up to `wanted` units for a reservation; returns how many it holds (an existing hold counts).
   * `bin` as just read: the first attempt writes over it without reading it again (one request
   * fewer per line); if it changed since, the compare-and-swap notices and reads it.
   */
  private async hold(bin: BinItemDoc, reservationId: string, wanted: number): Promise<number> {
    let held = 0;
    const head = await this.updateBin(bin._id, (current) => {
      held = 0;
      if (!current) return REFUSED;
      const existing = holdOf(current, reservationId);
      if (existing > 0) {
        held = existing;
        return REFUSED;
      }
      held = Math.min(wanted, available(current));
      if (held <= 0) return REFUSED;
      const holds = [...(current.holds ?? []), { reservationId, quantity: held }];
      return { ...stateOf(current), holds, reserved: current.reserved + held };
    }, bin as unknown as Head<BinState>);
    // REFUSED means either "already held" (held = that hold) or "nothing available" (held <= 0).
    return head === REFUSED ? Math.max(0, held) : held;
  }

  /** Drops a reservation's hold on a bin; with `ship`, the units also leave the bin. Idempotent. */
  async releaseHold(binId: string, reservationId: string, ship: boolean): Promise<void> {
    await this.updateBin(binId, (current) => {
      const quantity = current ? holdOf(current, reservationId) : 0;
      if (!current || quantity === 0) return REFUSED;
      return {
        ...stateOf(current),
        holds: (current.holds ?? []).filter((h) => h.reservationId !== reservationId),
        reserved: current.reserved - quantity,
        quantity: ship ? current.quantity - quantity : current.quantity,
      };
    });
  }

  /** The units of a reservation from one distribution centre have shipped: they leave their bins. */
  async commit(reservationId: string, distributionCenter: string): Promise<boolean> {
    const reservation = await this.reservations.findOne({ _id: reservationId });
    if (!reservation) return false;
    const here = reservation.allocations.filter((allocation) => allocation.distributionCenter === distributionCenter);
    await Promise.all(here.map((allocation) => this.releaseHold(binItemId(allocation.distributionCenter, allocation.bin, allocation.sku), reservationId, true)));
    if (here.length > 0) await this.recordCentreOutcome(reservationId, distributionCenter, 'SHIPPED');
    return true;
  }

  /** Records what became of one centre's part, once: the first outcome stands (settled before: the same). */
  private async recordCentreOutcome(reservationId: string, distributionCenter: string, outcome: 'RELEASED' | 'SHIPPED'): Promise<void> {
    try {
      await this.centreOutcomes.insertOne({ _id: centreOutcomeId(reservationId, distributionCenter), reservationId, distributionCenter, outcome, at: new Date() });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /**
   * Reservations as they stand. One that holds nothing any more reads RELEASED when every
   * centre's part was given back (however it was given back), SHIPPED when some of it left with
   * a shipment; while any centre's part is still held it reads RESERVED.
   */
  async reservationsFor(ids: readonly string[]): Promise<ReservationDoc[]> {
    if (ids.length === 0) return [];
    const made = await findByIds(this.reservations, ids);
    // Those not made: INSUFFICIENT if an attempt could not cover them.
    const found = new Set(made.map((reservation) => reservation._id));
    const unmade = ids.filter((id) => !found.has(id));
    const short = unmade.length === 0 ? [] : await findByIds(this.shortfalls, unmade);
    const reservations = [...made, ...short.map((shortfall): ReservationDoc => ({ _id: shortfall._id, status: 'INSUFFICIENT', allocations: [], missing: shortfall.missing, createdAt: shortfall.at }))];
    const centresOf = (reservation: ReservationDoc) => [...new Set(reservation.allocations.map((allocation) => allocation.distributionCenter))];
    const held = reservations.filter((reservation) => reservation.status === 'RESERVED' && reservation.allocations.length > 0);
    const outcomes = new Map(
      (await findByIds(this.centreOutcomes, held.flatMap((r) => centresOf(r).map((centre) => centreOutcomeId(r._id, centre))))).map((settled) => [settled._id, settled.outcome ?? 'RELEASED']),
    );
    return reservations.map((reservation) => {
      if (!held.includes(reservation)) return reservation;
      const settled = centresOf(reservation).map((centre) => outcomes.get(centreOutcomeId(reservation._id, centre)));
      if (settled.some((outcome) => outcome === undefined)) return reservation;
      return { ...reservation, status: settled.includes('SHIPPED') ? 'SHIPPED' : 'RELEASED' };
    });
  }

  async upsert(item: BinItemDoc): Promise<void> {
    try {
      await this.binItems.updateOne({ _id: item._id }, { $setOnInsert: item }, { upsert: true });
    } finally {
      this.recentStock.changed();
    }
  }
}

/**
 * A sku's stock across its bins. Each bin holds at most MAX_QUANTITY units but a sku may fill many
 * bins, and the schema's counts are 32-bit Ints: a sum past that reads as MAX_QUANTITY (a count
 * GraphQL cannot carry made `Product.stock` an INTERNAL_SERVER_ERROR for everyone browsing), and
 * available is what is shown on hand less what is reserved.
 */
export function stockLevel(items: readonly Pick<BinItemDoc, 'quantity' | 'reserved'>[]): StockLevel {
  const onHand = items.reduce((sum, item) => sum + item.quantity, 0);
  const reserved = items.reduce((sum, item) => sum + item.reserved, 0);
  const shown = { onHand: Math.min(onHand, MAX_QUANTITY), reserved: Math.min(reserved, MAX_QUANTITY) };
  // Still onHand - reserved as shown (under what is there when the sum is past the largest Int).
  return { ...shown, available: shown.onHand - shown.reserved };
}

/** The inventory service's view of a product: just its key. */
export interface ProductRef {
  sku: string;
}

const available = (bin: Pick<BinItemDoc, 'quantity' | 'reserved'>) => bin.quantity - bin.reserved;
const holdOf = (bin: Pick<BinItemDoc, 'holds'>, reservationId: string) => bin.holds?.find((h) => h.reservationId === reservationId)?.quantity ?? 0;

function stateOf(bin: BinItemDoc): BinState {
  const { _id, version, ...state } = bin;
  return state;
}

function emptyBin(item: Pick<BinItemDoc, 'sku' | 'distributionCenter' | 'bin'>): BinState {
  return { sku: item.sku, distributionCenter: item.distributionCenter, bin: item.bin, quantity: 0, reserved: 0, holds: [], recentReceipts: [] };
}

export interface OrderRef {
  id: string;
}

const byLocation: Ordering<BinItemDoc, string> = {
  list: 'binItems',
  direction: 'asc',
  idOf: (item) => item._id,
  parseId: (id) => id,
};
