import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { GraphQLError, Kind, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { onMongoCommand, type CommandHook } from './mongo-command-hooks.ts';
import { ErrorCode, isVariableValueError } from './errors.ts';
import { isAuthenticated, type Identity } from './auth/identity.ts';
import { sharedRead } from './shared-read.ts';
import { answerWithin } from './within.ts';

/**
 * The process's metrics, served at /metrics in the Prometheus text format (kit/probes.ts).
 * Counters and histograms are updated where things happen; queue depths and outbox backlogs
 * are counted from the database only when Prometheus scrapes, so they cost nothing per request.
 * Every label has a bounded set of values: operation names are capped, callback URLs collapse
 * to one target.
 */
export const registry = new Registry();
// The event loop's delay is sampled every 100 ms, not every 10 ms (prom-client's default): the
// 10 ms timer cost about 1% of a core in every process, idle or busy, and the system runs twenty
// Node.js processes on two cores. The histogram's values include the interval (an idle process
// reads 0.10 s, docs/observability.md); a stall of 200 ms or more always shows above it.
collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });

const registers = [registry];
// Seconds: from a cached read (1 ms) to a request at the gateway's time limit.
const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Time spent in a queue or outbox: from an idle pipeline's milliseconds to a stopped stage's minutes.
const waitBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

export const graphqlRequests = new Counter({
  name: 'graphql_requests_total',
  help: 'GraphQL operations answered, by service, operation name, type and outcome (OK or the first error code)',
  labelNames: ['service', 'operation', 'type', 'outcome'] as const,
  registers,
});
export const graphqlDuration = new Histogram({
  name: 'graphql_request_duration_seconds',
  help: 'Time to execute a GraphQL operation (after parsing and validation), by service, operation, type and outcome',
  labelNames: ['service', 'operation', 'type', 'outcome'] as const,
  buckets: latencyBuckets,
  registers,
});

export const subgraphFetchDuration = new Histogram({
  name: 'gateway_subgraph_fetch_duration_seconds',
  help: 'Time of each fetch the gateway makes to a subgraph, by subgraph and outcome (HTTP status, or unavailable)',
  labelNames: ['subgraph', 'outcome'] as const,
  buckets: latencyBuckets,
  registers,
});
export const subgraphErrors = new Counter({
  name: 'gateway_subgraph_errors_total',
  help: 'Errors in subgraph answers to the gateway (and subgraphs it could not reach), by subgraph and code',
  labelNames: ['subgraph', 'code'] as const,
  registers,
});

const queueLabels = ['database', 'queue'] as const;
export const queueEnqueued = new Counter({ name: 'queue_enqueued_total', help: 'Elements newly stored in a stage queue', labelNames: queueLabels, registers });
export const queueCompleted = new Counter({ name: 'queue_completed_total', help: 'Elements a worker completed', labelNames: queueLabels, registers });
export const queueLeaseExpiries = new Counter({
  name: 'queue_lease_expiries_total',
  help: 'Leases that expired before their worker finished (the worker died or stalled) and were taken over',
  labelNames: queueLabels,
  registers,
});
export const queueRetries = new Counter({ name: 'queue_retries_total', help: 'Failed attempts given back for a retry after a backoff', labelNames: queueLabels, registers });
export const queueDeadLetters = new Counter({
  name: 'queue_dead_letters_total',
  help: 'Elements parked as FAILED and handed to the exceptions service',
  labelNames: queueLabels,
  registers,
});
/**
 * Exports these series at 0 before their first event. A counter that appears only when it is first
 * counted has no `increase()` over that event, so an alert on a single event (an element parked,
 * an order cancelled for want of stock) never fired; and every restart made it absent again.
 */
export function countFromZero<L extends string>(counter: Counter<L>, labelSets: readonly Partial<Record<L, string>>[]): void {
  for (const labels of labelSets) counter.inc(labels, 0);
}

/** A queue's counters, from zero for each queue a process opens. */
export function countQueueFromZero(labels: { database: string; queue: string }): void {
  for (const counter of [queueEnqueued, queueCompleted, queueLeaseExpiries, queueRetries, queueDeadLetters]) countFromZero(counter, [labels]);
}

export const queueWait = new Histogram({
  name: 'queue_wait_seconds',
  help: 'Time from an element being stored to its first lease: how long work waits at a stage',
  labelNames: queueLabels,
  buckets: waitBuckets,
  registers,
});
export const queueDepth = new Gauge({
  name: 'queue_depth',
  help: 'Live elements in a stage queue by status (READY: waiting, LEASED: being worked, FAILED: parked), counted at scrape',
  labelNames: ['database', 'queue', 'status'] as const,
  registers,
});
export const queueOldestAge = new Gauge({
  name: 'queue_oldest_ready_age_seconds',
  help: 'Age of the element that has been due longest and is still waiting (0 when none waits), counted at scrape',
  labelNames: queueLabels,
  registers,
});
export const queueLeasesInFlight = new Gauge({
  name: 'queue_leases_in_flight',
  help: 'Leases held and not yet expired: elements workers are on right now, counted at scrape',
  labelNames: queueLabels,
  registers,
});
// Labelled by the exceptions service's database, so that the processes that are not it export none (an unlabelled gauge reads 0 everywhere).
export const exceptionsOpen = new Gauge({
  name: 'exceptions_open',
  help: 'Exceptions waiting for a person (OPEN); counted at scrape, at most every 30 s',
  labelNames: ['database'] as const,
  registers,
});
export const exceptionsOldestOpenAge = new Gauge({
  name: 'exceptions_oldest_open_age_seconds',
  help: 'How long the OPEN exception raised longest ago has waited for a person (0 when none waits); at scrape',
  labelNames: ['database'] as const,
  registers,
});
/** What the orders worker settles without a person: by `action` (labelled, so other processes export none). */
export const ordersSettledByWorker = new Counter({
  name: 'orders_settled_by_worker_total',
  help: 'Orders the orders worker settled without a person: cancelled_unpaid (a declined order past its payBy), restock_retried (an OUT_OF_STOCK order retried as stock came in), cancelled_out_of_stock (an OUT_OF_STOCK order past its waitForStockUntil, cancelled and refunded)',
  labelNames: ['action'] as const,
  registers,
});
/** A regional customers replica's gauge, by region, set at scrape from its replicationStatus. */
const replicaGauge = (name: string, help: string) => new Gauge({ name: `customers_replication_${name}`, help: `A regional customers replica: ${help}; at scrape`, labelNames: ['region'] as const, registers });
export const replicationLag = replicaGauge('lag_seconds', "how far behind the home copy's log it is (the oldest entry it has not applied), or how long it has not reached home, whichever is longer");
export const replicationHomeReachable = replicaGauge('home_reachable', '1 while its last contact with the home copy succeeded, 0 while it cannot reach home (its writes wait queued)');
export const replicationPendingWrites = replicaGauge('pending_writes', 'writes made there not yet sent to the home copy');
export const replicationRejectedWrites = replicaGauge('rejected_writes', 'writes made there that the home copy refused (an email taken, a customer gone), all time');
export const replicaGauges = [replicationLag, replicationHomeReachable, replicationPendingWrites, replicationRejectedWrites];
export const outboxBacklog = new Gauge({
  name: 'outbox_backlog',
  help: 'Elements with outbox messages still to deliver, counted at scrape',
  labelNames: queueLabels,
  registers,
});
export const outboxDeliveryLatency = new Histogram({
  name: 'outbox_delivery_seconds',
  help: 'Time from a message being recorded in an outbox to its target accepting it',
  labelNames: ['database', 'queue', 'target'] as const,
  buckets: waitBuckets,
  registers,
});
export const outboxDeliveries = new Counter({
  name: 'outbox_deliveries_total',
  help: 'Outbox delivery attempts, by target and outcome (delivered, failed, refused)',
  labelNames: ['database', 'queue', 'target', 'outcome'] as const,
  registers,
});

export const doorbellHearing = new Gauge({
  name: 'doorbell_hearing',
  help: "1 while a worker process hears its service's doorbell (work stored there wakes it at once), 0 while it polls alone",
  labelNames: ['service'] as const,
  registers,
});
export const doorbellRingsHeard = new Counter({
  name: 'doorbell_rings_heard_total',
  help: "Rings heard from the service's subgraph (work or outbox messages stored there), by queue and kind",
  labelNames: ['database', 'queue', 'kind'] as const,
  registers,
});

export const websocketConnections = new Gauge({ name: 'websocket_connections', help: 'Open GraphQL WebSocket connections', labelNames: ['service'] as const, registers });
export const activeSubscriptions = new Gauge({ name: 'graphql_subscriptions_active', help: 'GraphQL subscriptions running', labelNames: ['service'] as const, registers });
export const subscriptionDeliveries = new Counter({
  name: 'graphql_subscription_deliveries_total',
  help: 'Subscription events sent to clients',
  labelNames: ['service'] as const,
  registers,
});

export const transitionsRecorded = new Counter({
  name: 'tracking_transitions_recorded_total',
  help: 'State transitions newly recorded by tracking (each once, however often delivered), by element type and state entered: orders placed and shipped',
  labelNames: ['element_type', 'state'] as const,
  registers,
});

export const movesHeld = new Counter({
  name: 'tracking_moves_held_total',
  help: "Moves whose event waited for their element's previous move, recorded by another node and not yet arrived, by the node that made the waiting move and whether the previous one arrived in time (else the waiting move went first)",
  labelNames: ['node', 'outcome'] as const,
  registers,
});

export const mongoCommandDuration = new Histogram({
  name: 'mongodb_command_duration_seconds',
  help: 'Database command round trips (timed around the driver sending each command), by database, command and outcome',
  labelNames: ['database', 'command', 'outcome'] as const,
  buckets: latencyBuckets,
  registers,
});

/**
 * Where a message goes, as a label: a service's name when the relay has a route to it, `callback`
 * for a message the relay sends as a callback (kit/queue.ts isCallbackTarget), `other` for anything else (a target a client named: unbounded otherwise).
 */
export const targetLabel = (target: string, { callback, routable }: { callback: boolean; routable: boolean }) => (callback ? 'callback' : routable ? target : 'other');

const knownOperations = new Set<string>();
const MAX_OPERATION_NAMES = 200;
/**
 * Of those, the most that signed-out callers may name first: anyone can send new names, and 200
 * of them took every label for the life of the process, so that the operations dashboards and
 * alerts are keyed on were all counted as `other`.
 */
const MAX_SIGNED_OUT_NAMES = 50;
const signedOutNames = new Set<string>();
/**
 * Longer than any name a person gives an operation, with room for the gateway's `__<subgraph>__<n>`
 * on its fetches of an operation whose name is as long as the gateway takes (GATEWAY_MAX_NAME_LENGTH).
 */
const MAX_OPERATION_NAME_LENGTH = 128;
/**
 * Operation names are chosen by clients: past MAX_OPERATION_NAMES distinct ones, the rest share `other`,
 * and so does a name too long to be one a person gave (a 99 KB name would be a label on every
 * series of it, in every scrape).
 */
export function operationLabel(name: string | null | undefined, signedOut = false): string {
  if (!name) return '(anonymous)';
  if (knownOperations.has(name)) return name;
  if (knownOperations.size >= MAX_OPERATION_NAMES || name.length > MAX_OPERATION_NAME_LENGTH) return 'other';
  if (signedOut) {
    if (signedOutNames.size >= MAX_SIGNED_OUT_NAMES) return 'other';
    signedOutNames.add(name);
  }
  knownOperations.add(name);
  return name;
}

/** Records every command's round trip, of every client in the process (kit/mongo-command-hooks.ts). */
export function observeMongoCommands(): void {
  onMongoCommand(observeCommand);
}
const observeCommand: CommandHook =
  ({ database, name }) =>
  ({ durationMs, error }) =>
    mongoCommandDuration.observe({ database, command: name, outcome: error === undefined ? 'ok' : 'error' }, durationMs / 1000);

/**
 * Figures read at scrape time (a queue's depth, the open exceptions, a replica's lag): from the
 * database, so they cost nothing per request. `read` resolves to what shows them, which runs only
 * when they came in time; otherwise `forget` leaves its gauges out of the scrape. A figure that
 * could not be read is unknown, not what it last was: while a database was paused for 40 s, an
 * element waiting 11 s stayed at 11 s, and no alert could fire (scrape_probe_answered says why).
 */
export interface ScrapeProbe {
  read(): Promise<() => void>;
  forget(): void;
}
export const scrapeProbeAnswered = new Gauge({
  name: 'scrape_probe_answered',
  help: "1 when this scrape read a probe's figures (a queue's counts, the open exceptions, a replica's status), 0 when it failed or its database did not answer within 2 s: the probe's gauges are then left out, not shown as they last were",
  labelNames: ['probe'] as const,
  registers,
});
/**
 * The probes, each with its read shared while under way: a scrape while one is (the database
 * hangs) waits for it rather than start another. Each read is a few queries, and a paused
 * database otherwise had a new set queued every scrape, all answered at once when it resumed
 * (250 PostgreSQL backends).
 */
const probes = new Map<string, { probe: ScrapeProbe; read: () => Promise<() => void> }>();
/** Keyed so the same queue opened twice in one process (its service and its worker) is read once. Returns what stops it. */
export function onScrape(key: string, probe: ScrapeProbe): () => void {
  probes.set(key, { probe, read: sharedRead(() => probe.read()) });
  return () => {
    if (probes.get(key)?.probe !== probe) return;
    probes.delete(key);
    scrapeProbeAnswered.remove({ probe: key });
  };
}

const SCRAPE_PROBE_TIMEOUT_MS = 2_000;
/** Scrapes within this of one another share one run of the probes (each run counts queues in the database). */
const PROBES_SHARED_FOR_MS = 1_000;
let probing: { startedAt: number; done: Promise<unknown> } | undefined;

async function runProbe(key: string, entry: { probe: ScrapeProbe; read: () => Promise<() => void> }): Promise<void> {
  const answer = await answerWithin(entry.read(), SCRAPE_PROBE_TIMEOUT_MS);
  if (probes.get(key) !== entry) return; // stopped meanwhile: its gauges are no longer its to set
  if (answer) answer.value();
  else entry.probe.forget();
  scrapeProbeAnswered.set({ probe: key }, answer ? 1 : 0);
}

/**
 * Runs the scrape-time probes (each bounded in time: a database that hangs must not hang
 * /metrics), then renders. Concurrent or close scrapes share one run: 50 scrapes at once cost
 * the database one set of counts, not 50. Each scrape renders the page itself (about 1 ms of
 * CPU; sharing renderings was measured to save little, docs/benchmarks.md). /metrics is for
 * Prometheus, not clients: the gateway, which clients reach, serves it on a port of its own.
 */
export async function renderMetrics(): Promise<string> {
  if (!probing || Date.now() - probing.startedAt >= PROBES_SHARED_FOR_MS) {
    const done = Promise.all([...probes].map(([key, entry]) => runProbe(key, entry)));
    probing = { startedAt: Date.now(), done };
  }
  await probing.done;
  return registry.metrics();
}

export const metricsContentType = registry.contentType;

/**
 * How an executed document is labelled: its operation's name and type, worked out once per parsed
 * document and operation. Only a name the document defines labels anything: an `operationName`
 * naming no operation in it is `(no such operation)`, and is not remembered (a client could send
 * a new one with every request for a cached document).
 */
const operationInfo = new WeakMap<DocumentNode, Map<string, { name: string | undefined; type: string }>>();
const noSuchOperation = { operation: '(no such operation)', type: 'unknown' };
export function operationOf(document: DocumentNode, operationName: string | null | undefined, signedOut = false): { operation: string; type: string } {
  let byName = operationInfo.get(document);
  if (!byName) operationInfo.set(document, (byName = new Map()));
  const key = operationName ?? '';
  let info = byName.get(key);
  if (!info) {
    const definition = document.definitions.find(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
    );
    if (!definition) return noSuchOperation;
    info = { name: definition.name?.value, type: definition.operation };
    byName.set(key, info);
  }
  // Labelled per request, not once per document: a name a signed-out caller could not have may be a signed-in one's.
  return { operation: operationLabel(info.name, signedOut), type: info.type };
}

/**
 * The outcome label: OK, or the first error's code (the codes are one fixed list, kit/errors.ts).
 * Seen before the mask gives graphql-js's refusal of a variable's value its code: it is the
 * client's mistake (BAD_USER_INPUT), as the client is told, not an internal error.
 */
function outcomeOf(errors: readonly GraphQLError[] | undefined): string {
  if (!errors?.length) return 'OK';
  const first = errors[0]!;
  const code = first.extensions?.code;
  if (typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code)) return code;
  return first instanceof GraphQLError && isVariableValueError(first) ? 'BAD_USER_INPUT' : 'INTERNAL_SERVER_ERROR';
}

/**
 * Label sets of the GraphQL metrics (operation, type and outcome; each a counter and a histogram
 * of 16 series) past which a new one is counted as operation `other`. Names alone are not enough
 * of a bound: 500 names times their types and outcomes made 13 MB of /metrics, and a scrape took
 * 0.8 s. Those under `other` are bounded by the types and the codes.
 */
const MAX_OPERATION_SERIES = 400;
const knownSeries = new Set<string>();
function boundedSeries<L extends { operation: string; type: string; outcome: string }>(labels: L): L {
  const key = `${labels.operation}\u0000${labels.type}\u0000${labels.outcome}`;
  if (labels.operation === 'other' || knownSeries.has(key)) return labels;
  if (knownSeries.size >= MAX_OPERATION_SERIES) return { ...labels, operation: 'other' };
  knownSeries.add(key);
  return labels;
}

/** Whether a request's caller is signed out (no identity, or the anonymous one): its operation names have a budget of their own. */
export function signedOut(context: unknown): boolean {
  const identity = (context as { identity?: Identity } | undefined)?.identity;
  return !identity || !isAuthenticated(identity);
}

/** A yoga plugin: operations answered and their execution time, by operation, type and outcome. */
export function useGraphQLMetrics(service: string): Plugin {
  return {
    onValidate({ params }) {
      return ({ valid, result }) => {
        if (valid) return;
        // Not by its name: a document that does not validate names nothing that runs here, and
        // anyone can send one (a new name each time would use up the labels real operations need).
        // A limit's refusal (QUERY_TOO_COMPLEX) by its own code; graphql-js's rules have none.
        const limited = result.some((error) => error instanceof GraphQLError && error.extensions.code === ErrorCode.QUERY_TOO_COMPLEX);
        graphqlRequests.inc({ service, operation: '(invalid)', type: 'unknown', outcome: limited ? ErrorCode.QUERY_TOO_COMPLEX : 'GRAPHQL_VALIDATION_FAILED' });
      };
    },
    onExecute({ args }) {
      const started = performance.now();
      return {
        onExecuteDone({ result }) {
          if (isAsyncIterable(result)) return;
          const labels = boundedSeries({ service, ...operationOf(args.document, args.operationName, signedOut(args.contextValue)), outcome: outcomeOf(result.errors) });
          graphqlRequests.inc(labels);
          graphqlDuration.observe(labels, (performance.now() - started) / 1000);
        },
      };
    },
  };
}
