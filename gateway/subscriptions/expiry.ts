import type { ExecutionResult } from 'graphql';
import { unauthenticated } from '../../kit/auth/identity.ts';

/**
 * A subscription lasts as long as the credential that opened it. A WebSocket is closed (4403)
 * when its token expires, but a server-sent-events stream has no such moment of its own: this
 * ends any subscription's stream at `expiresAt`, with an UNAUTHENTICATED result first, so the
 * client knows to sign in again and resubscribe from its last cursor.
 */
export function endingAt(source: AsyncIterableIterator<ExecutionResult>, expiresAt: number): AsyncIterableIterator<ExecutionResult> {
  let timer: NodeJS.Timeout | undefined;
  let state: 'open' | 'expired' | 'closed' = 'open';
  // What a waiting next() does when the credential expires. One at a time, dropped once it is
  // answered: a promise raced against every next() would keep each race until the expiry.
  let onExpiry: (() => void) | undefined;
  // setTimeout holds at most ~24.8 days; a longer-lived credential is looked at again then.
  const wait = () => {
    const left = expiresAt - Date.now();
    if (left > 0) timer = setTimeout(wait, Math.min(left, 2 ** 31 - 1)).unref();
    else if (state === 'open') {
      state = 'expired';
      onExpiry?.();
    }
  };
  wait();
  const close = async () => {
    clearTimeout(timer);
    if (state === 'closed') return;
    state = 'closed';
    await source.return?.();
  };
  const done = { done: true, value: undefined } as IteratorReturnResult<undefined>;
  const expired = (): IteratorResult<ExecutionResult> => {
    void close();
    return { done: false, value: { errors: [unauthenticated('Your sign-in has expired: sign in again and resubscribe from your last cursor.')] } };
  };
  return {
    async next() {
      if (state === 'expired') return expired();
      if (state === 'closed') return done;
      const next = await new Promise<IteratorResult<ExecutionResult> | 'expired'>((resolve, reject) => {
        onExpiry = () => resolve('expired');
        source.next().then(resolve, reject);
      })
        .catch(async (error: unknown) => {
          await close();
          throw error;
        })
        .finally(() => (onExpiry = undefined));
      if (next === 'expired') return expired();
      if (next.done) {
        clearTimeout(timer);
        state = 'closed';
      }
      return next;
    },
    async return() {
      await close();
      return done;
    },
    async throw(error: unknown) {
      await close();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
