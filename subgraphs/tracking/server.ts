import { buildSubgraph, loadSchema, type SubgraphDeps } from '../../kit/subgraph.ts';
import { createContext } from './context.ts';
import { eventCursors } from './cursors.ts';
import { EventLog } from './event-log.ts';
import { MAX_AHEAD_MS } from '../../pipeline/tracking.ts';
import { resolvers } from './resolvers.ts';
import { TrackingStore } from './store.ts';
import { sharedStageWaits } from './waits.ts';

const typeDefs = loadSchema(new URL('./schema.graphql', import.meta.url));

export interface TrackingDeps extends SubgraphDeps {
  warehouseDbName?: string;
  /** How soon this process sees events other tracking processes recorded. */
  eventPollIntervalMs?: number;
}

/** The tracking store: every node's state transitions, what they say about the pipeline, and live events. */
export async function buildTrackingService(deps: TrackingDeps) {
  let log!: EventLog;
  let store!: TrackingStore;
  let stageWaits!: ReturnType<typeof sharedStageWaits>;
  const cursors = eventCursors(deps.tokens);
  const built = await buildSubgraph(
    {
      name: 'tracking',
      typeDefs,
      createStore: (db) => {
        store = new TrackingStore(db, deps.warehouseDbName);
        // A window reaches as far ahead as a transition may be dated.
        stageWaits = sharedStageWaits(store, MAX_AHEAD_MS);
        log = new EventLog(store, { pollIntervalMs: deps.eventPollIntervalMs ?? 50, capacity: 20_000, takeOverAfterMs: 10_000, holdMs: 4_000, logger: deps.logger });
        return store;
      },
      resolvers,
      createContext: (store) => createContext(store, log, cursors, stageWaits),
    },
    deps,
  );
  await log.start();
  // In the background: a first start after an upgrade is not held up by a read of the whole history.
  void store.fillHours().then(
    (filled) => filled > 0 && deps.logger.info('transitions stored before their hour was given it', { transitions: filled }),
    (error: unknown) => deps.logger.warn('could not give earlier transitions their hour; the next start tries again', { error: error instanceof Error ? error.message : String(error) }),
  );
  return { ...built, log, close: () => log.stop() };
}
