import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export class PortInUseError extends Error {
  override name = 'PortInUseError';
}

/** Listens and resolves with the bound port (useful with port 0), or fails with a message that says what to do. */
export function listen(handler: RequestListener, port: number, host: string, portVarName = 'PORT'): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
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

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Answers with `body` as JSON, never cached. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}
