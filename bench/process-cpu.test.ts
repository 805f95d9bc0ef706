import { describe, expect, it } from 'vitest';
import { cpuPerUnit } from './process-cpu.ts';

describe('cpuPerUnit', () => {
  it('divides what each process used among the units, the database apart from the Node.js processes', () => {
    const used: [string, number][] = [
      ['FerretDB', 0.4],
      ['gateway/index.js', 0.25],
      ['PostgreSQL', 0.15],
      ['orders/index.js', 0.2],
    ];
    const perRequest = cpuPerUnit(used, 100);
    expect(perRequest.all).toBeCloseTo(10);
    expect(perRequest.ferretdb).toBeCloseTo(4);
    expect(perRequest.postgres).toBeCloseTo(1.5);
    expect(perRequest.node).toBeCloseTo(4.5);
    expect(perRequest.byProcess.map(([name, ms]) => [name, Number(ms.toFixed(3))])).toEqual([
      ['gateway/index.js', 2.5],
      ['orders/index.js', 2],
    ]);
  });
});
