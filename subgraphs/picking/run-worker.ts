import { runStageWorker } from '../../pipeline/run-stage-worker.ts';
import { pickingRules } from './env.ts';
import { PickingStore } from './store.ts';
import { startPickingWorker } from './worker.ts';

await runStageWorker('picking', (db) => new PickingStore(db), startPickingWorker, pickingRules);
