import type { ExecutionResult } from 'graphql';
import type { Logger } from '../../kit/logger.ts';
import { Subscriber } from './subscriber.ts';

export interface SharedStreamOptions {
  logger: Logger;
  /** Events a subscriber may have waiting before it is ended as too slow. */
  maxQueuedPerSubscriber?: number;
  /** Events composed at once (delivered in order regardless). */
  composeConcurrency?: number;
}

/** One upstream stream and the subscribers sharing it. */
export class SharedStream {
  private readonly subscribers = new Set<Subscriber>();
  private closed = false;

  constructor(
    private readonly upstream: AsyncIterableIterator<ExecutionResult>,
    private readonly compose: (event: ExecutionResult) => Promise<ExecutionResult>,
    private readonly onClosed: () => void,
    private readonly options: SharedStreamOptions,
  ) {
    void this.run();
  }

  join(): Subscriber {
    const subscriber = new Subscriber(this.options.maxQueuedPerSubscriber ?? 1_000);
    subscriber.onEnd(() => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.close();
    });
    this.subscribers.add(subscriber);
    return subscriber;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClosed();
    for (const subscriber of [...this.subscribers]) subscriber.end();
    void this.upstream.return?.();
  }

  /** Composes events a few at a time but hands them on strictly in the order they came. */
  private async run(): Promise<void> {
    const concurrency = this.options.composeConcurrency ?? 8;
    let delivered: Promise<void> = Promise.resolve();
    let composing = 0;
    try {
      for (;;) {
        const next = await this.upstream.next();
        if (next.done || this.closed) break;
        const composed = this.compose(next.value);
        composing++;
        delivered = delivered.then(async () => {
          const result = await composed;
          composing--;
          for (const subscriber of this.subscribers) subscriber.push(result);
        });
        if (composing >= concurrency) await delivered;
      }
      await delivered;
    } catch (error) {
      this.options.logger.error('subscription stream failed', { error: error instanceof Error ? error : String(error) });
    } finally {
      this.close();
    }
  }
}
