import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** One sample of a parsed scrape. */
export interface Sample {
  labels: Record<string, string>;
  value: string;
}

export interface Family {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Sample[];
}

/** Scrapes a process's /metrics (given any URL on it) and parses the Prometheus text format. */
export async function scrape(anyUrlOnIt: string): Promise<Map<string, Family>> {
  const response = await fetch(new URL('/metrics', anyUrlOnIt));
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  if (!response.headers.get('content-type')?.startsWith('text/plain')) throw new Error(`/metrics is ${response.headers.get('content-type')}`);
  // The parser keeps the labels of counters and gauges, but folds a histogram's series into one
  // unlabelled set: read histograms as their plain series (name_bucket, name_sum, name_count) instead.
  const text = (await response.text()).replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped');
  const families = parsePrometheusTextFormat(text) as Family[];
  // A histogram's series come label set by label set (buckets, sum, count, then the next set):
  // read plainly, each run is its own family, so runs of the same name are joined.
  const byName = new Map<string, Family>();
  for (const family of families) {
    const seen = byName.get(family.name);
    if (seen) seen.metrics.push(...family.metrics);
    else byName.set(family.name, family);
  }
  return byName;
}

/** The samples of a family whose labels include `labels` (a label given as a RegExp matches its pattern). */
export function samples(families: Map<string, Family>, name: string, labels: Record<string, string | RegExp> = {}): Sample[] {
  const family = families.get(name);
  if (!family) return [];
  return family.metrics.filter((sample) =>
    Object.entries(labels).every(([key, wanted]) => (typeof wanted === 'string' ? sample.labels[key] === wanted : wanted.test(sample.labels[key] ?? ''))),
  );
}

/** The sum of the matching samples' values (for a histogram, name its `_count` or `_sum` series). */
export function total(families: Map<string, Family>, name: string, labels: Record<string, string | RegExp> = {}): number {
  return samples(families, name, labels).reduce((sum, sample) => sum + Number(sample.value), 0);
}
