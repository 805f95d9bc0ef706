import { randomUUID } from 'node:crypto';
import type { Collection, Db, Filter } from 'mongodb';
import { ensureIndex, findWhereIn, retireIndex } from '../../kit/mongo.ts';
import { findPage, type Connection, type PageRequest, type TimeOrdering } from '../../kit/paging.ts';
import { SlotLists, type SlotDoc } from '../../kit/slot-lists.ts';
import { REFUSED, VersionedDocuments, type Head } from '../../kit/versioned.ts';

// The only code that touches the exceptions collections.

export type ExceptionStatusCode = 'OPEN' | 'RETRIED' | 'CANCELLED' | 'RESOLVED';

/** How an owner's close leaves an exception: CANCELLED, its order was; RESOLVED, what it waited for came by itself and the order went on. */
export type ClosedAs = 'CANCELLED' | 'RESOLVED';

export interface ExceptionDoc {
  _id: string; // `${service}:${queue}:${elementId}`
  version: number;
  status: ExceptionStatusCode;
  service: string;
  queue: string;
  elementId: string;
  orderId: string | null;
  /** As the failing step said it: for staff only. */
  reason: string;
  /** Written for the order's customer (a declined card, missing stock); absent for failures inside the pipeline. */
  customerReason?: string | null;
  /** Ids of the raises seen, so a re-delivered raise is not a new occurrence. */
  occurrences: string[];
  raisedAt: Date;
  /**
   * The 15-second slot `raisedAt` falls in (kit/slot-lists.ts), written with it: the lists of closed
   * exceptions grow for ever and are read a slot at a time. Absent on exceptions written before.
   */
  raisedSlot?: number;
  resolvedAt: Date | null;
  /** Why it was closed without a person's action (its order was cancelled, or went on by itself); absent otherwise. */
  resolution?: string | null;
  /** Who retried or cancelled it (the caller's subject), while claimed and after; absent otherwise. */
  resolvedBy?: string | null;
  /** What that person wrote about it, if anything. */
  note?: string | null;
  /**
   * Their action ended because the owner refused it when it was sent again (its first request
   * unanswered), taken to mean the first request had landed. A close that comes later is the
   * better explanation (the order's cancellation took the element), and replaces theirs.
   */
  endedOnRefusal?: boolean | null;
  /**
   * Set when the exception was closed while a person's action was claimed: should that action not
   * be carried out (the owner refused or could not be reached), the exception closes with this
   * resolution instead of opening again.
   */
  closeOnRelease?: string | null;
  /** How that close leaves it: RESOLVED, or absent for CANCELLED (as every close of earlier versions did). */
  closeOnReleaseAs?: 'RESOLVED' | null;
  /**
   * A person's action, claimed (status already RETRIED or CANCELLED) but not yet known to
   * have been carried out by the owning service. Cleared once it has; a claim left by a
   * process that died is carried out by `finishStaleClaims`.
   */
  pending?: PendingAction | null;
  /** `pending.since`, kept at the top level for its index. */
  pendingSince?: Date | null;
  /**
   * True while `pending` is set (null once the claim ended): the sweep for stale claims looks
   * them up by it, an equality FerretDB serves from an index, where the range on `pendingSince`
   * alone read every exception ever raised (65 µs each, every 5 s). Absent on claims made by
   * earlier versions (see `staleClaims`).
   */
  claimed?: true | null;
}

export type ExceptionAction = 'RETRY' | 'CANCEL';

/** Who acts on an exception, and what they say about it. */
export interface Actor {
  subject: string;
  note: string | null;
}

export interface PendingAction {
  action: ExceptionAction;
  token: string;
  since: Date;
}

export type Claim = { outcome: 'claimed'; exception: ExceptionDoc; pending: PendingAction } | { outcome: 'missing' } | { outcome: 'taken'; exception: ExceptionDoc };

export interface OrderRef {
  id: string;
}

type State = Omit<ExceptionDoc, '_id' | 'version'>;

/** What a raise (or a close) names: the exception, this occurrence of it, and where it comes from. */
export type RaiseInput = Omit<State, 'status' | 'occurrences' | 'raisedAt' | 'raisedSlot' | 'resolvedAt' | 'resolution' | 'closeOnRelease' | 'closeOnReleaseAs' | 'resolvedBy' | 'note' | 'endedOnRefusal'> & { id: string; occurrence: string };

export class ExceptionStore {
  readonly exceptions: Collection<ExceptionDoc>;
  private readonly cas: VersionedDocuments<State>;
  /**
   * The lists that grow for ever (every exception, and each closed status), read a time slot at a
   * time on FerretDB's PostgreSQL handler, which would otherwise read and sort in Go every row a
   * list's filter matches: after a week of declines, more than the gateway waits for.
   */
  private readonly slotted: SlotLists<ExceptionDoc>;

  /** When this store was made: every claim an earlier version made is older. */
  private readonly startedAt = new Date();
  /** Whether a pass of `staleClaims` has looked for every claim older than `startedAt`, flagged or not. */
  private earlierClaimsSeen = false;

  /** `now`: when an exception is raised (tests raise them hours apart). */
  constructor(
    db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.exceptions = db.collection<ExceptionDoc>('exceptions');
    this.cas = new VersionedDocuments<State>(this.exceptions as unknown as Collection<Head<State>>, db.collection('exceptionHistory'));
    this.slotted = new SlotLists(this.exceptions, db.collection<SlotDoc>('exception_list_slots'), recentlyRaisedFirst, 'raisedSlot');
  }

  async ensureIndexes(): Promise<void> {
    // Lists are most recently raised first, ties by id; support views name the status (OPEN by default).
    await ensureIndex(this.exceptions, { status: 1, raisedAt: -1, _id: -1 }, { name: 'by_status_raised' });
    await ensureIndex(this.exceptions, { service: 1, raisedAt: -1, _id: -1 }, { name: 'by_service_raised' });
    await retireIndex(this.exceptions, 'by_status'); // an earlier version's, without the tie-breaker
    await ensureIndex(this.exceptions, { orderId: 1 }, { name: 'by_order' });
    await ensureIndex(this.exceptions, { claimed: 1, pendingSince: 1 }, { name: 'claims_by_age' });
    await retireIndex(this.exceptions, 'pending_claims'); // an earlier version's, on `pendingSince` alone
    await ensureIndex(this.exceptions, { raisedSlot: -1, raisedAt: -1, _id: -1 }, { name: 'by_raised_slot' });
    await this.slotted.ensureIndexes();
    await this.cas.ensureIndexes();
  }

  /** Opens the exception, or reopens it for a new occurrence; a repeated delivery changes nothing. */
  async raise(input: RaiseInput): Promise<ExceptionDoc> {
    const raisedAt = this.now();
    const head = await this.update(input.id, (current) => {
      if (current?.occurrences.includes(input.occurrence)) return REFUSED;
      const { id, occurrence, ...fields } = input;
      return { ...fields, ...NOBODY, status: 'OPEN', occurrences: [...(current?.occurrences ?? []), occurrence], raisedAt, resolvedAt: null };
    });
    return head === REFUSED ? (await this.get(input.id))! : (head as ExceptionDoc);
  }

  /**
   * Closes the exception with `resolution`: its owner says nobody need act on it. CANCELLED, the
   * order was cancelled; RESOLVED, what it waited for came by itself (the customer paid again,
   * stock came in). Before its raise arrived, the raise is recorded closed (so that raise changes
   * nothing when it comes); with a person's action claimed, it closes when that claim ends, unless
   * the person's action was carried out (see `endClaim`). Retried already: a cancellation closes
   * it (the order was cancelled while it waited, so the retry did not take it on); a wait that
   * ended leaves it RETRIED (the person acted). Closed already: unchanged, unless by a person's
   * action that ended on a refusal (`endedOnRefusal`): the close is why, not them.
   */
  async close(input: RaiseInput, resolution: string, closedAs: ClosedAs = 'CANCELLED'): Promise<ExceptionDoc> {
    const now = this.now();
    const head = await this.update(input.id, (current) => {
      const { id, occurrence, ...fields } = input;
      if (!current) return { ...fields, status: closedAs, occurrences: [occurrence], raisedAt: now, resolvedAt: now, resolution };
      const { _id, version, ...state } = current;
      const occurrences = state.occurrences.includes(occurrence) ? state.occurrences : [...state.occurrences, occurrence];
      // A person's action under way (retry or cancel): should it not be carried out, it closes.
      if (state.pending) return state.closeOnRelease ? REFUSED : { ...state, occurrences, closeOnRelease: resolution, closeOnReleaseAs: closedAs === 'RESOLVED' ? closedAs : null };
      // The person's action only looked carried out: the close took the element, not them.
      if (state.endedOnRefusal) return { ...state, ...NOBODY, endedOnRefusal: null, status: closedAs, occurrences, resolvedAt: state.status === closedAs ? state.resolvedAt : now, resolution };
      if (closes(state.status, closedAs)) return { ...state, status: closedAs, occurrences, resolvedAt: now, resolution };
      return REFUSED;
    });
    return head === REFUSED ? (await this.get(input.id))! : (head as ExceptionDoc);
  }

  /**
   * Claims the exception for one action before anything is done about it: of two people
   * acting at once, exactly one claim succeeds (a compare-and-swap); the other sees it taken.
   */
  async claim(id: string, action: ExceptionAction, actor: Actor): Promise<Claim> {
    const pending: PendingAction = { action, token: randomUUID(), since: new Date() };
    let seen: ExceptionDoc | null = null;
    const head = await this.update(id, (current) => {
      seen = current as ExceptionDoc | null;
      if (!current || current.status !== 'OPEN') return REFUSED;
      const { _id, version, ...state } = current;
      const status = action === 'RETRY' ? 'RETRIED' : 'CANCELLED';
      return { ...state, status, resolvedAt: new Date(), resolvedBy: actor.subject, note: actor.note, pending, pendingSince: pending.since, claimed: true };
    });
    if (head !== REFUSED) return { outcome: 'claimed', exception: head as ExceptionDoc, pending };
    return seen ? { outcome: 'taken', exception: seen } : { outcome: 'missing' };
  }

  /**
   * The claimed action was carried out (or its owner says it no longer holds the element): the
   * claim becomes final; unless closed meanwhile by its owner (see close), then CANCELLED.
   */
  async settle(id: string, token: string): Promise<ExceptionDoc | null> {
    return this.changeClaim(id, token, (state) => endClaim(state, state.status));
  }

  /**
   * The claimed action could not be carried out: the exception is OPEN again, as if nobody had
   * acted; or, closed meanwhile by its owner (see close), CANCELLED.
   */
  async release(id: string, token: string): Promise<ExceptionDoc | null> {
    return this.changeClaim(id, token, (state) => endClaim(state, 'OPEN'));
  }

  /**
   * A claim sent again (its first request went unanswered) was refused: the element is no longer
   * parked there. Closed meanwhile by its owner, that close is why (released, as the close
   * says); otherwise the first request landed (settled), unless a close still on its way says
   * otherwise when it comes (see close).
   */
  async settleRefused(id: string, token: string): Promise<ExceptionDoc | null> {
    return this.changeClaim(id, token, (state) => (state.closeOnRelease ? endClaim(state, 'OPEN') : { ...endClaim(state, state.status), endedOnRefusal: true }));
  }

  private async changeClaim(id: string, token: string, change: (state: State) => State): Promise<ExceptionDoc | null> {
    const head = await this.update(id, (current) => {
      // A new occurrence raised meanwhile replaced the claim: nothing left to change.
      if (!current || current.pending?.token !== token) return REFUSED;
      const { _id, version, ...state } = current;
      return change(state);
    });
    return head === REFUSED ? null : (head as ExceptionDoc);
  }

  /**
   * Claims older than `before` that were never settled or released (their process died), by their
   * flag (`claimed`). Claims an earlier version made have none: until a pass has looked for every
   * claim made before this process started, by `pendingSince` alone, passes look that way (the
   * first few after a start, each reading every exception on FerretDB).
   */
  async staleClaims(before: Date, limit: number): Promise<ExceptionDoc[]> {
    if (this.earlierClaimsSeen) return this.exceptions.find({ claimed: true, pendingSince: { $lt: before } }).limit(limit).toArray();
    const found = await this.exceptions.find({ pendingSince: { $lt: before } }).limit(limit).toArray();
    // Flagged, so that the passes after the switch find one still pending after this one (its owner down).
    await Promise.all(found.filter((exception) => !exception.claimed).map((exception) => this.flagClaim(exception._id)));
    if (before >= this.startedAt && found.length < limit) this.earlierClaimsSeen = true;
    return found;
  }

  /**
   * Every change to an exception: `change` on the current head, as a compare-and-swap. The state
   * written carries the slot its `raisedAt` falls in, named first in each growing list it is then
   * in (kit/slot-lists.ts): should it not be named yet, the write is put off, the name written, and
   * the change made again from the head as it then is. (One raised before this version, and not
   * since, keeps none: see `SlotLists.slotting`.)
   */
  private async update(id: string, change: (current: Head<State> | null) => State | typeof REFUSED): Promise<Head<State> | typeof REFUSED> {
    const slotFor = await this.slotted.slotting();
    return this.slotted.namingSlots((unnamed) =>
      this.cas.update(id, (current) => {
        const next = change(current);
        if (next === REFUSED) return REFUSED;
        const { raisedSlot: _, ...unslotted } = next;
        const raisedSlot = slotFor(next.raisedAt);
        if (raisedSlot === undefined) return unslotted;
        return unnamed(listsOf(next), raisedSlot) ? REFUSED : { ...unslotted, raisedSlot };
      }),
    );
  }

  /** Flags a claim an earlier version made (`claimed`), with a compare-and-swap: its claim may end meanwhile. */
  private async flagClaim(id: string): Promise<void> {
    await this.update(id, (current) => {
      if (!current?.pending || current.claimed) return REFUSED;
      const { _id, version, ...state } = current;
      return { ...state, claimed: true };
    });
  }

  /** How many exceptions wait for a person, and when the one waiting longest was raised (for /metrics). */
  async openFigures(): Promise<{ open: number; oldestRaisedAt: Date | null }> {
    // One after another: a count a paused database holds up holds one connection (kit/queue.ts, observe).
    const open = await this.exceptions.countDocuments({ status: 'OPEN' });
    const oldest = await this.exceptions.findOne({ status: 'OPEN' }, { sort: { raisedAt: 1 }, projection: { raisedAt: 1 } });
    return { open, oldestRaisedAt: oldest?.raisedAt ?? null };
  }

  /** Resolves once the database answers a lookup by id (an index lookup): whether it is there at all. */
  async answers(): Promise<void> {
    await this.exceptions.findOne({ _id: '' }, { projection: { _id: 1 } });
  }

  async get(id: string): Promise<ExceptionDoc | null> {
    return this.exceptions.findOne({ _id: id });
  }

  /** A page of exceptions, most recently raised first: the open ones are few (one query), the others read a slot at a time. */
  async list(filter: { status?: ExceptionStatusCode | null; service?: string | null }, page: PageRequest): Promise<Connection<ExceptionDoc>> {
    const query: Filter<ExceptionDoc> = {};
    if (filter.status) query.status = filter.status;
    if (filter.service) query.service = filter.service;
    if (filter.status === 'OPEN') return findPage(this.exceptions, query, recentlyRaisedFirst, page);
    return this.slotted.page(listName(filter.status, filter.service), query, page);
  }

  async forOrders(orderIds: readonly string[]): Promise<ExceptionDoc[]> {
    if (orderIds.length === 0) return [];
    return (await findWhereIn(this.exceptions, 'orderId', orderIds)).sort((a, b) => b.raisedAt.getTime() - a.raisedAt.getTime());
  }
}

/**
 * Whether an owner's close changes an exception in `status`. An open one closes. A retried one
 * closes when its order was cancelled: it still waited, so the retry did not take it on; when what
 * it waited for came by itself, it stays RETRIED, the person's retry having gone the same way.
 */
function closes(status: ExceptionStatusCode, closedAs: ClosedAs): boolean {
  return status === 'OPEN' || (status === 'RETRIED' && closedAs === 'CANCELLED');
}

/**
 * How a claim ends: `status` as the action left it (OPEN when it was not carried out). A close
 * that came while it was claimed (`closeOnRelease`) closes it as that close says (`closeOnReleaseAs`)
 * where it would have closed it unclaimed (see `closes`): never after the person's own cancel
 * landed. Who acted is kept only if their action was carried out.
 */
function endClaim(state: State, status: ExceptionStatusCode): State {
  const ended = { ...state, closeOnRelease: null, closeOnReleaseAs: null, pending: null, pendingSince: null, claimed: null };
  const closedAs = state.closeOnReleaseAs ?? 'CANCELLED';
  if (state.closeOnRelease && closes(status, closedAs)) return { ...ended, ...(status === 'OPEN' ? NOBODY : {}), status: closedAs, resolution: state.closeOnRelease, resolvedAt: new Date() };
  return status === 'OPEN' ? { ...ended, ...NOBODY, status, resolvedAt: null } : { ...ended, status };
}

/** An exception nobody has acted on (or whose action is not theirs to answer for). */
const NOBODY = { resolvedBy: null, note: null } as const;

/**
 * The name in the directory of slots of the list of exceptions in `status` (any, if none) from
 * `service` (any, if none). A list per service, so that a quiet service's exceptions are found
 * without reading the slots of every other service's.
 */
function listName(status?: ExceptionStatusCode | null, service?: string | null): string {
  const of = service ? `service=${encodeURIComponent(service)}` : null;
  return [status, of].filter(Boolean).join(' ') || '*';
}

/** The growing lists an exception is in: every exception's and its service's, and, unless OPEN (a passing status: few), its status's and both. */
const listsOf = ({ status, service }: Pick<State, 'status' | 'service'>): string[] => [
  listName(null, null),
  listName(null, service),
  ...(status === 'OPEN' ? [] : [listName(status, null), listName(status, service)]),
];

/** A reopened exception moves up (it was raised again); paging on from an older cursor does not show it twice. */
const recentlyRaisedFirst: TimeOrdering<ExceptionDoc, string> = {
  list: 'exceptions',
  timeField: 'raisedAt',
  direction: 'desc',
  timeOf: (exception) => exception.raisedAt,
  idOf: (exception) => exception._id,
  parseId: (id) => id,
};
