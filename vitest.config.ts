import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// Two projects split by file name: `*.test.ts` (one service against the real
// database) and `*.e2e.test.ts` (several services and the gateway over HTTP).
// Both run against the embedded FerretDB that test/global-setup.ts starts, or MONGODB_URI.
// graphql ships CommonJS and ESM builds without an exports map: Node loads the
// CommonJS one for every package, so tests must too, or errors created in our
// code fail `instanceof GraphQLError` checks made by the libraries.
const graphqlEntry = createRequire(import.meta.url).resolve('graphql');

const shared = {
  globalSetup: ['test/global-setup.ts'],
  testTimeout: 30_000,
  hookTimeout: 180_000,
};

export default defineConfig({
  test: {
    // The JSON report lets .ci/run print a one-line summary of what ran.
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
    projects: [
      { resolve: { alias: [{ find: /^graphql$/, replacement: graphqlEntry }] }, test: { ...shared, name: 'unit', include: ['**/*.test.ts'], exclude: ['**/*.e2e.test.ts', 'node_modules/**'] } },
      { resolve: { alias: [{ find: /^graphql$/, replacement: graphqlEntry }] }, test: { ...shared, name: 'e2e', include: ['**/*.e2e.test.ts'], exclude: ['node_modules/**'] } },
    ],
  },
});
