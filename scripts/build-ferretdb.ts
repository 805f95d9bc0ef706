import { DatabaseBuildError, ensureFerretDb } from './ferretdb.ts';

try {
  const binary = ensureFerretDb((message) => process.stdout.write(`${message}\n`));
  process.stdout.write(`FerretDB ready: ${binary}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof DatabaseBuildError ? error.message : String(error)}\n`);
  process.exit(1);
}
