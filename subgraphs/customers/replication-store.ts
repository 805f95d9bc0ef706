import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError, upsertRacing } from '../../kit/mongo.ts';
import { SequencedLog, type SequencedEntry } from '../../kit/sequenced-log.ts';
import type { CustomerDoc, RegionCode } from './store.ts';
import type { Write } from './writes.ts';

// The only code that touches the replication collections of a customers copy.

/** One entry of the home copy's replication log: a customer's whole state at one version. */
export interface LogEntry extends SequencedEntry {
  customerId: string;
  version: number;
  customer: CustomerDoc;
  /** The write that made this version; null when the entry was written by the start-up check. */
  writeId: string | null;
  region: RegionCode;
  at: Date;
}

/** A write made at a regional replica, waiting (or no longer waiting) to be sent home. */
export interface OutgoingEntry extends SequencedEntry {
  write: Write;
}

export interface RejectedWrite {
  _id: string; // writeId
  region: RegionCode;
  kind: Write['kind'];
  customerId: string;
  code: string;
  message: string;
  at: Date;
}

export class ReplicationStore {
  /** Home: every change to every customer, numbered in the order home logged it. */
  readonly log: SequencedLog<LogEntry>;
  /** Home: per customer, the newest version known to be in the log. */
  private readonly logged: Collection<{ _id: string; version: number }>;
  /** Replica: writes made here, in the order they were made, for home. */
  readonly outgoing: SequencedLog<OutgoingEntry>;
  /** Replica: how far it has applied the home log and sent its own writes (one document each). */
  private readonly progress: Collection<{ _id: 'applied' | 'forwarded'; seq: number; homeSeq?: number }>;
  /** Writes home refused for a business reason (an email taken, a customer that does not exist). */
  private readonly rejected: Collection<RejectedWrite>;

  constructor(db: Db) {
    this.log = new SequencedLog<LogEntry>(db, 'replicationLog');
    this.logged = db.collection('replicationLogged');
    this.outgoing = new SequencedLog<OutgoingEntry>(db, 'outgoingWrites');
    this.progress = db.collection('replicationProgress');
    this.rejected = db.collection('rejectedWrites');
  }

  async loggedVersion(customerId: string): Promise<number> {
    return (await this.logged.findOne({ _id: customerId }))?.version ?? -1;
  }

  /** Every customer's logged version (a scan; the start-up check only). */
  async loggedVersions(): Promise<Map<string, number>> {
    return new Map((await this.logged.find().toArray()).map((marker) => [marker._id, marker.version]));
  }

  /** `$max`: on FerretDB not atomic, so a racing writer may leave it lower; the cost is one more, harmless, log entry later. */
  async markLogged(customerId: string, version: number): Promise<void> {
    await upsertRacing(() => this.logged.updateOne({ _id: customerId }, { $max: { version } }, { upsert: true }));
  }

  async progressOf(which: 'applied' | 'forwarded'): Promise<{ seq: number; homeSeq: number }> {
    const doc = await this.progress.findOne({ _id: which });
    return { seq: doc?.seq ?? 0, homeSeq: doc?.homeSeq ?? 0 };
  }

  /** One writer per replica process; `$max` so a late write never moves it back. */
  async recordProgress(which: 'applied' | 'forwarded', seq: number, homeSeq?: number): Promise<void> {
    await this.progress.updateOne({ _id: which }, { $max: { seq, ...(homeSeq === undefined ? {} : { homeSeq }) } }, { upsert: true });
  }

  /** Once per write, however often it is refused. */
  async recordRejected(rejected: RejectedWrite): Promise<void> {
    try {
      await this.rejected.insertOne(rejected);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  rejectedCount(): Promise<number> {
    return this.rejected.countDocuments();
  }

  async rejectedWrite(writeId: string): Promise<RejectedWrite | null> {
    return this.rejected.findOne({ _id: writeId });
  }
}
