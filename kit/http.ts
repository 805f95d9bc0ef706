import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export class PortInUseError extends Error {
  override name = 'PortInUseError';
}

/** The answers each server started by `listen` has under way, to be told, when it closes, that they are their connection's last. */
const underWay = new WeakMap<Server, Set<ServerResponse>>();

/** Listens and resolves with the bound port (useful with port 0), or fails with a message that says what to do. */
export function listen(handler: RequestListener, port: number, host: string, portVarName = 'PORT'): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  const answers = new Set<ServerResponse>();
  underWay.set(server, answers);
  server.prependListener('request', (_, response) => {
    // A request that comes on a pooled connection after the server stopped listening is that connection's last.
    if (!server.listening) response.shouldKeepAlive = false;
    answers.add(response);
    response.once('close', () => answers.delete(response));
  });
  // The peer's address, read while the connection is up (Node keeps it once read): a client that
  // resets its connection right after sending would otherwise have none by the time its request is
  // rate-limited, and fall into another caller's key.
  server.on('connection', (socket) => void socket.remoteAddress);
  // Subgraph and gateway connections are pooled; keep them open longer than clients' idle timeouts.
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(new PortInUseError(`Port ${port} is already in use. Stop whatever is using it, or set ${portVarName} to a free port.`));
      } else reject(error);
    });
    server.listen(port, host, () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

/**
 * Stops taking connections and lets the requests under way finish, for up to `graceMs`, before
 * cutting off what is left. Closing them at once left their handlers running on against a
 * database client closed right after ("Cannot use a session that has ended"), and their callers
 * without an answer. A pooled connection stays open once its answer is sent, so idle ones are
 * closed as they become idle. The launcher kills a process 5 s after asking it to stop; the
 * default leaves time for the rest of a service's shutdown.
 */
export function closeServer(server: Server, graceMs = 2_000): Promise<void> {
  // Answers still to be sent say `Connection: close`: their clients then open a new connection for
  // their next request, which is refused (not sent, safe to retry), instead of sending it on this
  // one just as it is closed (sent or not, nobody knows).
  for (const response of underWay.get(server) ?? []) if (!response.headersSent) response.shouldKeepAlive = false;
  return new Promise((resolve) => {
    const idle = setInterval(() => server.closeIdleConnections(), 20);
    const cutOff = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(cutOff);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Answers with `body` as JSON, never cached. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}
