import { clientError, ErrorCode, notFound } from '../../kit/errors.ts';
import { RejectedByService } from '../../kit/graphql-client.ts';
import type { Logger } from '../../kit/logger.ts';
import { resolveOperation } from '../../pipeline/exceptions.ts';
import type { ServiceClients } from '../../pipeline/services.ts';
import type { ExceptionAction, ExceptionDoc, ExceptionStore } from './store.ts';

/**
 * Retry and cancel are carried out by the service that parked the element (it owns that
 * element's queue), called synchronously. The exception is claimed first, so of two people
 * acting at once exactly one action runs and the other is told CONFLICT; then the owner
 * acts. If the owner cannot (it is down), the claim is released: the person gets
 * DEPENDENCY_UNAVAILABLE and the exception is OPEN again, nothing half-done.
 */
export async function resolveException(id: string, action: ExceptionAction, store: ExceptionStore, clients: ServiceClients): Promise<ExceptionDoc> {
  const claim = await store.claim(id, action);
  if (claim.outcome === 'missing') throw notFound(`no exception ${id}`);
  if (claim.outcome === 'taken') throw clientError(ErrorCode.CONFLICT, `exception ${id} is already ${claim.exception.status}`);
  const { exception, pending } = claim;
  try {
    await act(exception, action, clients);
  } catch (error) {
    await store.release(id, pending.token);
    if (error instanceof RejectedByService) {
      throw clientError(ErrorCode.CONFLICT, `the ${exception.service} service no longer holds ${exception.elementId} as parked: ${error.message}`);
    }
    throw error;
  }
  return (await store.settle(id, pending.token)) ?? (await store.get(id))!;
}

async function act(exception: ExceptionDoc, action: ExceptionAction, clients: ServiceClients): Promise<void> {
  const client = clients.get(exception.service);
  if (!client) throw clientError(ErrorCode.DEPENDENCY_UNAVAILABLE, `no route to the ${exception.service} service`);
  const done = await client.request<Record<string, boolean>>(resolveOperation(exception.service), { queue: exception.queue, elementId: exception.elementId, action });
  // `false` is the owner saying it did nothing: never to be read as done.
  if (Object.values(done).some((value) => value !== true)) {
    throw new RejectedByService(exception.service, `it did not ${action.toLowerCase()} ${exception.elementId}`, [ErrorCode.CONFLICT]);
  }
}

/**
 * Carries out claims whose process died between claiming and acting (or before settling).
 * The owner refusing (the element is no longer parked) means the action already landed:
 * only the holder of the claim could have moved it; unless the owner closed the exception
 * meanwhile (its order was cancelled), which is then why. An owner that is down is tried
 * again on the next pass. Returns how many claims were settled.
 */
export async function finishStaleClaims(store: ExceptionStore, clients: ServiceClients, logger: Logger, staleAfterMs: number): Promise<number> {
  let settled = 0;
  for (const exception of await store.staleClaims(new Date(Date.now() - staleAfterMs), 100)) {
    const pending = exception.pending!;
    let refused = false;
    try {
      await act(exception, pending.action, clients);
    } catch (error) {
      if (!(error instanceof RejectedByService)) {
        logger.warn('a claimed exception action could not be carried out yet; will retry', { id: exception._id, action: pending.action, error: String(error) });
        continue;
      }
      refused = true;
    }
    // Closed by its owner meanwhile (the order was cancelled): a refusal is that, not the action landing.
    const final = refused && exception.closeOnRelease ? store.release(exception._id, pending.token) : store.settle(exception._id, pending.token);
    if (await final) settled++;
  }
  return settled;
}
