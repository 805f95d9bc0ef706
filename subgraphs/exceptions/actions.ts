import { clientError, ErrorCode, notFound } from '../../kit/errors.ts';
import { isOutcomeUnknown, RejectedByService } from '../../kit/graphql-client.ts';
import type { Logger } from '../../kit/logger.ts';
import { resolveOperation } from '../../pipeline/exceptions.ts';
import type { ServiceClients } from '../../pipeline/services.ts';
import type { Actor, ExceptionAction, ExceptionDoc, ExceptionStore } from './store.ts';

/**
 * Retry and cancel are carried out by the service that parked the element (it owns that
 * element's queue), called synchronously. The exception is claimed first, so of two people
 * acting at once exactly one action runs and the other is told CONFLICT; then the owner
 * acts. If the owner cannot (it is down), the claim is released: the person gets
 * DEPENDENCY_UNAVAILABLE and the exception is OPEN again, nothing half-done. If the owner got
 * the request and did not answer in time, it may still act: the claim stays, and the sweep of
 * claims (`finishStaleClaims`) sends the action again once the claim is stale (the owner's
 * actions are idempotent), so what the exception says is what happened. The exception
 * records who acted (`actor`) once the action is carried out.
 */
export async function resolveException(id: string, action: ExceptionAction, actor: Actor, store: ExceptionStore, clients: ServiceClients): Promise<ExceptionDoc> {
  const claim = await store.claim(id, action, actor);
  if (claim.outcome === 'missing') throw notFound(`no exception ${id}`);
  if (claim.outcome === 'taken') throw clientError(ErrorCode.CONFLICT, `exception ${id} is already ${claim.exception.status}`);
  const { exception, pending } = claim;
  try {
    await act(exception, action, clients);
  } catch (error) {
    if (isOutcomeUnknown(error)) {
      throw clientError(
        ErrorCode.DEPENDENCY_UNAVAILABLE,
        `the ${exception.service} service did not answer in time; the ${action.toLowerCase()} of ${id} stays claimed and is completed in the background once it answers`,
        { service: exception.service, pending: true },
      );
    }
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
 * Carries out claims whose process died between claiming and acting (or before settling), and
 * those whose owner did not answer in time. The owner refusing (the element is no longer parked)
 * means the action already landed: only the holder of the claim could have moved it; unless the
 * owner closed the exception meanwhile (its order was cancelled, which also takes a parked
 * element out), which is then why, and nobody's action is recorded (`settleRefused`). An owner
 * that is down is tried again on the next pass. Returns how many claims were ended.
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
    const ended = refused ? await store.settleRefused(exception._id, pending.token) : await store.settle(exception._id, pending.token);
    if (ended) settled++;
  }
  return settled;
}
