import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type SpanOptions } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Plugin } from 'graphql-yoga';
import { operationOf, signedOut } from './metrics.ts';
import { onMongoCommand, type CommandHook } from './mongo-command-hooks.ts';

/**
 * Traces (OpenTelemetry). Off unless OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is
 * set, and then configured by the standard OTEL_* variables (service name, sampler, batch
 * sizes, headers). While off, nothing here creates a span or touches a request: the plugins
 * are not installed and the helpers return at once, so a run without tracing pays nothing.
 *
 * What a trace holds: the gateway's request span, Apollo Gateway's own plan/execute/fetch
 * spans, a client span per subgraph fetch with `traceparent` sent along, each subgraph's
 * request and execution spans, and its MongoDB commands. Queue elements and outbox messages
 * carry the W3C trace context, so the work a request started (an order's whole journey)
 * continues the same trace in every worker and service it reaches.
 */
let enabled = false;
let provider: NodeTracerProvider | undefined;

export const tracingEnabled = () => enabled;

/** `traceparent`/`tracestate`, as stored in queue elements and outbox messages. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

/** At start-up: exports spans over OTLP/HTTP when an endpoint is configured; otherwise does nothing. */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): { shutdown(): Promise<void> } | undefined {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return undefined;
  install(new BatchSpanProcessor(new OTLPTraceExporter()), env.OTEL_SERVICE_NAME || serviceName);
  return { shutdown: () => provider!.shutdown() };
}

/** Tests: every finished span kept in memory, exported as soon as it ends. */
export function startInMemoryTracing(serviceName = 'test'): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  install(new SimpleSpanProcessor(exporter), serviceName);
  return exporter;
}

function install(processor: BatchSpanProcessor | SimpleSpanProcessor, serviceName: string) {
  provider = new NodeTracerProvider({ resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }), spanProcessors: [processor] });
  // Registers the W3C trace-context propagator and the AsyncLocalStorage context manager too.
  provider.register();
  enabled = true;
}

/** The active trace context, to store with work that continues elsewhere; undefined while tracing is off. */
export function captureTrace(): TraceCarrier | undefined {
  if (!enabled) return undefined;
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** The trace id of the active span, for records a person looks up later (an order's history). */
export function currentTraceId(): string | undefined {
  if (!enabled) return undefined;
  return trace.getSpan(context.active())?.spanContext().traceId;
}

/** Adds `traceparent` (and `tracestate`) of the active span to outgoing headers. */
export function injectTrace(headers: Record<string, string>): void {
  if (enabled) propagation.inject(context.active(), headers);
}

/**
 * Runs `work` in a span that continues the stored trace (or the active one when none was
 * stored); while tracing is off, just runs it.
 */
export async function inSpan<T>(
  tracerName: string,
  name: string,
  options: SpanOptions & { parent?: TraceCarrier | null },
  work: (span?: Span) => Promise<T>,
): Promise<T> {
  if (!enabled) return work();
  const parent = options.parent?.traceparent ? propagation.extract(ROOT_CONTEXT, options.parent) : context.active();
  return trace.getTracer(tracerName).startActiveSpan(name, options, parent, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * A yoga plugin: a server span per HTTP request, continuing the caller's `traceparent`
 * (the gateway's fetch, or a client's), named after the operation once it is known, and an
 * execution span for the resolvers. Install it only while tracing is on.
 */
export function useTracing(service: string): Plugin {
  const tracer = trace.getTracer(service);
  const executing = new WeakMap<object, { request?: Span; span: Span }>();
  return {
    // Named once the operation is known (its document is parsed by then).
    onExecute({ args }) {
      const spans = executing.get(args.contextValue as object);
      if (!spans) return;
      const { operation, type } = operationOf(args.document, args.operationName, signedOut(args.contextValue));
      spans.request?.updateName(`graphql ${operation}`);
      spans.span.updateName(`resolve ${operation}`);
      spans.span.setAttributes({ 'graphql.operation.name': operation, 'graphql.operation.type': type });
    },
    instrumentation: {
      request: async ({ request }, wrapped) => {
        const headers: Record<string, string> = {};
        request.headers.forEach((value, key) => (headers[key] = value));
        const parent = propagation.extract(ROOT_CONTEXT, headers);
        const span = tracer.startSpan(`${request.method} /graphql`, { kind: SpanKind.SERVER, attributes: { service, 'http.request.method': request.method } }, parent);
        try {
          await context.with(trace.setSpan(parent, span), wrapped);
        } finally {
          span.end();
        }
      },
      execute: ({ context: graphqlContext }, wrapped) => {
        const request = trace.getActiveSpan();
        const span = tracer.startSpan('resolve', { attributes: { service } });
        executing.set(graphqlContext, { request, span });
        const result = context.with(trace.setSpan(context.active(), span), wrapped);
        if (result instanceof Promise) return result.finally(() => span.end());
        span.end();
        return result;
      },
    },
  };
}

/**
 * A client span per MongoDB command issued inside a traced operation (background polling,
 * which belongs to no trace, is left out), for every client in the process
 * (kit/mongo-command-hooks.ts). Called after tracing started (kit/service.ts starts it first);
 * while tracing is off, nothing is added to any command.
 */
export function traceMongoCommands(): void {
  if (enabled) onMongoCommand(traceCommand);
}
const traceCommand: CommandHook = ({ database, name }) => {
  if (!trace.getSpan(context.active())) return undefined;
  const span = trace.getTracer('mongodb').startSpan(`mongodb ${name}`, {
    kind: SpanKind.CLIENT,
    attributes: { 'db.system': 'mongodb', 'db.namespace': database, 'db.operation.name': name },
  });
  return ({ error }) => {
    if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    span.end();
  };
};
