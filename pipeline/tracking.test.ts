import { describe, expect, it } from 'vitest';
import { handedOver, handedOverMove, inOrder, track, transition, type TransitionState } from './tracking.ts';

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

// Each node records through its own outbox: the node a shipment reaches records the move that
// handed it over again, before its own, so tracking gets the two in order in one message.
describe("a shipment's hand-off", () => {
  const shipment = { shipmentId: 's1', orderId: 'o1' };
  const move = transition({ elementType: 'SHIPMENT', elementId: 's1', orderId: 'o1', from: 'PICKING', to: 'SHIPPING', node: 'picking', detail: 'picklist PL-1' });

  it('carries the move that made it, which the next node records as the same transition', () => {
    expect(handedOverMove({ ...shipment, handedOver: handedOver(move) })).toEqual([move]);
  });

  it('carries nothing tracking would refuse, which would take the next node\'s own move with it', () => {
    const carried = handedOver(move);
    expect(handedOverMove({ ...shipment, handedOver: null })).toEqual([]);
    expect(handedOverMove({ ...shipment, handedOver: { ...carried, to: 'NOWHERE' } })).toEqual([]);
    expect(handedOverMove({ ...shipment, handedOver: { ...carried, from: 'NOWHERE' } })).toEqual([]);
    expect(handedOverMove({ ...shipment, handedOver: { ...carried, at: 'yesterday' } })).toEqual([]);
    expect(handedOverMove({ ...shipment, handedOver: { ...carried, traceId: 'not hex' } })).toEqual([]);
  });
});
