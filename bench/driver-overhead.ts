// `npx tsx bench/driver-overhead.ts`: the client's CPU per command with the MongoDB driver's
// command monitoring (its `commandSucceeded` events) against the kit's hooks
// (kit/mongo-command-hooks.ts), which is how the services time every command. Against the
// embedded database, 8 commands in flight: lookups by `_id`, and finds of 20 documents the size
// of a queue element. Not a test: it prints figures to record in docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { observeMongoCommands } from '../kit/metrics.ts';
import { startFerretDb } from '../scripts/ferretdb.ts';

type Mode = 'none' | 'driver monitoring' | 'kit hooks';
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const perClient = Number(process.env.BENCH_COMMANDS ?? 300);

/** Client CPU per command, in µs. */
async function measure(uri: string, mode: Mode, kind: 'by _id' | '20 documents'): Promise<number> {
  const client = new MongoClient(uri, { monitorCommands: mode === 'driver monitoring', maxPoolSize: 20 });
  // As kit/metrics.ts listened before it used the hooks.
  if (mode === 'driver monitoring') client.on('commandSucceeded', (event) => void event.duration);
  await client.connect();
  try {
    const elements = client.db('overhead').collection<{ _id: string }>('elements');
    // A collection of 20 read whole: FerretDB reads just those rows (a filter would have it decode every row).
    const batch = client.db('overhead').collection('batch');
    const one = (i: number) => (kind === 'by _id' ? elements.findOne({ _id: `e${i % 200}` }) : batch.find({}).toArray());
    for (let i = 0; i < 300; i++) await one(i); // warm-up: the JIT, the pool
    const before = process.cpuUsage();
    await Promise.all(Array.from({ length: 8 }, async (_, c) => {
      for (let i = 0; i < perClient; i++) await one(c * 31 + i * 7);
    }));
    const used = process.cpuUsage(before);
    return (used.user + used.system) / (8 * perClient);
  } finally {
    await client.close();
  }
}

async function child(mode: Mode, kind: 'by _id' | '20 documents', uri: string): Promise<void> {
  if (mode === 'kit hooks') observeMongoCommands();
  process.stdout.write(`${await measure(uri, mode, kind)}\n`);
}

/** Each measurement in a fresh process of its own, the modes taking turns: no mode gets a warmer process. */
function inChild(mode: Mode, kind: string, uri: string): number {
  const output = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'child', mode, kind, uri], { encoding: 'utf8' });
  return Number(output.trim().split('\n').at(-1));
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fulfilment-overhead-'));
  const database = await startFerretDb({ dataDir });
  try {
    const seed = await new MongoClient(database.uri).connect();
    const outbox = Array.from({ length: 3 }, (_, i) => ({ id: `m${i}`, target: 'orders', operation: 'mutation Report($input: ReportInput!) { report(input: $input) { ok } }', variables: { note: 'x'.repeat(120) }, delivered: false, attempts: 0 }));
    const element = (i: number) => ({ _id: `e${i}`, status: 'READY', payload: { orderId: `o${i}`, lines: [{ sku: 'BOOK-001', quantity: 1 }] }, outbox });
    await seed.db('overhead').collection('elements').insertMany(Array.from({ length: 200 }, (_, i) => element(i)) as never);
    await seed.db('overhead').collection('batch').insertMany(Array.from({ length: 20 }, (_, i) => element(i)) as never);
    await seed.close();
    const modes = ['none', 'driver monitoring', 'kit hooks'] as const;
    process.stdout.write(`client CPU per command, µs (median of ${rounds} processes each)\n| command | ${modes.join(' | ')} |\n|---|---|---|---|\n`);
    for (const kind of ['by _id', '20 documents'] as const) {
      const results = new Map<Mode, number[]>(modes.map((mode) => [mode, []]));
      for (let round = 0; round < rounds; round++) for (const mode of modes) results.get(mode)!.push(inChild(mode, kind, database.uri));
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      process.stdout.write(`| ${kind} | ${modes.map((mode) => median(results.get(mode)!).toFixed(0)).join(' | ')} |\n`);
    }
  } finally {
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const [role, mode, kind, uri] = process.argv.slice(2);
await (role === 'child' ? child(mode as Mode, kind as 'by _id' | '20 documents', uri!) : main());
