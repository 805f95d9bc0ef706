import { CallbackPolicy } from '../../kit/callbacks.ts';
import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { contextFactory } from './context.ts';
import { PaymentProcessor, type ProcessorSettings } from './processor.ts';
import { resolvers } from './resolvers.ts';
import { PaymentsStore } from './store.ts';

const typeDefs = loadSchema(new URL('./schema.graphql', import.meta.url));

/** The payments service: a reusable charging service any caller can use. */
export async function buildPaymentsService(
  deps: SubgraphDeps & { processor?: ProcessorSettings; queue?: { visibilityTimeoutMs?: number; maxAttempts?: number; refundMaxAttempts?: number }; callbackAllowList?: readonly string[] },
) {
  let processor: PaymentProcessor | undefined;
  // Checked when a charge is requested, so a callback the worker would refuse is refused at once.
  const callbacks = new CallbackPolicy(deps.callbackAllowList ?? []);
  const built = await buildSubgraph(
    {
      name: 'payments',
      typeDefs,
      createStore: (db) => new PaymentsStore(db, deps.queue),
      resolvers,
      createContext: (store: PaymentsStore) => contextFactory((processor ??= new PaymentProcessor(store, deps.processor ?? { latencyMs: 0, failureRate: 0 })), callbacks)(store),
    },
    deps,
  );
  processor ??= new PaymentProcessor(built.store, deps.processor ?? { latencyMs: 0, failureRate: 0 });
  return { ...built, processor, callbacks, close: () => callbacks.close() };
}
