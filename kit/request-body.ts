import type { IncomingMessage, RequestListener } from 'node:http';
import { ErrorCode } from './errors.ts';

/**
 * The bodies a GraphQL request may come in over HTTP POST. Not `application/graphql-response+json`:
 * that is an answer's type (sent in `Accept`), which yoga refused with an empty 415.
 */
const JSON_TYPES = new Set(['application/json', 'application/graphql+json']);

/**
 * How large a body a subgraph takes: graphql-yoga's own default. Its callers are the gateway and
 * the services; the largest body they send is a batch of entity references (`_entities`).
 */
export const SUBGRAPH_MAX_BODY_BYTES = 25_000_000;

/** How long a refused request's body is read and thrown away before its connection is cut (see `discardBody`). */
const DISCARD_MS = 5_000;

/**
 * Reads what the client still sends of a refused request's body, and throws it away, for up to
 * DISCARD_MS; then cuts the connection. Closing it at once, while the body was still arriving,
 * made the kernel reset it, and the reset often reached the client before the answer it had been
 * sent: a service posting 26 MB to a subgraph saw "fetch failed" a third of the time, never the
 * 413. Nothing is kept, and a client that sends on and on is cut off all the same.
 */
function discardBody(req: IncomingMessage): void {
  if (req.complete) return;
  const cutOff = setTimeout(() => req.socket.destroy(), DISCARD_MS);
  cutOff.unref();
  req.once('end', () => clearTimeout(cutOff));
  req.once('close', () => clearTimeout(cutOff));
  req.resume();
}

/**
 * Refuses a body larger than the limit before it is read: by its Content-Length, and a body
 * without one (chunked) with 411, so no request can make a server buffer more than the limit.
 * Node's HTTP parser hands on exactly the bytes a Content-Length announces, so nothing needs to
 * count them as they are read: graphql-yoga's own limit (`maxRequestBodySize`) pipes every body
 * through a counting stream, and the stream's setup and teardown (an AbortController and its
 * DOMException per request) were 3-6% of each subgraph's CPU (docs/benchmarks.md, "2026-12-05
 * (2)"); the servers that put this in front turn it off. A body that is not JSON (text, or no
 * type: what `fetch` sends when the header is forgotten; a form) is refused with 415 and an error
 * that says what to send, where yoga would answer with no body.
 */
export function limitBodySize(handler: RequestListener, maxBytes: number): RequestListener {
  return (req, res) => {
    const refuse = (status: number, message: string, extensions: Record<string, unknown>) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message, extensions }] }));
      discardBody(req);
    };
    if (req.method === 'POST') {
      const tooLarge = { code: ErrorCode.REQUEST_TOO_LARGE, limit: 'body', maxBytes };
      const length = req.headers['content-length'];
      if (length === undefined && req.headers['transfer-encoding']) return refuse(411, `Send a Content-Length header; bodies are limited to ${maxBytes} bytes.`, tooLarge);
      // Node's parser refuses a malformed one; checked here too, since nothing counts the bytes after this.
      if (length !== undefined && !/^\d+$/.test(length)) return refuse(400, 'The Content-Length header is not a number of bytes.', { code: 'BAD_REQUEST' });
      if (Number(length) > maxBytes) return refuse(413, `The request body is larger than ${maxBytes} bytes.`, tooLarge);
      // JSON only: a form (urlencoded or multipart) or text is what another site's page can post
      // without asking first; media types are case-insensitive, so yoga is handed the type in lower case.
      const [type = '', ...parameters] = (req.headers['content-type'] ?? '').split(';');
      const media = type.trim().toLowerCase();
      if (!JSON_TYPES.has(media)) {
        return refuse(415, 'Send the request as JSON, with `Content-Type: application/json` and a body of `{"query": ..., "variables": ...}`.', { code: 'BAD_REQUEST' });
      }
      // The body is read as UTF-8 whatever the header says: another charset would be read as something else than was sent.
      const charsets = parameters.flatMap((parameter) => {
        const [name = '', ...value] = parameter.split('=');
        return name.trim().toLowerCase() === 'charset' ? [value.join('=').trim().replace(/^"([^"]*)"$/, '$1')] : [];
      });
      const other = charsets.find((charset) => !['utf-8', 'utf8'].includes(charset.toLowerCase()));
      if (other !== undefined) {
        return refuse(415, `Send the request body as UTF-8 (\`Content-Type: application/json\`, or \`; charset=utf-8\`), not ${JSON.stringify(other.slice(0, 40))}.`, { code: 'BAD_REQUEST' });
      }
      req.headers['content-type'] = [media, ...parameters].join(';');
    }
    handler(req, res);
  };
}
