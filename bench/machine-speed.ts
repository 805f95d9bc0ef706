import { createHash } from 'node:crypto';

/**
 * How fast this machine runs plain work right now, measured before the system starts: the same
 * code's figures vary by two times from hour to hour here (other tenants of the host), and these
 * two tell a slow hour from a slower change. Hashing is compute alone; the JSON round trips
 * allocate and collect as the services do. Lower is faster.
 */
export function machineSpeed(): string {
  const block = Buffer.alloc(1 << 20, 7);
  let started = performance.now();
  for (let i = 0; i < 256; i++) createHash('sha256').update(block).digest();
  const hashMs = performance.now() - started;
  started = performance.now();
  for (let i = 0; i < 500_000; i++) JSON.parse(JSON.stringify({ id: i, sku: `SKU-${i}`, lines: [1, 2, 3] }));
  const jsonMs = performance.now() - started;
  return `machine now (before the system starts): sha256 of 256 MB in ${hashMs.toFixed(0)} ms, 500,000 JSON round trips in ${jsonMs.toFixed(0)} ms`;
}
