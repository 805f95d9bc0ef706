import { describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { isoTime, sentTime } from './iso-time.ts';

describe('isoTime', () => {
  it('reads what toISOString writes, and other offsets', () => {
    const now = new Date();
    expect(isoTime(now.toISOString())?.getTime()).toBe(now.getTime());
    expect(isoTime('2020-01-31T14:00:00+02:00')?.toISOString()).toBe('2020-01-31T12:00:00.000Z');
    expect(isoTime('2020-01-31T12:00:00Z')?.toISOString()).toBe('2020-01-31T12:00:00.000Z');
  });

  it('refuses what Date would read otherwise: no offset, other formats, days a month lacks', () => {
    for (const text of ['2024', '12/31/2020', '2020-01-31T12:00:00', '2020-01-31', '2021-02-31T00:00:00Z', '2020-13-01T00:00:00Z', 'yesterday', '']) {
      expect(isoTime(text), text).toBeNull();
    }
  });
});

describe('sentTime', () => {
  it('is BAD_USER_INPUT naming the field', () => {
    let thrown: unknown;
    try {
      sentTime('12/31/2020', 'at');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GraphQLError);
    expect((thrown as GraphQLError).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'at' });
    expect((thrown as GraphQLError).message).toContain('"12/31/2020"');
  });
});
