// Hive Gateway as `npm run bench:gateway` runs it beside ours: its CLI with defaults, passing the
// caller's Authorization header on to every subgraph. The benchmark gives it, per caller, the
// internal token our gateway would sign for that caller, so the subgraphs see the same identity
// and answer the same; Hive Gateway verifies nothing itself (a handicap in its favour).
import { defineConfig } from '@graphql-hive/gateway';

export const gatewayConfig = defineConfig({
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') ?? '' }),
  },
});
