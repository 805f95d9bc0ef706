import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { composeSupergraph } from './supergraph.ts';
import { subgraphEndpoints } from './subgraphs.ts';

// `npm run compose [-- out-file]`: writes the supergraph SDL so production can
// start the gateway from a reviewed file (SUPERGRAPH_PATH) instead of composing.
const out = resolve(process.argv[2] ?? 'gateway/supergraph.graphql');
try {
  writeFileSync(out, composeSupergraph(subgraphEndpoints()));
  process.stdout.write(`supergraph written to ${out}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
