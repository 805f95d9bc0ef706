import { createServer, STATUS_CODES, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo, Socket } from 'node:net';

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
  server.on('clientError', answerUnparsable);
  server.on('connect', refuseTunnel);
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

/** Sockets already told that their request could not be read: the parser reports every later chunk too. */
const toldUnparsable = new WeakSet<Socket>();
/** How long a client told that its request is refused (it could not be read, or asked for a tunnel) may go on sending before it is cut off. */
const REFUSED_DRAIN_MS = 5_000;
/** How long the answer to a request before it on the connection may take before the connection is cut off unanswered. */
const REFUSED_WAIT_MS = 60_000;

/**
 * Answers a request Node cannot read as HTTP (a Content-Length that is not a number, or with
 * chunked encoding too; headers past Node's limit; a request that did not arrive in time) as every
 * other refusal is answered: JSON with an `extensions.code`, where Node would send a bare status
 * line. An answer still under way on the connection (the request before, whose Content-Length
 * ended short of the bytes that followed it) is sent first, so neither is lost.
 */
function answerUnparsable(error: Error & { code?: string }, socket: Socket): void {
  if (toldUnparsable.has(socket)) return;
  toldUnparsable.add(socket);
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, message, code] = unparsableAnswer(error.code);
  answerLast(socket, `${status} ${reason}`, message, code);
}

/**
 * A CONNECT (a client that takes this server for a proxy) is answered as GraphQL servers answer
 * any method they do not take, 405 with JSON and an `extensions.code`; without a listener Node
 * closes the connection with no answer at all. Nothing is tunnelled anywhere.
 */
function refuseTunnel(request: IncomingMessage, socket: Duplex): void {
  refuseOnSocket(socket, 405, `${request.method} is not served here: GraphQL takes GET and POST requests.`, 'BAD_REQUEST', ['allow: GET, POST']);
}

/**
 * Refuses a request that Node handed over as a bare connection (a CONNECT, an upgrade) with JSON
 * and an `extensions.code`, as every other refusal is answered, and closes the connection. A HEAD
 * request's refusal has no body.
 */
export function refuseOnSocket(socket: Duplex, status: number, message: string, code: string, headers: string[] = [], method?: string): void {
  socket.on('error', () => socket.destroy());
  answerLast(socket as Socket, `${status} ${STATUS_CODES[status]}`, message, code, headers, method === 'HEAD');
}

/**
 * Writes a refusal (JSON with an `extensions.code`) straight to the connection, as its last
 * answer: after any answer still under way on it (a request pipelined before, whose answer
 * would otherwise be lost), then closes it; a client still sending is cut off after a while.
 */
function answerLast(socket: Socket, status: string, message: string, code: string, headers: string[] = [], bodyless = false): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  const head = [`HTTP/1.1 ${status}`, ...headers, 'content-type: application/json', 'cache-control: no-store', `content-length: ${Buffer.byteLength(body)}`, 'connection: close'];
  const answer = `${head.join('\r\n')}\r\n\r\n${bodyless ? '' : body}`;
  const unanswered = setTimeout(() => socket.destroy(), REFUSED_WAIT_MS).unref();
  socket.once('close', () => refusedDraining.delete(socket));
  afterAnswersOnConnection(socket, () => {
    clearTimeout(unanswered);
    if (!socket.writable) {
      socket.destroy();
    } else if (serversClosing > 0) {
      // Nobody waits for what the client still sends while this process stops.
      socket.end(answer, () => socket.destroy());
    } else {
      socket.end(answer);
      refusedDraining.add(socket);
      setTimeout(() => socket.destroy(), REFUSED_DRAIN_MS).unref();
    }
  });
}

/**
 * Runs `then` once the connection has no answer under way, for a connection whose next request
 * is answered outside Node's HTTP server (a refusal written on it, an upgrade): until then, an
 * error on it (a reset) closes it, where on a connection Node has handed over it would be thrown
 * and end the process, and a closing server cuts it off when its grace ends, as it does its own.
 * Not run for a connection closed meanwhile.
 */
export function afterAnswersOnConnection(socket: Socket, then: () => void): void {
  const closeOnError = () => socket.destroy();
  socket.on('error', closeOnError);
  waitingForAnswers.add(socket);
  const forget = () => waitingForAnswers.delete(socket);
  socket.once('close', forget);
  afterAnswersUnderWay(socket, () => {
    forget();
    socket.off('close', forget);
    socket.off('error', closeOnError);
    if (!socket.destroyed) then();
  });
}

/**
 * Connections refused and answered, draining what their client still sends; and connections whose
 * next request waits for an answer under way (`afterAnswersOnConnection`). A server's close waits
 * for every connection, and Node's `closeAllConnections` does not reach one it has handed over (a
 * CONNECT, an upgrade): such a connection held a stop for as long as its client kept it open, or
 * the answer before it went on (a subscription over server-sent events). A closing server cuts off
 * the draining ones at once, and those still waiting when its grace ends (those of any server of
 * this process: a process closes its server when it stops).
 */
const refusedDraining = new Set<Socket>();
const waitingForAnswers = new Set<Socket>();
/** Servers of this process closing now: a refusal written meanwhile closes its connection once sent. */
let serversClosing = 0;

function unparsableAnswer(code: string | undefined): [number, string, string, string] {
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'Request Header Fields Too Large', 'The request\'s headers are larger than this server reads.', 'REQUEST_TOO_LARGE'];
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return [413, 'Payload Too Large', 'The request\'s chunk extensions are larger than this server reads.', 'REQUEST_TOO_LARGE'];
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'Request Timeout', 'The request did not arrive in full in time.', 'REQUEST_TIMEOUT'];
  return [400, 'Bad Request', 'The request is not valid HTTP/1.1 (its Content-Length or Transfer-Encoding, or its request line or headers, cannot be read).', 'BAD_REQUEST'];
}

/** Runs `then` once the connection has no answer under way (Node answers pipelined requests one at a time, in order). */
function afterAnswersUnderWay(socket: Socket, then: () => void): void {
  const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!current || current.writableFinished || current.destroyed) return then();
  const next = () => setImmediate(() => afterAnswersUnderWay(socket, then));
  current.once('finish', next);
  current.once('close', () => (current.writableFinished ? undefined : socket.destroy()));
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
    serversClosing++;
    for (const socket of refusedDraining) socket.destroy();
    const cutOff = setTimeout(() => {
      server.closeAllConnections();
      for (const socket of waitingForAnswers) socket.destroy();
    }, graceMs);
    server.close(() => {
      serversClosing--;
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
