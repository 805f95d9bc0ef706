import { describe, expect, it } from 'vitest';
import { groupBy } from './group.ts';

describe('groupBy', () => {
  it('keeps each group in the order given, and the groups in the order they first came', () => {
    const shipments = [
      { id: 's1', centre: 'LHR1' },
      { id: 's2', centre: 'FRA1' },
      { id: 's3', centre: 'LHR1' },
      { id: 's4', centre: 'FRA1' },
      { id: 's5', centre: 'JFK1' },
    ];
    const groups = groupBy(shipments, (shipment) => shipment.centre);
    expect([...groups.keys()]).toEqual(['LHR1', 'FRA1', 'JFK1']);
    expect(groups.get('LHR1')!.map((shipment) => shipment.id)).toEqual(['s1', 's3']);
    expect(groups.get('FRA1')!.map((shipment) => shipment.id)).toEqual(['s2', 's4']);
    expect(groupBy([], () => 'x').size).toBe(0);
  });
});
