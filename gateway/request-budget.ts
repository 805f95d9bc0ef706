import { MAX_FIELD_ERRORS_PER_REQUEST } from './fetch-error-paths.ts';

/**
 * What each client request has left to spend on subgraph fetches, by its context: the time until
 * the gateway's request timeout, and the subgraphs that already failed to answer it in time.
 *
 * Each fetch is given at most what is left (less a margin to assemble the answer), so a request
 * is answered with what the other subgraphs hold before its own timeout throws everything away;
 * and a subgraph that did not answer one fetch is not waited for again within the same request.
 * Without this, a mutation whose fields run one after another and twice ask a hung subgraph
 * waited out two fetch timeouts, outlasted the request, and its client got REQUEST_TIMEOUT and
 * nothing of what had been carried out.
 */
export interface RequestBudget {
  /** When the request must be answered (ms since the epoch). */
  deadline: number;
  /** Subgraphs that let a fetch of this request time out. */
  unanswered: Set<string>;
  /** How many more errors with a path failed fetches may give it (fetch-error-paths.ts). */
  fieldErrorsLeft: number;
}

const budgets = new WeakMap<object, RequestBudget>();

/** Time kept back from the last fetch for the gateway to assemble and send the answer. */
export const ANSWER_MARGIN_MS = 500;

export function startBudget(context: object, timeoutMs: number): void {
  budgets.set(context, { deadline: Date.now() + timeoutMs, unanswered: new Set(), fieldErrorsLeft: MAX_FIELD_ERRORS_PER_REQUEST });
}

export function budgetOf(context: unknown): RequestBudget | undefined {
  return context && typeof context === 'object' ? budgets.get(context) : undefined;
}
