// `npm run bench:memory`: is memory bounded? Runs the whole system (`npm start` on its own ports
// and a throw-away database) and places orders through the gateway at a steady rate, below the
// pipeline's capacity, for BENCH_MEMORY_MINUTES (default 30). Every BENCH_SAMPLE_S (default 60)
// it reads the resident set size (RSS) of every process the launcher runs, the database's
// included, and at the end prints them over time as a table for docs/benchmarks.md, with each
// process's growth over the second half of the run (after the warm-up a bounded process stays flat).
// PostgreSQL's processes are summed by their proportional set size (PSS): their RSS would count the
// shared buffers once per backend.
// Not a test: figures to record. Settings: BENCH_MEMORY_MINUTES, BENCH_RATE (orders/s, default
// 0.5), BENCH_SAMPLE_S, BENCH_BASE_PORT (4600: the gateway, the subgraphs on the ports after it).
import { readdirSync, readFileSync } from 'node:fs';
import { placeOrderOfMix, restock, waitForSettlement, type GraphQLCaller } from './faults.ts';
import { startLauncher } from './system.ts';

const env = process.env;
const minutes = Number(env.BENCH_MEMORY_MINUTES ?? 30);
const ratePerS = Number(env.BENCH_RATE ?? 0.5);
const sampleMs = Number(env.BENCH_SAMPLE_S ?? 60) * 1000;
const basePort = Number(env.BENCH_BASE_PORT ?? 4600);
/** Stock received at a time, per product; more is received before it runs out. */
const restockBatch = 400;

const say = (message: string) => process.stdout.write(`${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * RSS in MiB of every process the launcher runs (its own process group) and of its database,
 * which runs in groups of its own (out of reach of a terminal's Ctrl-C): FerretDB, and
 * PostgreSQL with all its backends, found by the data folder they were started on.
 */
function processesOf(groupId: number, dataDir: string, names: Map<number, string>): Map<string, number> {
  const rss = new Map<string, number>();
  const seen: { pid: number; ppid: number; group: number; comm: string; args: string; mib: number }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces, so split after it.
      const [, comm, rest] = /^\d+ \((.*)\) (.*)$/s.exec(readFileSync(`/proc/${entry}/stat`, 'utf8')) ?? [];
      const [, ppid, group] = rest!.split(' ');
      const kib = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1] ?? 0);
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (kib > 0) seen.push({ pid: Number(entry), ppid: Number(ppid), group: Number(group), comm: comm!, args, mib: kib / 1024 });
    } catch {
      // the process exited while we looked
    }
  }
  const add = (name: string, mib: number) => rss.set(name, (rss.get(name) ?? 0) + mib);
  const postmasters = new Set(seen.filter((p) => p.comm === 'postgres' && p.args.includes(dataDir)).map((p) => p.pid));
  for (const p of seen) {
    if (p.group === groupId) add(names.get(p.pid) ?? (p.comm === 'node' ? 'launcher' : p.comm), p.mib);
    else if (p.comm === 'ferretdb' && p.args.includes(dataDir)) add('ferretdb', p.mib);
    // Each PostgreSQL backend's RSS counts the shared buffers it touched, so their sum counts them
    // once per backend (eight times over, say): its proportional share (PSS) sums to the truth.
    else if (postmasters.has(p.pid) || postmasters.has(p.ppid)) add('postgresql (all processes, PSS)', pssMiB(p.pid) ?? p.mib);
  }
  return rss;
}

function pssMiB(pid: number): number | undefined {
  try {
    const kib = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1];
    return kib ? Number(kib) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** pid → name, from the launcher's "[start] starting <name> (pid N)" and "<name> is up (pid N)" lines. */
function namesFrom(output: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const match of output.matchAll(/\[start\] (?:starting (\S+) \(pid (\d+)\)|(\S+) is (?:up|running again) \(pid (\d+))/g)) {
    names.set(Number(match[2] ?? match[4]), (match[1] ?? match[3])!);
  }
  return names;
}

async function main() {
  if (!(minutes > 0) || !(ratePerS > 0) || !(sampleMs > 0)) throw new Error('BENCH_MEMORY_MINUTES, BENCH_RATE and BENCH_SAMPLE_S must be positive numbers');
  say(`memory: orders at ${ratePerS}/s for ${minutes} min, RSS of every process every ${sampleMs / 1000} s`);
  const launcher = await startLauncher(basePort, {});
  const groupId = launcher.pid;
  try {
    const caller: GraphQLCaller = { gatewayUrl: launcher.gatewayUrl, ada: launcher.authorization.ada, support: launcher.authorization.support, warehouse: launcher.authorization.warehouse };
    const run = `memory-${Date.now()}`;
    let stocked = 0;
    const placed: string[] = [];
    const samples: { minute: number; rss: Map<string, number> }[] = [];
    const started = Date.now();
    const endAt = started + minutes * 60_000;
    const sample = () => {
      const minute = (Date.now() - started) / 60_000;
      const rss = processesOf(groupId, launcher.dataDir, namesFrom(launcher.output()));
      samples.push({ minute, rss });
      const total = [...rss.values()].reduce((sum, value) => sum + value, 0);
      say(`  ${minute.toFixed(1).padStart(5)} min: ${placed.length} orders placed, ${rss.size} processes, ${total.toFixed(0)} MiB in all`);
    };
    sample();
    const sampler = setInterval(sample, sampleMs);
    // Orders at a steady pace: each started on its own schedule, however long the last one took.
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; Date.now() < endAt; i++) {
      // Every product of an order draws from one batch of stock; receive the next before it runs out.
      if (i * 2 >= stocked - restockBatch / 2) {
        await restock(caller, restockBatch, `${run}-${stocked}`);
        stocked += restockBatch;
      }
      const order = placeOrderOfMix(caller, i, run).then(({ id }) => void placed.push(id));
      inFlight.add(order);
      void order.finally(() => inFlight.delete(order));
      await sleep(Math.max(0, started + ((i + 1) * 1000) / ratePerS - Date.now()));
    }
    await Promise.all(inFlight);
    clearInterval(sampler);
    sample();
    const settled = await waitForSettlement(caller, placed, 180_000);
    say(`placed ${placed.length}, shipped ${settled.shipped.length}, exceptions ${settled.exceptions.length} (declined cards), still in flight ${settled.lost.length}`);
    report(samples);
  } finally {
    await launcher.stop();
  }
}

/** The table for docs/benchmarks.md: RSS per process at about every fifth of the run, and the growth over its second half. */
function report(samples: { minute: number; rss: Map<string, number> }[]) {
  const picks = [0, 0.2, 0.4, 0.5, 0.6, 0.8, 1].map((share) => samples[Math.round(share * (samples.length - 1))]!);
  const unique = [...new Set(picks)];
  const half = samples[Math.floor((samples.length - 1) / 2)]!;
  const last = samples.at(-1)!;
  const names = [...new Set(samples.flatMap((s) => [...s.rss.keys()]))].sort();
  say(`\n| process | ${unique.map((s) => `${s.minute.toFixed(0)} min`).join(' | ')} | second half |`);
  say(`|---|${unique.map(() => '---|').join('')}---|`);
  for (const name of names) {
    const cells = unique.map((s) => (s.rss.has(name) ? s.rss.get(name)!.toFixed(0) : '–'));
    const from = half.rss.get(name);
    const to = last.rss.get(name);
    const growth = from && to ? `${to - from >= 0 ? '+' : ''}${(to - from).toFixed(0)} MiB (${(((to - from) / from) * 100).toFixed(0)}%)` : '–';
    say(`| ${name} | ${cells.join(' | ')} | ${growth} |`);
  }
  const total = (s: { rss: Map<string, number> }) => [...s.rss.values()].reduce((sum, value) => sum + value, 0);
  say(`| all | ${unique.map((s) => total(s).toFixed(0)).join(' | ')} | ${(total(last) - total(half)).toFixed(0)} MiB |`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`memory bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
