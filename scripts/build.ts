// `npm run build`: compiles every process's entry point (each subgraph, each stage's worker,
// the gateway) to JavaScript in dist/, so that nothing compiles TypeScript at run time. One
// bundle per entry with our own modules inlined and packages left to node_modules; the
// subgraphs' schema files are copied beside them, where the code looks for them. Takes about
// a second; `npm start` runs it first (it skips the work when dist/ is current), so what runs
// is always what is in the tree.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

// Standalone (the docker image runs it without the development tools): its own idea of the root.
const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const distDir = join(projectRoot, 'dist');

/** The entry points the launcher and the docker image run. */
export function entryPoints(): string[] {
  const subgraphsDir = join(projectRoot, 'subgraphs');
  const subgraphs = readdirSync(subgraphsDir, { withFileTypes: true }).filter((entry) => entry.isDirectory());
  return [
    join(projectRoot, 'gateway', 'index.ts'),
    ...subgraphs.flatMap((dir) => ['index.ts', 'run-worker.ts'].map((file) => join(subgraphsDir, dir.name, file)).filter(existsSync)),
  ];
}

/** Where the built JavaScript of a source entry point is. */
export function builtPath(entry: string): string {
  return join(distDir, relative(projectRoot, entry)).replace(/\.ts$/, '.js');
}

/** What the build depends on: every source and schema file's path, size and modification time, and the lockfile. */
function fingerprint(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|graphql)$/.test(entry.name)) {
        const stat = statSync(path);
        hash.update(`${relative(projectRoot, path)}:${stat.size}:${stat.mtimeMs}\n`);
      }
    }
  };
  for (const dir of ['kit', 'pipeline', 'gateway', 'subgraphs']) walk(join(projectRoot, dir));
  hash.update(readFileSync(join(projectRoot, 'package-lock.json')));
  return hash.digest('hex');
}

const stampFile = () => join(distDir, '.fingerprint');

/**
 * Builds unless dist/ already holds a build of the tree as it is. Builds into a folder of its
 * own and swaps it in, so that launchers starting at the same time never see a half-built dist/.
 */
export async function buildAll(): Promise<'built' | 'current'> {
  const stamp = fingerprint();
  if (existsSync(stampFile()) && readFileSync(stampFile(), 'utf8') === stamp) return 'current';
  const staging = `${distDir}.${process.pid}.partial`;
  rmSync(staging, { recursive: true, force: true });
  try {
    await build({
      entryPoints: entryPoints(),
      outdir: staging,
      outbase: projectRoot,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'warning',
    });
    const subgraphsDir = join(projectRoot, 'subgraphs');
    for (const dir of readdirSync(subgraphsDir)) {
      const schema = join(subgraphsDir, dir, 'schema.graphql');
      if (existsSync(schema)) cpSync(schema, join(staging, 'subgraphs', dir, 'schema.graphql'));
    }
    writeFileSync(join(staging, '.fingerprint'), stamp);
    const old = `${distDir}.${process.pid}.old`;
    if (existsSync(distDir)) renameSync(distDir, old);
    renameSync(staging, distDir);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return 'built';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await buildAll();
  process.stdout.write(`${result === 'built' ? 'built' : 'already built:'} ${entryPoints().length} entry points in ${relative(projectRoot, distDir)}/\n`);
}
