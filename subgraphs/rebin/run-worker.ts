import { runStageWorker } from '../../pipeline/run-stage-worker.ts';
import { stageWorkEnv } from '../../pipeline/stage-env.ts';
import { RebinStore } from './store.ts';
import { startRebinWorker } from './worker.ts';

await runStageWorker('rebin', (db) => new RebinStore(db), startRebinWorker, () => stageWorkEnv('REBIN', 200));
