import type { ExecutionResult } from 'graphql';
import { clientError, ErrorCode } from '../../kit/errors.ts';

/**
 * One client's view of a shared stream: its own bounded queue, so a client that reads slowly
 * holds up nobody else. When its queue is full it is ended with SUBSCRIBER_TOO_SLOW; it
 * resubscribes from its last cursor and loses nothing.
 */
export class Subscriber implements AsyncIterableIterator<ExecutionResult> {
  private readonly queue: ExecutionResult[] = [];
  private ended = false;
  private wake: (() => void) | undefined;
  private readonly endings: (() => void)[] = [];

  constructor(private readonly maxQueued: number) {}

  push(result: ExecutionResult): void {
    if (this.ended) return;
    if (this.queue.length >= this.maxQueued) {
      this.queue.length = 0;
      this.end({
        errors: [clientError(ErrorCode.SUBSCRIBER_TOO_SLOW, `More than ${this.maxQueued} events were waiting for you; subscribe again with your last cursor.`)],
      });
      return;
    }
    this.queue.push(result);
    this.wake?.();
  }

  /** No more events after what is queued (and `last`, if given). */
  end(last?: ExecutionResult): void {
    if (this.ended) return;
    if (last) this.queue.push(last);
    this.ended = true;
    this.wake?.();
    for (const ending of this.endings.splice(0)) ending();
  }

  /** Runs `ending` once this subscriber has ended (at once if it has). */
  onEnd(ending: () => void): void {
    if (this.ended) ending();
    else this.endings.push(ending);
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    for (;;) {
      const result = this.queue.shift();
      if (result) return { done: false, value: result };
      if (this.ended) return { done: true, value: undefined };
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.queue.length = 0;
    this.end();
    return { done: true, value: undefined };
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.return();
    throw error;
  }
}
