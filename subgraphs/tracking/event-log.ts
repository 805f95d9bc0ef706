import type { Logger } from '../../kit/logger.ts';
import { badInput, clientError, ErrorCode, tryLater } from '../../kit/errors.ts';
import { startLoop } from '../../kit/loop.ts';
import { SEGMENT_SIZE } from '../../kit/sequenced-log.ts';
import { countFromZero, movesHeld, transitionsRecorded } from '../../kit/metrics.ts';
import { isServiceName, serviceNames } from '../../pipeline/services.ts';
import { isTransitionState } from '../../pipeline/tracking.ts';
import { TrailingWrite } from '../../kit/trailing-write.ts';
import { eventId, type EventDoc, type StoreOutcome, type TrackingStore, type TransitionDoc } from './store.ts';

/** Transitions appended in one go at the most. */
const MAX_GROUP = 200;

/**
 * Entries read into memory at start, at most: more than a dying process can have left without
 * marks (a group is at most MAX_GROUP), with room for other processes' appends meanwhile.
 */
const PRELOAD = 2_000;

/**
 * How far back, below memory, a redelivered transition's entry is looked for (segments of 500
 * entries), and how many such segments are kept for the redeliveries that follow. Beyond, it is
 * appended again (a follower of every order would get it twice; one of that order finds it once).
 */
const SEARCHED_SEGMENTS = 40;

/** How far the clocks of two tracking processes may differ: an entry is looked for from this long before its transition was stored. */
const CLOCK_SKEW_MS = 5_000;

/** How far the poll for other processes' entries slows down while none turn up. */
const IDLE_BACK_OFF = 8;

/** How long after it last read another process's entry its own appends keep the polls fast. */
const OTHERS_ACTIVE_MS = 10_000;

/**
 * While it appends alone, a tracking process writes the log's recorded head at most this often.
 * Written after every append, it was the largest source of updates an order cost the database
 * (2.6 of 27), for readers that walk past it anyway: a process starting reads on past the head,
 * and another tracking process that only reads looks past it about once a second.
 */
const HEAD_WRITE_GAP_MS = 250;

export interface EventLogOptions {
  /** How often to look for entries other tracking processes appended. */
  pollIntervalMs: number;
  /** Recent entries kept in memory, so live and resuming subscribers rarely read the database. */
  capacity: number;
  logger: Logger;
  /** How long a duplicate delivery waits for the first to append its event before doing it itself. */
  takeOverAfterMs: number;
  /**
   * How long after its delivery arrived a move may wait for its element's move into the state it
   * leaves, when that has no entry yet, before its own is appended all the same (0, the default:
   * it does not wait). Nodes record through outboxes of their own, and under load one node's
   * records can reach tracking seconds after those of the next node, which took the element over
   * meanwhile: without the wait, a subscriber got a shipment's PICKING → SHIPPING before its
   * NEW → PICKING. Keep it under the senders' request timeout (5 s): the delivery is answered
   * after the append (a sender that gives up first delivers again, and that waits for the same append).
   */
  holdMs?: number;
}

/**
 * The log subscribers follow. Recording appends each new transition as entry n+1, only
 * after entry n exists (a unique `_id` settles two writers racing for a number), so the log
 * has no gaps and its order is the order of recording. Every tracking process follows the
 * log with one cheap `_id` lookup per poll (what it appends itself it takes as written), keeps the
 * newest entries in memory, and serves all its subscribers from there: a subscriber is just
 * a cursor into the log, which is why resuming from a cursor loses nothing.
 */
export class EventLog {
  /** The newest entry this process has read, so every entry up to it is in order. */
  private readHead = 0;
  /** The newest entry known to exist: where the next append starts trying. */
  private writeHead = 0;
  private readonly recent = new Map<number, EventDoc | null>();
  private readonly seqOfTransition = new Map<string, number>();
  /**
   * Transitions whose entry and mark this process wrote or found, newest last (at most `capacity`):
   * a delivery of one again is passed over without a request. Each of an order's later moves
   * carries the moves before it (sendOrderTransitions), so this is the usual redelivery, and on the
   * embedded database a batch holding one known transition was stored one document per transaction.
   */
  private readonly marked = new Set<string>();
  private readonly waiters = new Set<() => void>();
  /** Followers of one order wait here, woken only by that order's entries. */
  private readonly orderWaiters = new Map<string, Set<() => void>>();
  /** The kept entries of each order, oldest first: an order's follower skips everyone else's. */
  private readonly seqsByOrder = new Map<string, number[]>();
  /** Transitions waiting for the append under way to finish, to be appended together after it. */
  private readonly toAppend: { doc: TransitionDoc; resolve: (seq: number) => void; reject: (error: unknown) => void }[] = [];
  private flushing = false;
  /** Appends under way in this process, by transition id. */
  private readonly appendsUnderWay = new Map<string, Promise<number>>();
  /**
   * Transitions a delivery in this process is storing, or has stored and not yet appended, by id:
   * settled once that delivery is done with each (rejected if it gave up before it). Another
   * delivery carrying one waits for this instead of finding it stored with no event and taking
   * over after `takeOverAfterMs`: when the first was slower than that (a busy machine), both appended it.
   */
  private readonly claims = new Map<string, Claim>();
  private loop: ReturnType<typeof startLoop> | undefined;
  private probedAt = 0;
  /** When the loop last read an entry another tracking process appended (Date.now()). */
  private othersReadAt = 0;
  /** This process appended since the loop's last pass. */
  private appendedSincePass = false;
  /** Segments below memory read while looking for a transition's entry (foundBeforeMemory), by segment number. */
  private readonly searched = new Map<number, { through: number; seqOf: Map<string, number>; oldestAt: number }>();
  /** Entries below this are no longer kept in memory. */
  private oldestKept = 1;
  /** Entries below this are no longer kept in the database either: the same for every process, whatever its memory holds. */
  private floor = 1;
  /** The head this process last appended up to, written behind (HEAD_WRITE_GAP_MS). */
  private readonly headWrites: TrailingWrite<number>;
  stopped = false;

  constructor(
    private readonly store: TrackingStore,
    private readonly options: EventLogOptions,
  ) {
    this.headWrites = new TrailingWrite((seq) => this.store.advanceHead(seq), HEAD_WRITE_GAP_MS);
  }

  async start(): Promise<void> {
    countFromZero(movesHeld, [...serviceNames, 'other'].flatMap((node) => [{ node, outcome: 'arrived' }, { node, outcome: 'timed_out' }]));
    this.readHead = this.writeHead = await this.store.lastEventSeq();
    this.oldestKept = this.readHead + 1; // nothing read yet is kept in memory
    this.floor = await this.store.eventFloor();
    await this.preload();
    // While no other process's entries turn up the polls back off to 8× the interval: the head
    // lookup was a third of what an idle system asked its database. An append made here wakes the
    // loop only when another process appends too (see catchUp).
    this.loop = startLoop(() => this.catchUp(), {
      intervalMs: this.options.pollIntervalMs,
      idleMaxMs: this.options.pollIntervalMs * IDLE_BACK_OFF,
      logger: this.options.logger,
      what: 'following the event log',
    });
  }

  /**
   * Reads the newest entries into memory, as if this process had followed them. A process that
   * died between appending entries and writing their marks left entries with no mark; the
   * redelivery that follows the restart must find them here, or it takes over and appends
   * the transitions again (a follower replaying the log then got them twice).
   */
  private async preload(): Promise<void> {
    const from = Math.max(this.floor, this.readHead - Math.min(this.options.capacity, PRELOAD) + 1);
    if (from > this.readHead) return;
    const stored = await this.store.eventsBetween(from, this.readHead);
    // Only an unbroken run up to the head: memory must hold every entry from oldestKept on.
    let start = stored.length;
    while (start > 0 && stored[start - 1]!.seq === this.readHead - (stored.length - start)) start--;
    const run = stored.slice(start);
    if (run.length === 0) return;
    this.oldestKept = run[0]!.seq;
    for (const event of run) this.remember(event);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop?.stop();
    // A clean stop leaves the head where the log ends: the next start has nothing to walk past.
    await this.headWrites.close();
    // Written once more: FerretDB applies a `$max` by reading and writing back, so another process's
    // older head, written at the same moment, can have undone this process's last write.
    if (this.writeHead > 0) await this.store.advanceHead(this.writeHead).catch(() => {});
    for (const wake of this.waiters) wake();
    for (const set of this.orderWaiters.values()) for (const wake of set) wake();
  }

  get head(): number {
    return this.readHead;
  }

  /**
   * Stores transitions once each and appends one event for each, in the order given. Returns how
   * many were new. They are stored in one request; a run of transitions stored by this call is
   * appended as one group. A transition another delivery stored first is waited for in its place
   * (its event must come before those after it), and what this call stored before it is appended
   * first: nobody else appends those, so a delivery waiting for them is never held up by this wait.
   * In this process, one that another delivery is storing or appending is waited for (`claims`),
   * and one whose entry the process holds is passed over (`passOverLogged`).
   * Deliveries that give the same transitions in the same order (a redelivery, or the order's
   * transitions up to each of its moves) never wait on each other. Two that give them in
   * contradictory orders cannot both be honoured: each waits for the other's until the take-over
   * (`takeOverAfterMs`), and a transition both then append is given to live subscribers once.
   * A batch that fails part-way appends, in order, what it stored up to the first transition not
   * stored (or not known), then throws: the sender delivers again for the rest.
   */
  async record(transitions: readonly TransitionDoc[]): Promise<number> {
    const holdUntil = Date.now() + (this.options.holdMs ?? 0);
    // The states the delivery itself moves its elements into, built once, for the moves that may wait.
    let enteredHere: ReadonlySet<string> | undefined;
    const inDelivery = (doc: TransitionDoc) => (enteredHere ??= new Set(transitions.map((t) => entryKey(t, t.to)))).has(entryKey(doc, doc.from!));
    // Known to have an entry (and a mark), it is before anything appended now: nothing to wait for.
    const unmarked = firstOfEachId(transitions).filter((doc) => !this.marked.has(doc._id));
    const unknown = await this.passOverLogged(unmarked);
    if (unknown.length === 0) return 0;
    // Being stored or appended here (by another delivery carrying it too): waited for in its place
    // below, without an insert that FerretDB would refuse and retry a document at a time.
    const othersHere = new Map<string, Promise<unknown>>();
    for (const { _id: id } of unknown) {
      const work = this.appendsUnderWay.get(id) ?? this.claims.get(id)?.settled;
      if (work) othersHere.set(id, work);
    }
    const toStore = unknown.filter((doc) => !othersHere.has(doc._id));
    const claimed = this.claim(toStore);
    try {
      return await this.recordClaimed(unknown, toStore, othersHere, inDelivery, holdUntil, new Map(claimed.map((claim) => [claim.id, claim])));
    } finally {
      for (const claim of claimed) this.release(claim);
    }
  }

  /**
   * Those of the transitions whose entry is not among those this process holds. One it holds was
   * stored before its entry was appended, and is before anything appended now: only its mark may be
   * missing (its appender died in between), and a process restarted since knows none of the marks.
   * They are written, for all of them in one request (one already there is left as it is), and
   * the transitions are passed over. After a restart, the first delivery of an order's moves
   * recorded before it stored each again, read it back and looked up its mark.
   */
  private async passOverLogged(transitions: readonly TransitionDoc[]): Promise<TransitionDoc[]> {
    const logged = transitions.filter((doc) => this.seqOfTransition.has(doc._id) && !this.appendsUnderWay.has(doc._id));
    if (logged.length === 0) return [...transitions];
    await this.markFound(logged.map((doc) => ({ stored: doc, seq: this.seqOfTransition.get(doc._id)! })));
    const passed = new Set(logged);
    return transitions.filter((doc) => !passed.has(doc));
  }

  /** record, once the transitions it stores here are claimed (`toStore`, `mine`) and those another delivery here stores or appends are known (`othersHere`). */
  private async recordClaimed(
    unknown: readonly TransitionDoc[],
    toStore: readonly TransitionDoc[],
    othersHere: ReadonlyMap<string, Promise<unknown>>,
    inDelivery: (doc: TransitionDoc) => boolean,
    holdUntil: number,
    mine: ReadonlyMap<string, Claim>,
  ): Promise<number> {
    const storing = toStore.length > 0 ? await this.store.recordAllOnce(toStore) : { results: [] };
    const outcomes = new Map(toStore.map((doc, i) => [doc._id, storing.results[i]!]));
    // (Dated now, as if stored now: should that append fail, the searches for its entry below look back from about when it was stored.)
    const results = unknown.map((doc): StoreOutcome => outcomes.get(doc._id) ?? { outcome: 'existing', stored: { ...doc, recordedAt: doc.recordedAt ?? new Date() } });
    const { error } = storing;
    const marksFound = await this.marksOfRedelivered(results, othersHere);
    let added = 0;
    let run: TransitionDoc[] = [];
    const appendRun = async () => {
      const appending = run;
      run = [];
      added += await this.appendAll(appending);
    };
    /** Appends `stored` in its turn: after the move into the state it leaves, if that has no entry yet. */
    const appendInTurn = async (stored: TransitionDoc) => {
      if (this.followsKnownMove(stored, inDelivery, holdUntil)) run.push(stored);
      else {
        // Its element's previous move, recorded by another node, has no entry yet: what this call
        // stored before goes first, and this waits for that move (holdMs), then what follows it.
        await appendRun();
        added += await this.appendAll([stored], this.afterMoveInto(stored, holdUntil));
      }
    };
    for (const result of results) {
      // Not stored, or not known: what follows cannot go after it yet. The sender delivers again.
      if (result.outcome === 'absent' || result.outcome === 'unknown') break;
      const { stored } = result;
      if (result.outcome === 'inserted') {
        await appendInTurn(stored);
        continue;
      }
      // A redelivery (its sender timed out while the first was still being recorded, here or elsewhere).
      await appendRun();
      const here = othersHere.get(stored._id) ?? this.appendsUnderWay.get(stored._id);
      if (here) {
        // Failed there: this delivery fails too, as one to try again (its sender waits without spending an attempt).
        await here.catch(() => {
          throw tryLater(`transition ${stored._id} was being recorded by another delivery, which failed; deliver it again`);
        });
        mine.get(stored._id)?.done();
        continue;
      }
      if (
        this.marked.has(stored._id) ||
        marksFound.has(stored._id) ||
        (await this.repairedMark(stored)) ||
        (await this.markedInDatabase(stored)) ||
        (await this.appendedByOther(stored)) ||
        (await this.foundBeforeMemory(stored))
      ) {
        mine.get(stored._id)?.done();
        continue;
      }
      // Stored by a delivery that stopped before appending its event (its process was killed): append
      // it as if stored now. After a restart the next node's delivery, which carries this move before
      // its own, often comes before the redelivery of the move before this one: appended at once, this
      // and the next node's move went into the log ahead of it.
      await appendInTurn(stored);
    }
    await appendRun();
    if (error !== undefined) throw error;
    return added;
  }

  /**
   * Which of the transitions another delivery stored already have their event, asked for all at
   * once: a redelivered batch whose first delivery finished (the usual case after a timeout) is
   * then passed over without one lookup after another. A lookup that fails is asked again in turn.
   */
  private async marksOfRedelivered(results: readonly StoreOutcome[], othersHere: ReadonlyMap<string, unknown>): Promise<Set<string>> {
    const redelivered = results.flatMap((result) =>
      result.outcome === 'existing' && !othersHere.has(result.stored._id) && !this.appendsUnderWay.has(result.stored._id) && !this.marked.has(result.stored._id)
        ? [result.stored._id]
        : [],
    );
    const seqs = await this.store.appendedSeqs(redelivered).catch(() => new Map<string, number>());
    const found = redelivered.filter((id) => seqs.has(id));
    // Remembered: the next delivery of these (every later move of their order carries them) asks nothing.
    // A process restarted since their first delivery knew none of them, and asked each time.
    this.noteMarked(found);
    return new Set(found);
  }

  /** Whether the transition's mark is in the database (remembered, as in marksOfRedelivered). */
  private async markedInDatabase(stored: TransitionDoc): Promise<boolean> {
    if ((await this.store.appendedSeq(stored._id)) === null) return false;
    this.noteMarked([stored._id]);
    return true;
  }

  /**
   * Appends events for these transitions (after `after`, if given), queued together and in order
   * (one group unless an append is under way); how many this call appended (not another's under way).
   */
  private async appendAll(transitions: readonly TransitionDoc[], after?: Promise<void>): Promise<number> {
    const fresh = transitions.filter((stored) => !this.appendsUnderWay.has(stored._id));
    await Promise.all(transitions.map((stored) => this.appendOnce(stored, after)));
    for (const stored of fresh) transitionsRecorded.inc({ element_type: stored.elementType, state: stored.to });
    return fresh.length;
  }

  /** Claims the transitions a delivery is about to store (see `claims`). */
  private claim(docs: readonly TransitionDoc[]): Claim[] {
    return docs.map((doc) => {
      const claim = newClaim(doc._id);
      this.claims.set(doc._id, claim);
      return claim;
    });
  }

  /** Its delivery is done: a claim not settled by then was given up (the delivery broke off before it). */
  private release(claim: Claim): void {
    claim.fail(new Error(`transition ${claim.id} was not recorded by the delivery that stored it`));
    if (this.claims.get(claim.id) === claim) this.claims.delete(claim.id);
  }

  /**
   * One append per transition in this process, however many deliveries of it arrive meanwhile. A
   * move held for the one before it is under way from the start: a redelivery waits for it too.
   */
  private appendOnce(stored: TransitionDoc, after?: Promise<void>): Promise<number> {
    const existing = this.appendsUnderWay.get(stored._id);
    if (existing) {
      this.claims.get(stored._id)?.follow(existing);
      return existing;
    }
    const underWay = after ? after.then(() => this.append(stored)) : this.append(stored);
    this.appendsUnderWay.set(stored._id, underWay);
    this.claims.get(stored._id)?.follow(underWay);
    void underWay.then(
      () => this.appendsUnderWay.delete(stored._id),
      () => this.appendsUnderWay.delete(stored._id),
    );
    return underWay;
  }

  /**
   * Whether the transition goes in now, without waiting for the move into the state it leaves: a
   * first move, a move from a state no node records (nothing to wait for), one whose previous move
   * is in the same delivery (before it, or after it: then the sender's order stands), or has an
   * entry of the order in memory. Or the hold is off, or the delivery's time to hold is spent
   * (what remains goes as given, without a lookup each: a sender gives up after 5 s).
   */
  private followsKnownMove(doc: TransitionDoc, inDelivery: (doc: TransitionDoc) => boolean, holdUntil: number): boolean {
    if (!this.options.holdMs || Date.now() >= holdUntil || doc.from === null || doc.orderId === null || !isTransitionState(doc.from)) return true;
    return inDelivery(doc) || this.enteredInMemory(doc);
  }

  private enteredInMemory(doc: TransitionDoc): boolean {
    return (this.seqsByOrder.get(doc.orderId!) ?? []).some((seq) => {
      const entry = this.recent.get(seq);
      return entry ? entersFrom(entry, doc) : false;
    });
  }

  /**
   * Resolves once the element's move into the state `doc` leaves has an entry: one older than
   * memory (its mark or its warehouse copy says so), or one this process reads (appended here or
   * by another tracking process), or at `deadline` all the same, so that a move whose previous one
   * never comes is not lost. Never rejects: a failed lookup only means waiting in memory.
   */
  private async afterMoveInto(doc: TransitionDoc, deadline: number): Promise<void> {
    if (await this.store.entered(doc.elementType, doc.elementId, doc.from!).catch(() => false)) return;
    while (!this.enteredInMemory(doc)) {
      const left = deadline - Date.now();
      if (this.stopped) return; // appended as it stands: stopping waits for nobody's records
      if (left <= 0) {
        movesHeld.inc({ node: nodeLabel(doc.node), outcome: 'timed_out' });
        this.options.logger.warn('a move was appended before the move it follows, which did not arrive in time', { transition: doc._id, from: doc.from, holdMs: this.options.holdMs });
        return;
      }
      const wait = this.waitBeyond(this.readHead, doc.orderId!);
      const timer = setTimeout(() => wait.cancel(), left);
      await wait.promise;
      clearTimeout(timer);
    }
    movesHeld.inc({ node: nodeLabel(doc.node), outcome: 'arrived' });
  }

  /**
   * Whether the transition's entry is among those this process has read though its mark is
   * missing (its appender died, or its mark failed, in between): the mark is written now, and
   * no second entry is appended.
   */
  private async repairedMark(stored: TransitionDoc): Promise<boolean> {
    const seq = this.seqOfTransition.get(stored._id);
    if (seq === undefined) return false;
    await this.markFound([{ stored, seq }]);
    return true;
  }

  /** Writes the marks of transitions whose entries were found (in one request); a failure only leaves the next redelivery to look again. */
  private async markFound(found: readonly { stored: TransitionDoc; seq: number }[]): Promise<void> {
    await this.store.markAppended(found.map(({ stored, seq }) => ({ transitionId: stored._id, seq, orderId: stored.orderId }))).then(
      () => this.noteMarked(found.map(({ stored }) => stored._id)),
      () => {},
    );
  }

  private noteMarked(transitionIds: readonly string[]): void {
    for (const id of transitionIds) this.marked.add(id);
    for (const id of this.marked) {
      if (this.marked.size <= this.options.capacity) break;
      this.marked.delete(id);
    }
  }

  /**
   * Whether the transition, stored before a crash and with no mark, has an entry older than what
   * this process keeps in memory: its appender died between the entry and the mark, and this
   * process was restarted (or fell behind) since, so the entry is not among those it has read.
   * Only the entries recorded since the transition was stored can be its own: the segments below
   * memory back to then are read (whole, and kept for the next redelivery of the storm that
   * follows a crash). Found, it gets its mark; not found, it is appended as before.
   */
  private async foundBeforeMemory(stored: TransitionDoc): Promise<boolean> {
    const since = timeOf(stored) - CLOCK_SKEW_MS;
    const [oldestInMemory] = this.recent.values();
    // Memory holds every entry recorded since the transition was: none of them is its own.
    if (oldestInMemory && timeOf(oldestInMemory) < since) return false;
    const below = Math.min(this.oldestKept, this.readHead + 1) - 1;
    for (let segment = Math.floor((below - 1) / SEGMENT_SIZE), read = 0; segment >= 0 && read < SEARCHED_SEGMENTS; segment--, read++) {
      const first = Math.max(segment * SEGMENT_SIZE + 1, this.floor);
      const last = Math.min((segment + 1) * SEGMENT_SIZE, below);
      if (first > last) break;
      let searched = this.searched.get(segment);
      if (!searched || searched.through < last) {
        const events = await this.store.eventsBetween(first, last);
        searched = { through: last, seqOf: new Map(), oldestAt: Math.min(...events.map(timeOf)) };
        for (const event of events) if (!searched.seqOf.has(event.transitionId)) searched.seqOf.set(event.transitionId, event.seq);
        this.searched.set(segment, searched);
        if (this.searched.size > SEARCHED_SEGMENTS) this.searched.delete(this.searched.keys().next().value!);
      }
      const seq = searched.seqOf.get(stored._id);
      if (seq !== undefined) {
        await this.markFound([{ stored, seq }]);
        return true;
      }
      if (searched.oldestAt < since) break; // older segments were recorded before the transition was stored
    }
    return false;
  }

  /**
   * A duplicate delivery arriving while the first is still being recorded (by another tracking
   * process) waits for it to finish rather than appending a second event; it takes over only if
   * the first has not appended `takeOverAfterMs` after it stored the transition. A first delivery
   * that stored it longer ago than that has died: it is taken over at once, not after another
   * wait (under a storm of redeliveries, waiting again for each one stalled every history).
   */
  private async appendedByOther(stored: TransitionDoc): Promise<boolean> {
    const deadline = timeOf(stored) + this.options.takeOverAfterMs;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      if (this.seqOfTransition.has(stored._id) || (await this.markedInDatabase(stored))) return true;
    }
    return false;
  }

  /**
   * Appends an event for the transition and records where (its mark). Within this process,
   * transitions that arrive while an append is under way are appended together after it, in
   * one request for the entries and one for the marks, whatever their number (the head is written behind):
   * tracking hears of every move of every order, and one append at a time, three requests each,
   * fell behind under load until its senders timed out. Across processes the unique `_id` of
   * each entry decides who gets a number.
   */
  private append(doc: TransitionDoc): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.toAppend.push({ doc, resolve, reject });
      // From the next microtask: the rest of a delivery's run, queued right after this one, goes in
      // the same group (started at once, the first went alone, and the rest waited for its requests).
      if (!this.flushing) {
        this.flushing = true;
        queueMicrotask(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.toAppend.length > 0) {
        const group = this.toAppend.splice(0, MAX_GROUP);
        try {
          const seqs = await this.appendGroup(group.map((waiting) => waiting.doc));
          group.forEach((waiting, i) => waiting.resolve(seqs[i]!));
        } catch (error) {
          for (const waiting of group) waiting.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Entries for the transitions, in order, from the next free number on; their numbers. */
  private async appendGroup(docs: readonly TransitionDoc[]): Promise<number[]> {
    const seqs: number[] = [];
    const written: EventDoc[] = [];
    let seq = this.writeHead + 1;
    while (seqs.length < docs.length) {
      const entries = docs.slice(seqs.length).map((doc, i) => {
        const { _id: transitionId, recordedAt: _recordedAt, recordedBy: _recordedBy, ...fields } = doc;
        return { ...fields, _id: eventId(seq + i), seq: seq + i, transitionId, recordedAt: new Date() };
      });
      const inserted = await this.store.appendEvents(entries);
      for (let i = 0; i < inserted; i++) {
        seqs.push(seq + i);
        written.push(entries[i]!);
      }
      seq += inserted;
      // A number already taken was taken by a committed entry (another tracking process): the rest
      // go after it, and after every entry the recorded head says exists.
      if (inserted < entries.length) seq = Math.max(seq + 1, (await this.store.headSeq()) + 1);
    }
    const last = seqs.at(-1)!;
    this.writeHead = Math.max(this.writeHead, last);
    this.appendedSincePass = true;
    // What this process just wrote need not be read back: the entries that follow what it has
    // read are taken as written (a lookup per transition saved). The rest, behind another
    // process's entries not read yet, are read in order by the loop.
    let behind = false;
    for (const entry of written) {
      if (entry.seq <= this.readHead) continue; // the loop read it meanwhile
      if (entry.seq !== this.readHead + 1) {
        behind = true;
        break;
      }
      this.accept(entry);
    }
    // Another process's entries lie between what was read and what was written here: the loop
    // reads them, and these after them, now rather than at its next poll. While another process
    // appends too, the loop polls again soon as well: the order's next move may be recorded there.
    if (behind || this.othersActive()) this.loop?.wake();
    // The entries are in: failing now would have the senders deliver again and append them twice.
    // A head or a mark left behind is harmless (readers walk past the head; a redelivery finds the
    // event by its entry, appendedByOther, or appends it again, which readers skip as a repeat).
    // The head is written behind, not waited for (see HEAD_WRITE_GAP_MS), unless another tracking
    // process appends too: a writer that finds a number taken goes on from the recorded head, and
    // one behind by 250 ms of the other's appends cost a refused insert per entry in between.
    this.headWrites.set(last);
    if (this.othersActive()) await this.headWrites.flush();
    await this.store.markAppended(docs.map((doc, i) => ({ transitionId: doc._id, seq: seqs[i]!, orderId: doc.orderId }))).then(
      () => this.noteMarked(docs.map((doc) => doc._id)),
      () => {},
    );
    return seqs;
  }

  /**
   * Reads entries appended since the last pass, here or by other tracking processes, up to
   * the recorded head: lookups that find something (FerretDB answers a miss far more slowly).
   * About once a second (on the first pass a second after the last probe) it also looks one
   * past the head, in case a writer's head update lagged.
   * 'idle' when it read nothing: the polls then back off. This process's own appends wake the
   * loop and keep the polls fast only while another process appends too (one of its entries read
   * in the last 10 s): then the next move of an order, recorded there, reaches this process's
   * subscribers within a poll.
   * Alone (one tracking process, the usual case) there is nothing to read back, and the head
   * lookup 20 times a second was 8% of what an order asked of the database. Another process's
   * first entry after a quiet spell is read within one backed-off interval.
   */
  private async catchUp(): Promise<boolean | 'idle'> {
    const probe = Date.now() - this.probedAt >= 1_000;
    if (probe) {
      this.probedAt = Date.now();
      await this.refreshFloor();
    }
    const known = Math.max(this.writeHead, await this.store.headSeq());
    const until = probe ? Number.POSITIVE_INFINITY : known;
    let accepted = 0;
    for (let read = 0; read < 500 && this.readHead < until; read++) {
      const event = await this.store.eventAt(this.readHead + 1);
      if (!event) break;
      // An append of this process may have taken this entry while it was being read.
      if (event.seq === this.readHead + 1) {
        // Or not yet: read between its insert and its acceptance there. It is not another
        // process's, and counted as one it kept the polls fast for good under a steady load.
        const ours = this.appendsUnderWay.has(event.transitionId);
        this.accept(event);
        if (!ours) accepted++;
      }
    }
    if (this.readHead < known) return true;
    const appended = this.appendedSincePass;
    this.appendedSincePass = false;
    if (accepted > 0) this.othersReadAt = Date.now();
    return accepted > 0 || (appended && this.othersActive()) ? false : 'idle';
  }

  /** Another tracking process appends to this log too: one of its entries was read in the last 10 s. */
  private othersActive(): boolean {
    return Date.now() - this.othersReadAt < OTHERS_ACTIVE_MS;
  }

  /** The entry after the newest one read: kept, and its waiters woken. */
  private accept(event: EventDoc): void {
    this.remember(event);
    this.readHead = event.seq;
    this.writeHead = Math.max(this.writeHead, event.seq);
    for (const wake of this.waiters) wake();
    this.waiters.clear();
    const waitingForOrder = event.orderId ? this.orderWaiters.get(event.orderId) : undefined;
    if (waitingForOrder) {
      this.orderWaiters.delete(event.orderId!);
      for (const wake of waitingForOrder) wake();
    }
  }

  /**
   * Keeps the newest entries. A transition whose recording was interrupted between its
   * event and its mark can be appended twice; the second entry is remembered as empty,
   * so subscribers receive that transition once.
   */
  private remember(event: EventDoc): void {
    const seen = this.seqOfTransition.get(event.transitionId);
    this.recent.set(event.seq, seen !== undefined && seen !== event.seq ? null : event);
    if (seen === undefined) this.seqOfTransition.set(event.transitionId, event.seq);
    if (event.orderId) {
      const seqs = this.seqsByOrder.get(event.orderId);
      if (seqs) seqs.push(event.seq);
      else this.seqsByOrder.set(event.orderId, [event.seq]);
    }
    while (this.recent.size > this.options.capacity) {
      const [oldest, entry] = this.recent.entries().next().value!;
      this.recent.delete(oldest);
      this.oldestKept = oldest + 1;
      if (entry && this.seqOfTransition.get(entry.transitionId) === oldest) this.seqOfTransition.delete(entry.transitionId);
      const orderId = entry?.orderId;
      const seqs = orderId ? this.seqsByOrder.get(orderId) : undefined;
      if (seqs?.[0] === oldest) seqs.shift();
      if (orderId && seqs?.length === 0) this.seqsByOrder.delete(orderId);
    }
  }

  /** Learns where the log starts now (another process may have dropped old segments). */
  async refreshFloor(): Promise<void> {
    const floor = await this.store.eventFloor();
    this.floor = Math.max(this.floor, floor);
  }

  /**
   * Checks a cursor a subscriber resumes from: one newer than the newest entry (in the
   * database, not only here) was never given out and is refused; one older than the log
   * keeps has expired.
   */
  async checkCursor(after: number | null): Promise<number | null> {
    if (after === null) return null;
    if (after > this.readHead) {
      const last = await this.store.lastEventSeq();
      if (after > last) throw badInput('after is newer than the newest event; use a cursor from an event you received', 'after');
    }
    await this.refreshFloor();
    this.assertKept(after + 1);
    return after;
  }

  private assertKept(from: number): void {
    if (from < this.floor) throw expired();
  }

  /**
   * Entries from `from` on, up to `max` and no further than what this process has read: from
   * memory, or, for a subscriber resuming from further back than memory holds, up to where memory
   * starts from the database, a segment of the log a request.
   */
  async read(from: number, max: number): Promise<{ events: EventDoc[]; through: number }> {
    this.assertKept(from);
    const to = Math.min(this.readHead, from + max - 1);
    if (from < this.oldestKept) {
      const through = Math.min(to, this.oldestKept - 1);
      const stored = await this.store.eventsBetween(from, through);
      // Every entry up to the head exists: one missing was dropped with its segment meanwhile.
      if (stored.length < through - from + 1) throw expired();
      return { events: onePerTransition(stored), through };
    }
    const events: EventDoc[] = [];
    for (let seq = from; seq <= to; seq++) {
      const kept = this.recent.get(seq);
      if (kept) events.push(kept); // null: a repeat of a transition given already
    }
    return { events, through: to };
  }

  /**
   * One order's entries from `from` on, up to the head: from the per-order index when all of
   * them are still kept in memory (without looking at anyone else's). From further back than
   * memory holds, the order's own entries are found by the order (its transitions and their
   * marks), not by walking everyone's: what resuming costs, and how long it takes, no longer
   * grows with how many other orders were recorded since the cursor (which told a follower the
   * business's volume). Only when one of its transitions has no known event is the log searched
   * for the order, a segment a request.
   */
  async readOrder(orderId: string, from: number): Promise<{ events: EventDoc[]; through: number }> {
    this.assertKept(from);
    if (from < this.oldestKept) {
      const through = this.oldestKept - 1;
      return { events: await this.storedOfOrder(orderId, from, through), through };
    }
    const seqs = this.seqsByOrder.get(orderId) ?? [];
    const events = seqs.filter((seq) => seq >= from).flatMap((seq) => this.recent.get(seq) ?? []);
    return { events, through: this.readHead };
  }

  /**
   * An order's entries `from` to `through` in the database, each transition once, in order. A
   * transition whose entry this process holds in memory, or is appending now, has it after
   * `through`. Only when another's entry is not known is the log searched for the order (all of
   * it that is kept), and what the search finds is recorded, so that no later resume need search.
   */
  private async storedOfOrder(orderId: string, from: number, through: number): Promise<EventDoc[]> {
    const placed = await this.store.eventSeqsOfOrder(orderId);
    const unknown = [...placed].filter(([id, { seq }]) => seq === null && !this.seqOfTransition.has(id) && !this.appendsUnderWay.has(id));
    if (unknown.length > 0) {
      // From the oldest entry kept, not from the cursor: an entry before the cursor, not found and
      // so not recorded, would have every later resume from there search again.
      const found = onePerTransition(await this.store.eventsBetween(this.floor, through, { orderId }));
      const seqOf = new Map(found.map((event) => [event.transitionId, event.seq]));
      const located = unknown.flatMap(([transitionId, { archived }]) => (seqOf.has(transitionId) ? [{ transitionId, seq: seqOf.get(transitionId)!, archived }] : []));
      await this.store.placeEvents(orderId, located).catch(() => {}); // only saves the next resume a search
      return found.filter((event) => event.seq >= from);
    }
    const wanted = [...placed.values()].flatMap(({ seq }) => (seq !== null && seq >= from && seq <= through ? [seq] : [])).sort((a, b) => a - b);
    const events = await Promise.all(wanted.map((seq) => this.store.eventAt(seq)));
    if (events.includes(null)) throw expired(); // dropped with its segment meanwhile
    return events as EventDoc[];
  }

  /** Resolves when an entry after `seq` has been read (of `orderId` only, if given), or the log stops. */
  waitBeyond(seq: number, orderId?: string): { promise: Promise<void>; cancel(): void } {
    let wake!: () => void;
    const promise = new Promise<void>((resolve) => {
      wake = resolve;
    });
    if (seq < this.readHead || this.stopped) wake();
    else if (orderId) {
      const set = this.orderWaiters.get(orderId) ?? new Set();
      set.add(wake);
      this.orderWaiters.set(orderId, set);
    } else this.waiters.add(wake);
    const cancel = () => {
      this.waiters.delete(wake);
      const set = orderId ? this.orderWaiters.get(orderId) : undefined;
      set?.delete(wake);
      if (set?.size === 0) this.orderWaiters.delete(orderId!);
      wake();
    };
    return { promise, cancel };
  }

  /**
   * A subscriber: entries after `after` (the head, when absent) that pass `filter`, in order,
   * until returned. With `orderId`, only that order's entries, and only they wake it: a
   * thousand followers of a thousand orders cost one wake-up per entry, not a thousand.
   */
  follow(after: number | null, filter: (event: EventDoc) => boolean, orderId?: string): AsyncIterableIterator<EventDoc> {
    return new Follower(this, after ?? this.readHead, filter, orderId);
  }
}

/**
 * An iterator, not an async generator: a generator parked waiting for an entry cannot be
 * returned until one arrives, which for a quiet order is never, and its waiter would leak.
 */
class Follower implements AsyncIterableIterator<EventDoc> {
  private readonly buffered: EventDoc[] = [];
  private closed = false;
  private waiting: { cancel(): void } | undefined;
  private started = false;

  constructor(
    private readonly log: EventLog,
    private position: number,
    private readonly filter: (event: EventDoc) => boolean,
    private readonly orderId?: string,
  ) {}

  [Symbol.asyncIterator]() {
    return this;
  }

  async next(): Promise<IteratorResult<EventDoc>> {
    if (!this.started) {
      this.started = true;
      await this.log.refreshFloor(); // what the log still keeps decides, not what this process remembers
    }
    while (!this.closed && !this.log.stopped) {
      const event = this.buffered.shift();
      if (event) return { value: event, done: false };
      if (this.position < this.log.head) {
        const { events, through } = this.orderId ? await this.log.readOrder(this.orderId, this.position + 1) : await this.log.read(this.position + 1, 500);
        this.position = through;
        this.buffered.push(...events.filter(this.filter));
        continue;
      }
      const wait = this.log.waitBeyond(this.position, this.orderId);
      this.waiting = wait;
      await wait.promise;
      this.waiting = undefined;
    }
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<EventDoc>> {
    this.closed = true;
    this.buffered.length = 0;
    this.waiting?.cancel();
    return { value: undefined, done: true };
  }
}

/** A transition claimed by the delivery storing it: `settled` once that delivery appended it, found it appended, or gave it up. */
interface Claim {
  readonly id: string;
  readonly settled: Promise<unknown>;
  /** Settles as the append does. */
  follow(append: Promise<number>): void;
  done(): void;
  fail(error: unknown): void;
}

function newClaim(id: string): Claim {
  let resolve!: (value: unknown) => void;
  let reject!: (error: unknown) => void;
  const settled = new Promise<unknown>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  settled.catch(() => {}); // nobody may be waiting: a give-up must not end the process
  // The first call decides; later ones change nothing (an append followed settles as it does).
  let decided = false;
  const once =
    <A extends unknown[]>(settle: (...args: A) => void) =>
    (...args: A) => {
      if (decided) return;
      decided = true;
      settle(...args);
    };
  return { id, settled, follow: once((append: Promise<number>) => void append.then(resolve, reject)), done: once(() => resolve(undefined)), fail: once(reject) };
}

const expired = () => clientError(ErrorCode.CURSOR_EXPIRED, "Events that old are no longer kept; read the order's history and subscribe after its newest cursor.");

/** When a transition was stored or an entry appended (0 if it does not say: older than anything searched for). */
const timeOf = (doc: { recordedAt?: Date }) => (doc.recordedAt instanceof Date ? doc.recordedAt.getTime() : 0);

/** The first entry of each transition: one appended twice (its recording interrupted between event and mark) is given once. */
function onePerTransition(events: readonly EventDoc[]): EventDoc[] {
  const seen = new Set<string>();
  return events.filter((event) => !seen.has(event.transitionId) && seen.add(event.transitionId));
}

/** A move's node as a metric label: a service's name, or `other` (any caller with a service token names its own). */
function nodeLabel(node: string): string {
  return isServiceName(node) ? node : 'other';
}

/** An element and a state it entered, as one key. */
function entryKey(element: Pick<TransitionDoc, 'elementType' | 'elementId'>, state: string): string {
  return `${element.elementType}\u0000${element.elementId}\u0000${state}`;
}

/** Whether `earlier` is the move of `doc`'s element into the state `doc` leaves. */
function entersFrom(earlier: Pick<TransitionDoc, 'elementType' | 'elementId' | 'to'>, doc: TransitionDoc): boolean {
  return earlier.elementType === doc.elementType && earlier.elementId === doc.elementId && earlier.to === doc.from;
}

/** A delivery naming one transition twice is taken as naming it once, as first given. */
function firstOfEachId(transitions: readonly TransitionDoc[]): TransitionDoc[] {
  const seen = new Set<string>();
  return transitions.filter((doc) => !seen.has(doc._id) && seen.add(doc._id));
}
