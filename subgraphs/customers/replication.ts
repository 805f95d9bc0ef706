import { ObjectId } from 'mongodb';
import { clientError, ErrorCode, isClientError } from '../../kit/errors.ts';
import { RejectedByService, type GraphQLClient } from '../../kit/graphql-client.ts';
import type { Logger } from '../../kit/logger.ts';
import { startLoop } from '../../kit/loop.ts';
import { oneAtATimePerKey } from '../../kit/one-at-a-time.ts';
import { onScrape, replicaGauges, replicationHomeReachable, replicationLag, replicationPendingWrites, replicationRejectedWrites } from '../../kit/metrics.ts';
import { logRetry } from '../../kit/unavailable.ts';
import { isDuplicateKeyError } from '../../kit/mongo.ts';
import type { Connection, PageRequest } from '../../kit/paging.ts';
import { RecentReads } from '../../kit/recent-reads.ts';
import type { LogEntry, ReplicationStore } from './replication-store.ts';
import type { CustomerDoc, CustomerStore, RegionCode } from './store.ts';
import { applyWrite, customerWireFields, fromCustomerWire, idReused, overLimit, refusal, repeatOf, toWire, type CustomerWire, type Write, type WriteResult } from './writes.ts';

// One customers copy is the home copy (authoritative: every write is applied there first,
// in one order, which its replication log records); the others are regional replicas that
// serve reads from their own database, follow home's log, and send the writes made in
// their region to home. See docs/regional-replicas.md.

export type Role = 'HOME' | 'REPLICA';

export interface ReplicationStatusView {
  region: RegionCode;
  role: Role;
  appliedSeq: number;
  homeSeq: number;
  lagEntries: number;
  lagMs: number;
  lastContactAt: Date | null;
  homeReachable: boolean;
  pendingWrites: number;
  rejectedWrites: number;
}

export interface LogPage {
  entries: LogEntry[];
  headSeq: number;
  headAt: Date | null;
}

export interface CustomersCopy {
  readonly role: Role;
  readonly region: RegionCode;
  /**
   * A write made through this copy's mutations. Resolves with the customer as it now is
   * (at a replica cut off from home: as it will be once home has it); a write home refuses
   * fails with that reason's code.
   */
  write(write: Write): Promise<CustomerDoc>;
  /** Customers by id as this copy's mutations describe them: a replica includes the writes it still holds queued. */
  findByIds(ids: readonly ObjectId[]): Promise<CustomerDoc[]>;
  /**
   * `findByIds` for what is only shown (a client's page: the order page asks for its customer on
   * every view). Home reads each at most once a second; every write this process makes shows at
   * once, one made by another home process within the second. A decision (a service's call: the
   * card an order is placed with) reads `findByIds`.
   */
  shownByIds(ids: readonly ObjectId[]): Promise<CustomerDoc[]>;
  /** A page of customers, newest first, the same way. */
  list(page: PageRequest): Promise<Connection<CustomerDoc>>;
  status(): Promise<ReplicationStatusView>;
  /** The replication log (home only). */
  readLog(after: number, first: number): Promise<LogPage>;
  /** Writes forwarded from a region, applied in order, each once (home only). */
  applyWrites(region: RegionCode, writes: Write[]): Promise<WriteResult[]>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The service a regional replica of `region` calls the home copy as: the only caller of home's replication interface. */
export const replicaServiceName = (region: RegionCode) => `customers-${region.toLowerCase()}`;

const notHome = () => clientError(ErrorCode.BAD_USER_INPUT, 'this customers copy is a regional replica; replication reads and forwarded writes go to the home copy');

/**
 * How often home checks that every customer's current version is in the log: a scan of every
 * customer, which grows with every sign-up (five million take minutes to read). It finds what a
 * home process that died between a write and its log entry left, when no restart of its own
 * does (another home process on the same database); a write whose entry failed here is retried
 * every second (`unlogged`), and a restart checks at once. So an hour, not minutes.
 */
const FULL_CHECK_EVERY_MS = 60 * 60_000;

/** How long home shows a customer as it read it (shownByIds). */
const SHOWN_FOR_MS = 1_000;

export class HomeCopy implements CustomersCopy {
  readonly role = 'HOME' as const;
  private readonly shown = new RecentReads<CustomerDoc | null>(
    async (ids) => new Map((await this.store.findByIds(ids.map((id) => new ObjectId(id)))).map((customer) => [customer._id.toHexString(), customer])),
    null,
    SHOWN_FOR_MS,
  );
  /** Customers a write may have changed without their new version being logged (the database failed part-way): checked again soon. */
  private readonly unlogged = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private repairing: Promise<void> | undefined;
  private checkedAt = 0;

  constructor(
    readonly region: RegionCode,
    private readonly store: CustomerStore,
    private readonly replication: ReplicationStore,
    private readonly logger: Logger,
  ) {}

  /** Checks the log at start-up (a process may have died between a write and its log entry), then now and then. */
  findByIds(ids: readonly ObjectId[]): Promise<CustomerDoc[]> {
    return this.store.findByIds(ids);
  }

  async shownByIds(ids: readonly ObjectId[]): Promise<CustomerDoc[]> {
    return (await this.shown.get(ids.map((id) => id.toHexString()))).filter((customer) => customer !== null);
  }

  list(page: PageRequest): Promise<Connection<CustomerDoc>> {
    return this.store.list(page);
  }

  async start(): Promise<void> {
    await this.replication.log.start();
    await this.repair(true);
    this.timer = setInterval(() => {
      this.repairing ??= this.repair()
        .catch((error: unknown) => logRetry(this.logger, 'checking the replication log failed', error))
        .finally(() => {
          this.repairing = undefined;
        });
    }, 1_000);
    this.timer.unref(); // nothing to do most of the time: never what keeps a process alive
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.repairing;
  }

  async write(write: Write): Promise<CustomerDoc> {
    const outcome = await this.apply(write);
    if (outcome.status === 'REJECTED') throw refusal(outcome);
    return outcome.customer;
  }

  async applyWrites(region: RegionCode, writes: Write[]): Promise<WriteResult[]> {
    const outcomes: WriteResult[] = [];
    for (const write of writes) {
      const outcome = await this.apply({ ...write, region });
      if (outcome.status === 'REJECTED') {
        await this.replication.recordRejected({ _id: write.writeId, region, kind: write.kind, customerId: write.customerId, code: outcome.code, message: outcome.message, at: new Date() });
        this.logger.info('refused a write from a region', { region, writeId: write.writeId, kind: write.kind, code: outcome.code });
      }
      outcomes.push(outcome);
    }
    return outcomes;
  }

  /**
   * Applies a write once, however often it arrives: a customer whose id is taken by the same
   * customer, or an address or card already there by id, is the write applied before. Then
   * makes sure the customer's new version is in the replication log (also for a repeat: the
   * first time may have stopped between the write and the log).
   */
  private async apply(write: Write): Promise<WriteResult> {
    try {
      return await this.applyOnce(write);
    } catch (error) {
      // It may have been applied before the failure (a lost reply from the database): make
      // sure that, if so, the new version reaches the log soon, not at the next full check.
      this.unlogged.add(write.customerId);
      throw error;
    } finally {
      // Applied, refused, or failed part-way: nothing read before it is shown again.
      this.shown.changed();
    }
  }

  private async applyOnce(write: Write): Promise<WriteResult> {
    const id = new ObjectId(write.customerId);
    let customer: CustomerDoc | null;
    switch (write.kind) {
      case 'ADD_CUSTOMER': {
        const created = applyWrite(null, write)!;
        try {
          customer = await this.store.insert(created);
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
          const existing = await this.store.findById(id);
          if (!existing) {
            return { writeId: write.writeId, status: 'REJECTED', code: ErrorCode.CONFLICT, field: 'email', message: `a customer with email ${created.email} already exists` };
          }
          // Its id is taken (ids collide only when a key chose them): the write made before, or the key used for another customer.
          if (repeatOf(existing, write) === 'conflict') return { ...idReused(write.kind), writeId: write.writeId };
          customer = existing;
        }
        break;
      }
      case 'ADD_ADDRESS':
        customer = await this.store.addAddress(id, write.address!);
        break;
      case 'ADD_PAYMENT_METHOD':
        customer = await this.store.addPaymentMethod(id, write.paymentMethod!);
        break;
    }
    if (!customer) return { writeId: write.writeId, status: 'REJECTED', code: ErrorCode.NOT_FOUND, message: `no customer with id ${write.customerId}` };
    // An address or card whose id was there already is left as it was: the same one, or the key used for another.
    if (repeatOf(customer, write) === 'conflict') return { ...idReused(write.kind), writeId: write.writeId };
    const full = overLimit(customer, write); // the store left it out: the customer has as many as it may
    if (full) return full;
    try {
      await this.ensureLogged(customer, write);
    } catch (error) {
      // The write stands; its log entry follows as soon as the database lets us.
      this.unlogged.add(write.customerId);
      this.logger.error('a write is applied but not yet in the replication log; retrying', { customerId: write.customerId, error: error instanceof Error ? error : String(error) });
    }
    return { writeId: write.writeId, status: 'APPLIED', customer };
  }

  /** Appends the customer's state unless this version (or a newer one) is logged already. */
  private async ensureLogged(customer: CustomerDoc, write: Write | null): Promise<void> {
    const customerId = customer._id.toHexString();
    const version = customer.version ?? 0;
    if ((await this.replication.loggedVersion(customerId)) >= version) return;
    // When it arrived here and the slot of this copy's list it is in are this copy's own.
    const { replicatedAt: _arrived, createdSlot: _slot, ...state } = customer;
    await this.replication.log.append(() => ({
      customerId,
      version,
      customer: { ...state, version },
      writeId: write?.writeId ?? null,
      region: write?.region ?? this.region,
      at: new Date(),
    }));
    await this.replication.markLogged(customerId, version);
  }

  /** Retries what failed to log, and now and then checks every customer (the start-up pass included). */
  async repair(force = false): Promise<void> {
    for (const customerId of [...this.unlogged]) {
      const customer = await this.store.findById(new ObjectId(customerId));
      if (customer) await this.ensureLogged(customer, null);
      this.unlogged.delete(customerId);
    }
    if (!force && Date.now() - this.checkedAt < FULL_CHECK_EVERY_MS) return;
    this.checkedAt = Date.now();
    const logged = await this.replication.loggedVersions();
    let added = 0;
    for await (const customer of this.store.all()) {
      if ((logged.get(customer._id.toHexString()) ?? -1) >= (customer.version ?? 0)) continue;
      await this.ensureLogged(customer, null);
      added++;
    }
    if (added) this.logger.info('logged customers missing from the replication log', { customers: added });
  }

  async readLog(after: number, first: number): Promise<LogPage> {
    const headSeq = await this.replication.log.headSeq();
    const entries = await this.replication.log.read(after, first, headSeq);
    const last = entries.at(-1);
    const head = last?.seq === headSeq ? last : await this.replication.log.at(headSeq);
    return { entries, headSeq, headAt: head?.at ?? null };
  }

  async status(): Promise<ReplicationStatusView> {
    const seq = await this.replication.log.headSeq();
    return {
      region: this.region,
      role: this.role,
      appliedSeq: seq,
      homeSeq: seq,
      lagEntries: 0,
      lagMs: 0,
      lastContactAt: new Date(),
      homeReachable: true,
      pendingWrites: 0,
      rejectedWrites: await this.replication.rejectedCount(),
    };
  }
}

const logQuery = `query ReplicationLog($after: Int!, $first: Int) {
  replicationLog(after: $after, first: $first) { headSeq headAt entries { seq at customer { ${customerWireFields} } } }
}`;
const customerQuery = `query HomeCustomer($id: ID!) { customer(id: $id) { ${customerWireFields} } }`;
const applyMutation = `mutation ApplyWrites($region: Region!, $writes: [ReplicatedWrite!]!) {
  applyWrites(region: $region, writes: $writes) { writeId status code field message customer { ${customerWireFields} } }
}`;

interface LogPageWire {
  headSeq: number;
  headAt: string | null;
  entries: { seq: number; at: string; customer: CustomerWire }[];
}
interface OutcomeWire {
  writeId: string;
  status: 'APPLIED' | 'REJECTED';
  code: string | null;
  field: string | null;
  message: string | null;
  customer: CustomerWire | null;
}

export interface ReplicaOptions {
  region: RegionCode;
  /** The home copy's GraphQL interface (never its database). */
  home: GraphQLClient;
  pollIntervalMs: number;
  /** How long a mutation waits for home to confirm its write before answering with the queued write. */
  writeWaitMs: number;
  logger: Logger;
}

/**
 * A regional replica. Reads come from its own database. A pull loop follows home's
 * replication log in order and stores each state unless it holds that version already;
 * a forward loop sends the writes made here to home, in order, until home has confirmed
 * each one. One process applies per replica database (see docs/regional-replicas.md).
 */
export class ReplicaCopy implements CustomersCopy {
  readonly role = 'REPLICA' as const;
  readonly region: RegionCode;
  private applied = 0;
  private homeSeq = 0;
  private forwarded = 0;
  private lastContactAt: Date | null = null;
  private reachable: boolean | undefined;
  /** When the oldest entry home has and this copy has not applied was logged (null when caught up). */
  private oldestUnappliedAt: Date | null = null;
  private readonly startedAt = new Date();
  /** Mutations waiting for home's answer to their write; null: home cannot be reached now (answer with the write queued). */
  private readonly waiters = new Map<string, (outcome: WriteResult | null) => void>();
  /** Runs work after whatever runs for the same customer in this process, before what comes after it. */
  private readonly serially = oneAtATimePerKey();
  private pullLoop: ReturnType<typeof startLoop> | undefined;
  private oneAtATime = false;
  private forwardLoop: ReturnType<typeof startLoop> | undefined;
  private stopObserving: (() => void) | undefined;

  constructor(
    private readonly store: CustomerStore,
    private readonly replication: ReplicationStore,
    private readonly options: ReplicaOptions,
  ) {
    this.region = options.region;
  }

  async start(): Promise<void> {
    const applied = await this.replication.progressOf('applied');
    this.applied = applied.seq;
    this.homeSeq = applied.homeSeq;
    this.forwarded = (await this.replication.progressOf('forwarded')).seq;
    await this.replication.outgoing.start();
    const { pollIntervalMs: intervalMs, logger } = this.options;
    this.pullLoop = startLoop(() => this.pull(), { intervalMs, logger, what: 'following the home replication log' });
    this.forwardLoop = startLoop(() => this.forward(), { intervalMs, logger, what: 'sending writes to the home copy' });
    this.stopObserving = onScrape(`customers-replica/${this.region}`, { read: () => this.observe(), forget: () => this.forgetObserved() });
  }

  /** replicationStatus, as /metrics shows it (observability/alerts.yml alerts on it). */
  private async observe(): Promise<() => void> {
    const status = await this.status();
    const region = this.region;
    return () => {
      replicationLag.set({ region }, status.lagMs / 1000);
      replicationHomeReachable.set({ region }, status.homeReachable ? 1 : 0);
      replicationPendingWrites.set({ region }, status.pendingWrites);
      replicationRejectedWrites.set({ region }, status.rejectedWrites);
    };
  }

  private forgetObserved(): void {
    for (const gauge of replicaGauges) gauge.remove({ region: this.region });
  }

  async stop(): Promise<void> {
    this.stopObserving?.();
    await Promise.all([this.pullLoop?.stop(), this.forwardLoop?.stop()]);
    await this.options.home.close();
  }

  readLog(): Promise<LogPage> {
    throw notHome();
  }

  applyWrites(): Promise<WriteResult[]> {
    throw notHome();
  }

  async write(write: Write): Promise<CustomerDoc> {
    // Waiting before appending: the forward loop may send the write the moment it is stored.
    let settle!: (outcome: WriteResult | null) => void;
    const confirmed = new Promise<WriteResult | null>((resolve) => {
      const timer = setTimeout(() => settle(null), this.options.writeWaitMs);
      settle = (outcome) => {
        clearTimeout(timer);
        this.waiters.delete(write.writeId);
        resolve(outcome);
      };
    });
    this.waiters.set(write.writeId, settle);
    let repeated: CustomerDoc | null;
    try {
      repeated = await this.serially(write.customerId, () => this.queue(write));
    } catch (error) {
      settle(null);
      throw error;
    }
    if (repeated) {
      settle(null);
      return repeated;
    }
    this.forwardLoop?.wake();
    const outcome = await confirmed;
    if (outcome?.status === 'REJECTED') throw refusal(outcome);
    if (outcome?.status === 'APPLIED') return (await this.store.findById(outcome.customer._id)) ?? outcome.customer;
    // Home did not answer in time: the write stays queued and reaches home once it can. Unless
    // what this copy took in from home meanwhile (writes made elsewhere) leaves no room for it:
    // home will refuse it, and the caller is told so now, not answered with what will not be.
    const pending = await this.pendingWrites();
    const future = await this.asItWillBe(write.customerId, pending);
    // (overLimit passes a write whose address or card the customer holds already.)
    const crowdedOut = future && overLimit(future, write);
    if (crowdedOut) throw refusal(crowdedOut);
    if (future) return future;
    return (await this.store.findById(new ObjectId(write.customerId)))!; // confirmed in the meantime
  }

  /**
   * Checks a write against the customer as this copy will hold it (its queued writes applied),
   * then queues it for home; one at a time per customer. Refuses a write whose id holds something
   * else (the key used twice). A write home confirmed before (a retry with its key) is answered
   * with the customer, queueing nothing. One that repeats a write still queued is queued too, and
   * waits for home's answer to it like the first: home may refuse the first (its key used there
   * for something else), and then this one as well.
   */
  private async queue(write: Write): Promise<CustomerDoc | null> {
    const pending = await this.pendingWrites();
    let stored = await this.store.findById(new ObjectId(write.customerId));
    let current = applyQueued(stored, write.customerId, pending);
    if (!current && write.kind !== 'ADD_CUSTOMER') {
      stored = await this.fromHome(write.customerId);
      current = applyQueued(stored, write.customerId, pending);
    }
    const repeat = repeatOf(current, write);
    if (repeat === 'conflict') throw refusal(idReused(write.kind));
    if (repeatOf(stored, write) === 'same') return current;
    // A repeat of a queued write is queued again as it is (home applies it once), for home's answer.
    if (repeat === 'new') await this.refuseWhatHomeWould(write, current, pending);
    await this.replication.outgoing.append(() => ({ write }));
    return null;
  }

  /**
   * Home's copy of a customer this copy does not hold, taken in as a pull would take it (run for
   * that customer alone, as `queue` is). A customer added or changed elsewhere moments ago reaches
   * this copy with its next pull, and a write for it meanwhile was refused as for no customer,
   * though home would take it: a sign-up at home, then a card added through a regional gateway.
   * Null when home has no such customer; DEPENDENCY_UNAVAILABLE when home cannot be asked, since
   * this copy cannot tell then whether the customer exists.
   */
  private async fromHome(customerId: string): Promise<CustomerDoc | null> {
    let wire: CustomerWire | null;
    try {
      wire = (await this.options.home.request<{ customer: CustomerWire | null }>(customerQuery, { id: customerId })).customer;
    } catch (error) {
      if (!(error instanceof RejectedByService)) this.lostContact(error);
      throw clientError(ErrorCode.DEPENDENCY_UNAVAILABLE, `customer ${customerId} is not in this regional copy yet, and its home copy cannot be asked now; try again shortly`);
    }
    this.madeContact();
    if (!wire) return null;
    await this.store.applyReplicated(fromCustomerWire(wire));
    return this.store.findById(new ObjectId(customerId));
  }

  /** Refuses, before it is queued, a new write home would refuse: an email taken, no such customer, a customer with all the addresses or cards it may have. */
  private async refuseWhatHomeWould(write: Write, current: CustomerDoc | null, pending: readonly Write[]): Promise<void> {
    if (write.kind === 'ADD_CUSTOMER') {
      const email = write.customer!.email;
      if ((await this.store.findByEmail(email)) || pending.some((w) => w.kind === 'ADD_CUSTOMER' && w.customer!.email === email)) {
        throw clientError(ErrorCode.CONFLICT, `a customer with email ${email} already exists`, { field: 'email' });
      }
      return;
    }
    if (!current) throw clientError(ErrorCode.NOT_FOUND, `no customer with id ${write.customerId}`);
    const full = overLimit(current, write);
    if (full) throw refusal(full);
  }

  /**
   * Reads see this copy's own queued writes: a customer added or changed here while home is
   * out of reach reads as the mutation answered, not as it was before (or as missing).
   */
  async findByIds(ids: readonly ObjectId[]): Promise<CustomerDoc[]> {
    const [stored, pending] = await Promise.all([this.store.findByIds(ids), this.pendingWrites()]);
    if (pending.length === 0) return stored;
    const wanted = new Set(ids.map((id) => id.toHexString()));
    return withQueued(stored, pending.filter((write) => wanted.has(write.customerId)));
  }

  /** As `findByIds`: what a replica shows is what its queued writes make it. */
  shownByIds(ids: readonly ObjectId[]): Promise<CustomerDoc[]> {
    return this.findByIds(ids);
  }

  async list(page: PageRequest): Promise<Connection<CustomerDoc>> {
    const [stored, pending] = await Promise.all([this.store.listRows(page), this.pendingWrites()]);
    // Customers added here and still queued take their place in the list's order (and after the
    // cursor only if they sort there), with the changes queued for them since.
    const listed = new Set([...stored.map((customer) => customer._id.toHexString()), ...pending.filter((write) => write.kind === 'ADD_CUSTOMER').map((write) => write.customerId)]);
    const relevant = pending.filter((write) => listed.has(write.customerId));
    return this.store.pageOf(relevant.length ? withQueued(stored, relevant) : stored, page);
  }

  /** Writes made here that home has not confirmed yet, oldest first. */
  private async pendingWrites(): Promise<Write[]> {
    const head = await this.replication.outgoing.headSeq();
    const writes: Write[] = [];
    for (let after = this.forwarded; after < head; ) {
      const entries = await this.replication.outgoing.read(after, 100, head);
      if (entries.length === 0) break;
      writes.push(...entries.map((entry) => entry.write));
      after = entries.at(-1)!.seq;
    }
    return writes;
  }

  /** This copy's customer with the writes still queued here applied (null: no such customer here). */
  private async asItWillBe(customerId: string, pending: Write[]): Promise<CustomerDoc | null> {
    return applyQueued(await this.store.findById(new ObjectId(customerId)), customerId, pending);
  }

  /** Stores a state from home unless this copy holds that version already; one at a time per customer. */
  private takeIn(state: CustomerDoc): Promise<boolean> {
    return this.serially(state._id.toHexString(), () => this.store.applyReplicated(state));
  }

  private async pull(): Promise<boolean> {
    let page: LogPageWire;
    try {
      page = (await this.options.home.request<{ replicationLog: LogPageWire }>(logQuery, { after: this.applied, first: 100 })).replicationLog;
    } catch (error) {
      this.lostContact(error);
      return false;
    }
    this.madeContact();
    this.homeSeq = Math.max(this.homeSeq, page.headSeq);
    let last: Date | null = null;
    for (const entry of page.entries) {
      if (entry.seq !== this.applied + 1) break; // never skip one
      this.oldestUnappliedAt = new Date(entry.at);
      await this.takeIn(fromCustomerWire(entry.customer));
      this.applied = entry.seq;
      last = new Date(entry.at);
    }
    // The next entry was logged after the last one applied: its age is at most that one's.
    this.oldestUnappliedAt = this.applied < this.homeSeq ? (last ?? this.oldestUnappliedAt ?? (page.headAt ? new Date(page.headAt) : null)) : null;
    if (page.entries.length > 0) await this.replication.recordProgress('applied', this.applied, this.homeSeq);
    return page.entries.length > 0 && this.applied < this.homeSeq;
  }

  private async forward(): Promise<boolean> {
    const head = await this.replication.outgoing.headSeq();
    if (this.forwarded >= head) return false;
    // A write home refuses as malformed is found by sending one at a time, then set aside.
    const entries = await this.replication.outgoing.read(this.forwarded, this.oneAtATime ? 1 : 20, head);
    if (entries.length === 0) return false;
    let outcomes: OutcomeWire[];
    try {
      outcomes = (await this.options.home.request<{ applyWrites: OutcomeWire[] }>(applyMutation, { region: this.region, writes: entries.map((entry) => toWire(entry.write)) })).applyWrites;
    } catch (error) {
      if (error instanceof RejectedByService && error.codes.every((code) => code === ErrorCode.BAD_USER_INPUT)) {
        this.madeContact();
        if (entries.length > 1) {
          this.oneAtATime = true;
          return true; // again at once, one write at a time
        }
        await this.setAside(entries[0]!, error.message);
        return true;
      }
      if (error instanceof RejectedByService) {
        // Home answered but will not take the writes as such (its interface differs: a version mismatch): keep them, say so.
        this.madeContact();
        this.options.logger.error('the home copy refuses forwarded writes; they stay queued', { error: error.message });
      } else this.lostContact(error);
      // No point keeping their mutations waiting: they answer with the write queued.
      for (const { write } of entries) this.waiters.get(write.writeId)?.(null);
      return false;
    }
    this.madeContact();
    for (const [i, wire] of outcomes.entries()) {
      const { write, seq } = entries[i]!;
      let outcome: WriteResult;
      if (wire.status === 'APPLIED' && wire.customer) {
        const customer = fromCustomerWire(wire.customer);
        await this.takeIn(customer); // read-your-writes: this copy shows the write at once
        outcome = { writeId: wire.writeId, status: 'APPLIED', customer };
      } else {
        outcome = { writeId: wire.writeId, status: 'REJECTED', code: wire.code ?? ErrorCode.CONFLICT, message: wire.message ?? 'refused by the home copy', field: wire.field };
        await this.replication.recordRejected({ _id: write.writeId, region: this.region, kind: write.kind, customerId: write.customerId, code: outcome.code, message: outcome.message, at: new Date() });
        this.options.logger.warn('the home copy refused a write made here', { writeId: write.writeId, kind: write.kind, customerId: write.customerId, code: outcome.code });
      }
      this.forwarded = seq;
      this.waiters.get(write.writeId)?.(outcome);
    }
    await this.replication.recordProgress('forwarded', this.forwarded);
    return this.forwarded < head;
  }

  /** A write home refuses as malformed: recorded as rejected, its mutation told, and the queue moves on. */
  private async setAside({ write, seq }: { write: Write; seq: number }, reason: string): Promise<void> {
    const outcome: WriteResult = { writeId: write.writeId, status: 'REJECTED', code: ErrorCode.BAD_USER_INPUT, message: reason };
    await this.replication.recordRejected({ _id: write.writeId, region: this.region, kind: write.kind, customerId: write.customerId, code: outcome.code, message: reason, at: new Date() });
    this.options.logger.warn('the home copy refused a write made here as malformed', { writeId: write.writeId, kind: write.kind, reason });
    this.forwarded = seq;
    await this.replication.recordProgress('forwarded', this.forwarded);
    this.oneAtATime = false;
    this.waiters.get(write.writeId)?.(outcome);
  }

  private madeContact() {
    if (this.reachable === false) this.options.logger.info('the home copy is reachable again');
    this.reachable = true;
    this.lastContactAt = new Date();
  }

  private lostContact(error: unknown) {
    if (this.reachable !== false) {
      const reason = isClientError(error) || error instanceof Error ? error.message : String(error);
      this.options.logger.warn('the home copy is unreachable: reads are served from this copy, writes made here are queued', { reason });
    }
    this.reachable = false;
  }

  async status(): Promise<ReplicationStatusView> {
    // The database first, then what is in memory: read after a slow answer, the lag and
    // reachability would be of different moments (a lag of 29 s beside home reachable).
    const outgoingHead = await this.replication.outgoing.headSeq();
    const rejectedWrites = await this.replication.rejectedCount();
    const now = Date.now();
    const behind = this.oldestUnappliedAt ? now - this.oldestUnappliedAt.getTime() : 0;
    const silence = this.reachable ? 0 : now - (this.lastContactAt ?? this.startedAt).getTime();
    return {
      region: this.region,
      role: this.role,
      appliedSeq: this.applied,
      homeSeq: this.homeSeq,
      lagEntries: Math.max(0, this.homeSeq - this.applied),
      lagMs: Math.min(2 ** 31 - 1, Math.max(behind, silence)), // a GraphQL Int
      lastContactAt: this.lastContactAt,
      homeReachable: this.reachable === true,
      pendingWrites: Math.max(0, outgoingHead - this.forwarded),
      rejectedWrites,
    };
  }
}

/** The customer with the writes to it still queued here applied, in order. */
function applyQueued(stored: CustomerDoc | null, customerId: string, pending: readonly Write[]): CustomerDoc | null {
  return withQueued(stored ? [stored] : [], pending.filter((write) => write.customerId === customerId))[0] ?? null;
}

/**
 * The customers with the writes still queued here applied, each counting those that changed it
 * (`unconfirmedWrites`: the answer says what home has yet to confirm; a retry queued again for
 * home's answer changes nothing, and is not counted twice).
 */
function withQueued(stored: CustomerDoc[], pending: readonly Write[]): CustomerDoc[] {
  const byId = new Map<string, CustomerDoc | null>(stored.map((customer) => [customer._id.toHexString(), customer]));
  for (const write of pending) {
    const before = byId.get(write.customerId) ?? null;
    // One that no longer fits (writes made elsewhere took the room) home will refuse: never shown,
    // so no read shows a customer with more addresses or cards than a customer may have.
    if (before && overLimit(before, write)) continue;
    const after = applyWrite(before, write);
    byId.set(write.customerId, !after || after === before ? after : { ...after, unconfirmedWrites: (before?.unconfirmedWrites ?? 0) + 1 });
  }
  return [...byId.values()].filter((customer): customer is CustomerDoc => customer !== null);
}
