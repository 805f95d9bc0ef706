import { describe, expect, it } from 'vitest';
import { budgetOf } from '../request-budget.ts';
import { EventBudgets } from './event-budget.ts';

/** What an event's compose sees of its budget, after marking `timedOut` as a fetch timing out would. */
const composeOnce = (budgets: EventBudgets, context: object, timedOut: string[] = []) =>
  budgets.run(context, async (eventContext) => {
    const budget = budgetOf(eventContext)!;
    const seen = { leftOut: [...budget.unanswered].sort(), msLeft: budget.deadline - Date.now(), own: eventContext !== context };
    for (const name of timedOut) budget.unanswered.add(name);
    return seen;
  });

describe('EventBudgets', () => {
  it('gives each event a context of its own with its own deadline, the caller’s context untouched', async () => {
    const budgets = new EventBudgets(2_000);
    const context = { identity: 'x' };
    const seen = await composeOnce(budgets, context);
    expect(seen.own).toBe(true);
    expect(seen.msLeft).toBeGreaterThan(1_900);
    expect(seen.msLeft).toBeLessThanOrEqual(2_000);
    expect(budgetOf(context)).toBeUndefined();
  });

  it('leaves a subgraph that let one event time out out of the next events, until its rest is over', async () => {
    const budgets = new EventBudgets(1_000, 50);
    const context = {};
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    expect((await composeOnce(budgets, context, ['customers'])).leftOut).toEqual([]);
    await sleep(30);
    expect((await composeOnce(budgets, context)).leftOut).toEqual(['customers']);
    // Being left out is not a new timeout: the events that skipped it do not extend its rest.
    await sleep(30);
    expect((await composeOnce(budgets, context)).leftOut).toEqual([]);
  });

  it('keeps each stream’s memory apart', async () => {
    const one = new EventBudgets(1_000);
    const other = new EventBudgets(1_000);
    await composeOnce(one, {}, ['shipping']);
    expect((await composeOnce(other, {})).leftOut).toEqual([]);
    expect((await composeOnce(one, {})).leftOut).toEqual(['shipping']);
  });
});
