import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registry } from '../kit/metrics.ts';

// docker-compose's observability files cannot run here (no Docker); these checks keep them in
// step with the code: a renamed metric or a new worker that the files do not know fails here.
const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('the observability configuration', () => {
  it("the dashboard's queries use only metrics the processes export", async () => {
    const dashboard = JSON.parse(read('observability/grafana/dashboards/fulfilment.json')) as { panels: { targets?: { expr: string }[] }[] };
    const exported = new Set((await registry.getMetricsAsJSON()).flatMap((metric) => [metric.name, ...(String(metric.type) === 'histogram' ? ['_bucket', '_sum', '_count'].map((suffix) => metric.name + suffix) : [])]));
    const used = new Set(dashboard.panels.flatMap((panel) => (panel.targets ?? []).flatMap((target) => [...target.expr.matchAll(/\b([a-z][a-z0-9_]*)\s*[{[]/g)].map((match) => match[1]!))));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });

  it('Prometheus scrapes every service and every worker docker-compose runs', () => {
    const compose = read('docker-compose.yml');
    const prometheus = read('observability/prometheus.yml');
    const workers = [...compose.matchAll(/^ {2}([a-z-]+):\n {4}<<: \*worker$/gm)].map((match) => match[1]!);
    const services = [...compose.matchAll(/^ {2}([a-z-]+):\n {4}<<: \*service$/gm)].map((match) => match[1]!);
    expect(workers.length).toBeGreaterThanOrEqual(6);
    expect(services).toContain('gateway');
    const dnsNames = prometheus.match(/names: \[([^\]]+)\]/)![1]!.split(',').map((name) => name.trim());
    expect(dnsNames.sort()).toEqual([...workers].sort());
    // The gateway serves /metrics on METRICS_PORT, not on the port clients reach; every other service on its own.
    const metricsPort = compose.match(/^ {2}METRICS_PORT: "(\d+)"/m)?.[1];
    expect(metricsPort).toBeDefined();
    for (const service of services) {
      const port = compose.match(new RegExp(`^ {2}${service}:\\n(?: {4}.*\\n)*? {6}PORT: "(\\d+)"`, 'm'))?.[1];
      expect(port, service).toBeDefined();
      expect(prometheus, service).toContain(`targets: ["${service}:${service === 'gateway' ? metricsPort : port}"]`);
    }
  });
});
