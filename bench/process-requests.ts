import { serviceNames } from '../pipeline/services.ts';

// Database requests by the process that sent them, from every process's own /metrics (the
// driver's command monitor, kit/mongo-command-hooks.ts): FerretDB's counters say what was asked,
// these say who asked, which is where a cut in requests per order has to be made.

/** Every /metrics a launcher serves: the subgraphs' on their ports, the gateway's and the workers' as its banner named them. */
export function metricsEndpoints(basePort: number, launcherOutput: string): Map<string, string> {
  const endpoints = new Map<string, string>();
  serviceNames.forEach((name, i) => endpoints.set(name, `http://127.0.0.1:${basePort + 1 + i}/metrics`));
  const banner = /Metrics:.*gateway :(\d+).*workers: (.*)/.exec(launcherOutput);
  if (banner) {
    endpoints.set('gateway', `http://127.0.0.1:${banner[1]}/metrics`);
    for (const [, name, port] of banner[2]!.matchAll(/([\w-]+) :(\d+)/g)) endpoints.set(name!, `http://127.0.0.1:${port}/metrics`);
  }
  return endpoints;
}

const commandCount = /^mongodb_command_duration_seconds_count\{([^}]*)\} (\d+)/gm;
const operationCount = /^graphql_requests_total\{([^}]*)\} (\d+)/gm;

/** Database requests each process has sent so far, by `process command` (an unreachable process counts none). */
export function requestsByProcess(endpoints: Map<string, string>): Promise<Map<string, number>> {
  return countedByProcess(endpoints, commandCount, 'command');
}

/** GraphQL operations each process has answered so far, by `process operation`: the hops between services an order costs. */
export function operationsByProcess(endpoints: Map<string, string>): Promise<Map<string, number>> {
  return countedByProcess(endpoints, operationCount, 'operation');
}

async function countedByProcess(endpoints: Map<string, string>, counter: RegExp, label: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const labelValue = new RegExp(`${label}="([^"]*)"`);
  await Promise.all(
    [...endpoints].map(async ([name, url]) => {
      const text = await fetch(url)
        .then((response) => response.text())
        .catch(() => '');
      for (const [, labels, value] of text.matchAll(counter)) {
        const key = `${name} ${labelValue.exec(labels!)?.[1] ?? '?'}`;
        counts.set(key, (counts.get(key) ?? 0) + Number(value));
      }
    }),
  );
  return counts;
}

/** `after - before`, largest first. */
export function requestsSince(after: Map<string, number>, before: Map<string, number>): [string, number][] {
  return [...after]
    .map(([key, n]): [string, number] => [key, n - (before.get(key) ?? 0)])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
}
