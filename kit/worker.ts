import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from './logger.ts';
import { doorbell, ringKey } from './doorbell.ts';
import type { DurableQueue, Lease, NewMessage } from './queue.ts';
import { inSpan } from './telemetry.ts';
import { cutShortByStop, isDatabaseUnavailable, isUnavailable, logRetry } from './unavailable.ts';
import { SpanKind } from '@opentelemetry/api';

/** Thrown by a handler when retrying cannot help (a declined card): the element goes straight to exceptions. */
export class PermanentFailure extends Error {
  override name = 'PermanentFailure';
}

/** Thrown by a handler whose lease was revoked (the element was changed in flight): it will be worked again. */
export class LeaseRevoked extends Error {
  override name = 'LeaseRevoked';
  constructor(id: string) {
    super(`${id} was changed while being worked on; it will be worked again with the change`);
  }
}

export interface Outcome<R> {
  result?: R;
  /** What to hand on, recorded atomically with the completion and delivered by the relay. */
  messages?: NewMessage[];
}

export interface WorkerOptions<P, R> {
  queue: DurableQueue<P, R>;
  handle: (lease: Lease<P>) => Promise<Outcome<R>>;
  logger: Logger;
  /** Elements processed at once by this process. */
  concurrency?: number;
  /**
   * How long to wait before polling an empty queue again; doubles while it stays empty, up to
   * `maxPollMs`. Work stored for the queue (here, or at the service's subgraph) wakes it at once
   * (kit/doorbell.ts); the polls are for what no one rings for (a retry coming due, a ring missed).
   */
  pollMs?: number;
  maxPollMs?: number;
}

export interface RunningWorker {
  readonly owner: string;
  stop(): Promise<void>;
}

/**
 * Leases elements from a stage's queue and runs the handler on each, renewing the
 * lease while it works. Start as many of these, in as many processes, as the stage
 * needs: leases guarantee each element is worked on by one of them at a time.
 */
export function startWorker<P, R>({ queue, handle, logger, concurrency = 8, pollMs = 25, maxPollMs = 2_000 }: WorkerOptions<P, R>): RunningWorker {
  const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const log = logger.child({ queue: queue.name, worker: owner });
  const inFlight = new Set<Promise<void>>();
  let running = true;
  let wake: (() => void) | undefined;

  // The element's work continues the trace of whoever enqueued it; messages it records carry it on.
  const spanOptions = (lease: Lease<P>) => ({
    kind: SpanKind.CONSUMER,
    parent: lease.trace,
    attributes: { service: queue.labels.database, 'messaging.destination.name': queue.name, 'messaging.message.id': lease.id, attempt: lease.attempts },
  });
  const processOne = (lease: Lease<P>) => inSpan(queue.labels.database, `work ${queue.name}`, spanOptions(lease), () => workOn(lease));
  const workOn = async (lease: Lease<P>) => {
    const renewEvery = Math.max(50, Math.floor(queue.visibilityTimeoutMs / 3));
    const renewal = setInterval(() => void queue.renew(lease).catch(() => {}), renewEvery);
    try {
      const outcome = await handle(lease);
      clearInterval(renewal);
      // Messages it records ring the queue's outbox relay (DurableQueue.complete).
      if (!(await queue.complete(lease, outcome))) log.info('lease lost or revoked before completion; result discarded', { id: lease.id });
    } catch (error) {
      clearInterval(renewal);
      const reason = error instanceof Error ? error.message : String(error);
      const permanent = error instanceof PermanentFailure;
      if (error instanceof LeaseRevoked) {
        log.info('element changed in flight; redoing it', { id: lease.id });
        return;
      }
      if (cutShortByStop()) return log.debug('stopping with an element in flight; it is worked again once its lease expires', { id: lease.id });
      const status = await giveBack(lease, reason, { permanent, unavailable: isUnavailable(error) });
      log.warn('element failed', { id: lease.id, attempt: lease.attempts, reason, status });
    }
  };

  // Gives a failed element back; while the database itself is down, keeps trying for as long
  // as the lease holds, so that an outage does not also cost the element an expired lease.
  const giveBack = async (lease: Lease<P>, reason: string, options: { permanent: boolean; unavailable: boolean }) => {
    const until = Date.now() + queue.visibilityTimeoutMs;
    for (;;) {
      try {
        return await queue.fail(lease, reason, options);
      } catch (error) {
        if (!isDatabaseUnavailable(error) || Date.now() + 1_000 >= until || !running) return 'lost';
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  };

  // Every poll of an empty queue is a query; back off while idle, come back at once when busy.
  let idleMs = pollMs;
  // A ring while the loop polls may be about an element that poll missed: it polls again at once.
  let rung = false;
  const stopHearing = doorbell.subscribe(ringKey(queue.labels, 'work'), () => {
    rung = true;
    wake?.();
  });
  const loop = async () => {
    while (running) {
      rung = false;
      const free = concurrency - inFlight.size;
      let leases: Lease<P>[] = [];
      if (free > 0) {
        try {
          leases = await queue.lease(owner, free);
        } catch (error) {
          logRetry(log, 'leasing failed', error);
        }
      }
      for (const lease of leases) {
        const task = processOne(lease).finally(() => {
          inFlight.delete(task);
          wake?.();
        });
        inFlight.add(task);
      }
      if (leases.length > 0) idleMs = pollMs;
      if ((leases.length === 0 && !rung) || inFlight.size >= concurrency) {
        // An empty poll backs off whether or not elements are in flight (each poll is database
        // work, and the stages poll all the time); a completed element wakes the loop at once.
        const waitMs = free > 0 ? idleMs : pollMs;
        if (free > 0 && leases.length === 0) idleMs = Math.min(maxPollMs, idleMs * 2);
        // Stopped while it leased: stop() found no wait to cut short, so none may begin.
        if (!running) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    }
  };
  const done = loop();

  return {
    owner,
    async stop() {
      running = false;
      stopHearing();
      wake?.();
      await done;
      await Promise.allSettled([...inFlight]);
    },
  };
}
