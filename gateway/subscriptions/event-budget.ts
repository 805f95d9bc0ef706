import { budgetOf, startBudget } from '../request-budget.ts';

/** How long a subgraph that let an event's fetch time out is left out of the stream's next events. */
export const UNANSWERED_REST_MS = 10_000;

/**
 * The time each event of one subscription stream may spend on the fetches that compose it, and
 * what the stream remembers between events.
 *
 * The event itself is in hand when composing starts; only the fields other subgraphs add are
 * fetched. Without a budget, each event waited the whole fetch timeout for a hung subgraph, so a
 * live feed fell 10 s behind per event while, say, customers stalled. Now an event waits at most
 * `timeoutMs` (its fields from a subgraph that did not answer read null, with errors at their
 * paths), and a subgraph that let one event's fetch time out is not asked by the stream's later
 * events for `restMs`: they go out at once without its fields, and then it is tried again.
 */
export class EventBudgets {
  /** Subgraphs that let a fetch of an earlier event time out, and when to ask them again. */
  private readonly resting = new Map<string, number>();

  constructor(
    private readonly timeoutMs: number,
    private readonly restMs = UNANSWERED_REST_MS,
  ) {}

  /** Runs `compose` with a context of its own (a copy of `context`) carrying the event's budget. */
  async run<C extends object, T>(context: C, compose: (eventContext: C) => Promise<T>): Promise<T> {
    const eventContext = { ...context };
    startBudget(eventContext, this.timeoutMs);
    const { unanswered } = budgetOf(eventContext)!;
    const now = Date.now();
    for (const [name, until] of this.resting) {
      if (until > now) unanswered.add(name);
      else this.resting.delete(name);
    }
    const leftOut = new Set(unanswered);
    try {
      return await compose(eventContext);
    } finally {
      for (const name of unanswered) if (!leftOut.has(name)) this.resting.set(name, Date.now() + this.restMs);
    }
  }
}
