import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parser as promql } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { registry } from '../kit/metrics.ts';

// docker-compose's observability files cannot run here (no Docker); these checks keep them in
// step with the code: a renamed metric or a new worker that the files do not know fails here.
const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
const root = fileURLToPath(new URL('..', import.meta.url));

/** Every series name the processes export (a histogram's as its three series). */
async function exportedSeries(): Promise<Set<string>> {
  const metrics = await registry.getMetricsAsJSON();
  return new Set(metrics.flatMap((metric) => [metric.name, ...(String(metric.type) === 'histogram' ? ['_bucket', '_sum', '_count'].map((suffix) => metric.name + suffix) : [])]));
}

interface AlertRule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The metric names an expression selects, and where it does not parse as PromQL. */
function readExpression(expr: string): { metrics: string[]; errorsAt: number[] } {
  const metrics: string[] = [];
  const errorsAt: number[] = [];
  promql.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errorsAt.push(node.from);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') metrics.push(expr.slice(node.from, node.to));
    },
  });
  return { metrics, errorsAt };
}

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

describe('the observability configuration', () => {
  it("the dashboard's queries use only metrics the processes export", async () => {
    const dashboard = JSON.parse(read('observability/grafana/dashboards/fulfilment.json')) as { panels: { targets?: { expr: string }[] }[] };
    const exported = await exportedSeries();
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
      expect(prometheus, service).toContain(`targets: ["${service}:${service === 'gateway' || service.startsWith('gateway-') ? metricsPort : port}"]`);
    }
  });

  it('every alert is PromQL over metrics the processes export (or `up`), with a severity, a summary and a description, and is documented', async () => {
    const rules = (parseYaml(read('observability/alerts.yml')) as { groups: { rules: AlertRule[] }[] }).groups.flatMap((group) => group.rules);
    expect(rules.length).toBeGreaterThanOrEqual(10);
    const exported = await exportedSeries();
    exported.add('up'); // Prometheus's own, per scraped target
    const docs = read('docs/observability.md');
    expect(readExpression('sum(rate(queue_depth[5m])').errorsAt).not.toEqual([]); // the parser does refuse what Prometheus would
    for (const rule of rules) {
      const { metrics, errorsAt } = readExpression(rule.expr);
      expect(errorsAt, `${rule.alert}: ${rule.expr}`).toEqual([]);
      expect(metrics.length, rule.alert).toBeGreaterThan(0);
      expect(metrics.filter((name) => !exported.has(name)), rule.alert).toEqual([]);
      expect(['page', 'ticket'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      expect(docs, rule.alert).toContain(`\`${rule.alert}\``);
    }
    expect(read('observability/prometheus.yml')).toMatch(/^rule_files:\n {2}- alerts\.yml$/m);
    expect(read('docker-compose.yml')).toContain('./observability/alerts.yml:/etc/prometheus/alerts.yml:ro');
  });

  // Prometheus's own checker, where it is installed (.ci/run installs it): the rules load, and each
  // alert in observability/alerts.test.yml fires, or stays quiet, as that file expects.
  it.runIf(hasPromtool)('promtool loads the configuration and rules, and the rules pass their unit tests', () => {
    for (const args of [['check', 'config', 'observability/prometheus.yml'], ['test', 'rules', 'observability/alerts.test.yml']]) {
      const run = spawnSync('promtool', args, { cwd: root, encoding: 'utf8' });
      expect(run.status, `promtool ${args.join(' ')}\n${run.stdout}${run.stderr}`).toBe(0);
    }
  });
});
