// What a process started by the launcher (scripts/start.ts, over an IPC channel) tells it.

/** A worker's (or the gateway's) /metrics listens here (METRICS_PORT is any free port unless set, so launchers never collide). */
export interface MetricsPortMessage {
  type: 'metrics-port';
  port: number;
}

/** Tells the launcher, if one started this process, where its /metrics listens; nothing otherwise. */
export function announceMetricsPort(port: number): void {
  // A launcher that is gone (its channel closed) is not an error here: the callback takes it.
  if (process.connected) process.send?.({ type: 'metrics-port', port } satisfies MetricsPortMessage, undefined, undefined, () => {});
}

export function isMetricsPortMessage(message: unknown): message is MetricsPortMessage {
  const candidate = message as Partial<MetricsPortMessage> | null;
  return typeof candidate === 'object' && candidate !== null && candidate.type === 'metrics-port' && Number.isInteger(candidate.port);
}
