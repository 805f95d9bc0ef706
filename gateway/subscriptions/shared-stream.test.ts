import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../kit/logger.ts';
import { SharedStream } from './shared-stream.ts';

/** An upstream the test feeds by hand, standing in for one subgraph stream. */
function feed() {
  const waiting: ((result: IteratorResult<ExecutionResult>) => void)[] = [];
  const queued: IteratorResult<ExecutionResult>[] = [];
  let returned = false;
  const give = (result: IteratorResult<ExecutionResult>) => {
    const taker = waiting.shift();
    if (taker) taker(result);
    else queued.push(result);
  };
  const upstream: AsyncIterableIterator<ExecutionResult> = {
    [Symbol.asyncIterator]() {
      return this;
    },
    next: () => (queued.length ? Promise.resolve(queued.shift()!) : new Promise((resolve) => waiting.push(resolve))),
    async return() {
      returned = true;
      give({ done: true, value: undefined });
      return { done: true, value: undefined };
    },
  };
  return { upstream, emit: (n: number) => give({ done: false, value: { data: { n } } }), get returned() { return returned; } };
}

const logger = createLogger('test', { level: 'silent' });
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('a shared stream', () => {
  it('ends a subscriber that stops reading without holding up the others', async () => {
    const source = feed();
    const stream = new SharedStream(source.upstream, async (event) => event, () => {}, { logger, maxQueuedPerSubscriber: 3 });
    const reader = stream.join();
    const stalled = stream.join();
    const received: unknown[] = [];
    const reading = (async () => {
      for await (const result of reader) {
        received.push(result.data!.n);
        if (received.length === 10) break;
      }
    })();
    for (let n = 1; n <= 10; n++) {
      source.emit(n);
      await tick();
    }
    await reading;
    expect(received).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    const first = await stalled.next();
    expect((first.value as ExecutionResult).errors?.[0]?.extensions.code).toBe('SUBSCRIBER_TOO_SLOW');
    expect((await stalled.next()).done).toBe(true);
  });

  it('composes events concurrently but delivers them in the order they came', async () => {
    const source = feed();
    const delays = [30, 1, 15, 1];
    const stream = new SharedStream(
      source.upstream,
      async (event) => {
        await new Promise((resolve) => setTimeout(resolve, delays[(event.data!.n as number) - 1]));
        return event;
      },
      () => {},
      { logger },
    );
    const subscriber = stream.join();
    for (let n = 1; n <= 4; n++) source.emit(n);
    const order: unknown[] = [];
    for await (const result of subscriber) {
      order.push(result.data!.n);
      if (order.length === 4) break;
    }
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('closes the upstream when the last subscriber leaves', async () => {
    const source = feed();
    let closed = false;
    const stream = new SharedStream(source.upstream, async (event) => event, () => (closed = true), { logger });
    const a = stream.join();
    const b = stream.join();
    await a.return();
    expect(source.returned).toBe(false);
    await b.return();
    expect(source.returned).toBe(true);
    expect(closed).toBe(true);
  });
});
