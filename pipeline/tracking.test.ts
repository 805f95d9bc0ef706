import { describe, expect, it } from 'vitest';
import { inOrder, track, transition, type TransitionState } from './tracking.ts';

// The relay delivers an element's messages side by side: two messages to tracking from one step
// could be recorded in either order, and a subscriber would see the order go back (RESERVING
// after PICKING). One step's transitions go to tracking in one message, in the order made.
describe('transitions of one step', () => {
  const order = (from: string, to: TransitionState) => transition({ elementType: 'ORDER', elementId: 'o1', orderId: 'o1', from, to, node: 'orders' });
  const toPicking = { id: 'shipment:o1-LHR1', target: 'picking', operation: 'mutation { x }', variables: {} };

  it('go to tracking as one message, in the order given, where the first one was', () => {
    const messages = inOrder([track(order('CHARGING', 'RESERVING')), track(order('RESERVING', 'PICKING')), toPicking]);
    expect(messages.map((message) => message.target)).toEqual(['tracking', 'picking']);
    expect((messages[0]!.variables as { input: { to: string }[] }).input.map((t) => t.to)).toEqual(['RESERVING', 'PICKING']);
  });

  it('are left as they are when there is one message to tracking', () => {
    const messages = [toPicking, track(order('CHARGING', 'RESERVING'))];
    expect(inOrder(messages)).toEqual(messages);
  });
});
