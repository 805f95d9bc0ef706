import { describe, expect, it } from 'vitest';
import { graphqlBannerLine } from './banner.ts';

describe('start banner', () => {
  it('offers GraphiQL in development, and only the endpoint in production, where GraphiQL is off', () => {
    expect(graphqlBannerLine(4000, {})).toBe('  GraphiQL:  http://localhost:4000/graphql');
    const production = graphqlBannerLine(4000, { NODE_ENV: 'production' });
    expect(production).not.toContain('GraphiQL:');
    expect(production).toContain('http://localhost:4000/graphql');
  });
});
