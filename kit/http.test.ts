import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, listen } from './http.ts';

const agent = new Agent({ keepAlive: true });
afterEach(() => agent.destroy());

function get(port: number, headers?: (connection: string | undefined) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, agent }, (response) => {
      headers?.(response.headers.connection);
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

describe('closeServer', () => {
  it('lets a request under way finish, and closes once it has, its pooled connection included', async () => {
    const { server, port } = await listen((_, response) => void setTimeout(() => response.end('answered'), 300), 0, '127.0.0.1');
    let before: string | undefined;
    let last: string | undefined;
    await get(port, (connection) => (before = connection)); // leaves a pooled connection open, idle
    const answer = get(port, (connection) => (last = connection));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const startedAt = Date.now();
    await closeServer(server, 5_000);
    expect(await answer).toBe('answered');
    // Its client is told not to send another request on that connection, which is about to close.
    expect([before, last]).toEqual(['keep-alive', 'close']);
    // Closed when the answer was sent, not at the end of the grace.
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });

  it('cuts off a request still under way when the grace ends', async () => {
    const { server, port } = await listen(() => {}, 0, '127.0.0.1'); // never answers
    const answer = get(port).catch((error: Error) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await closeServer(server, 200);
    expect(await answer).toBeInstanceOf(Error);
  });
});

/** Sends `raw` on a connection of its own and reads everything the server sends until it closes it. */
function sendRaw(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    let received = '';
    socket.on('data', (chunk) => (received += chunk));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

/** The status and JSON body of each answer in `received`, in order. */
function answersIn(received: string): { status: number; body: string }[] {
  return [...received.matchAll(/HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n/g)].map((match) => {
    const length = Number(/content-length: (\d+)/i.exec(match[2]!)?.[1] ?? 0);
    const start = match.index! + match[0].length;
    return { status: Number(match[1]), body: received.slice(start, start + length) };
  });
}

describe('a request Node cannot read as HTTP', () => {
  const json = 'POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n';

  it('is answered as other refusals are, JSON with a code, where Node sent a bare status line', async () => {
    const { server, port } = await listen((_, response) => response.end('served'), 0, '127.0.0.1');
    try {
      for (const length of ['abc', '-1', '1e2']) {
        const [answer, ...more] = answersIn(await sendRaw(port, `${json}content-length: ${length}\r\n\r\n{}`));
        expect(answer!.status, length).toBe(400);
        expect(JSON.parse(answer!.body).errors[0].extensions, length).toEqual({ code: 'BAD_REQUEST' });
        expect(more, length).toEqual([]);
      }
      const both = answersIn(await sendRaw(port, `${json}content-length: 2\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`));
      expect(both.map((answer) => answer.status)).toEqual([400]);
      const headers = answersIn(await sendRaw(port, `GET / HTTP/1.1\r\nhost: x\r\nx-padding: ${'x'.repeat(20_000)}\r\n\r\n`));
      expect(headers.map((answer) => [answer.status, JSON.parse(answer.body).errors[0].extensions.code])).toEqual([[431, 'REQUEST_TOO_LARGE']]);
    } finally {
      await closeServer(server, 100);
    }
  });

  it('after a request that came whole before it, answers that one first, then refuses what followed', async () => {
    // The Content-Length ends the first body early: the rest is read as a request that is not HTTP.
    const { server, port } = await listen((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => void setTimeout(() => response.end(`served ${body}`), 100));
    }, 0, '127.0.0.1');
    try {
      const received = await sendRaw(port, `${json}content-length: 2\r\n\r\n{}{"query": "{ __typename }"}`);
      const answers = answersIn(received);
      expect(answers.map((answer) => answer.status)).toEqual([200, 400]);
      expect(answers[0]!.body).toBe('served {}');
      expect(JSON.parse(answers[1]!.body).errors[0].extensions.code).toBe('BAD_REQUEST');
    } finally {
      await closeServer(server, 100);
    }
  });
});

describe('a CONNECT request', () => {
  it('as to a proxy, is refused with 405 and a code, not dropped, and reaches no handler', async () => {
    let handled = 0;
    const { server, port } = await listen((_, response) => (handled++, response.end('served')), 0, '127.0.0.1');
    try {
      const received = await sendRaw(port, 'CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n');
      const [answer, ...more] = answersIn(received);
      expect(answer!.status).toBe(405);
      expect(received).toMatch(/\r\nallow: GET, POST\r\n/i);
      expect(JSON.parse(answer!.body).errors[0].extensions).toEqual({ code: 'BAD_REQUEST' });
      expect(more).toEqual([]);
      expect(handled).toBe(0);
    } finally {
      await closeServer(server, 100);
    }
  });

  it("does not hold its server's close while its client keeps the connection open", async () => {
    const { server, port } = await listen((_, response) => response.end('served'), 0, '127.0.0.1');
    // A client that reads the refusal and keeps its side open: the server would wait for it.
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => socket.write('CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n'));
    socket.on('error', () => {});
    let received = '';
    socket.on('data', (chunk) => (received += chunk));
    await new Promise<void>((resolve) => socket.once('end', resolve));
    expect(received).toMatch(/^HTTP\/1.1 405 /);
    const startedAt = Date.now();
    await closeServer(server, 100);
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    socket.destroy();
  });

  it('when its server closes behind a request sent before it, still answers that one, and the close waits only for it', async () => {
    const { server, port } = await listen((_, response) => void setTimeout(() => response.end('served'), 400), 0, '127.0.0.1');
    const sent = sendRaw(port, 'GET / HTTP/1.1\r\nhost: x\r\n\r\nCONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const startedAt = Date.now();
    await closeServer(server, 2_000);
    const received = await sent;
    // The answer under way is sent whole, saying the connection closes after it: the client knows
    // that what it sent next was not taken, as for any request pipelined behind a stop.
    expect(answersIn(received)).toEqual([{ status: 200, body: 'served' }]);
    expect(received).toMatch(/\r\nconnection: close\r\n/i);
    expect(Date.now() - startedAt).toBeLessThan(1_500);
  });

  it('after a request that came whole before it, answers that one first, then refuses the CONNECT', async () => {
    const { server, port } = await listen((_, response) => void setTimeout(() => response.end('served'), 100), 0, '127.0.0.1');
    try {
      const received = await sendRaw(port, 'GET / HTTP/1.1\r\nhost: x\r\n\r\nCONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n');
      const answers = answersIn(received);
      expect(answers.map((answer) => answer.status)).toEqual([200, 405]);
      expect(answers[0]!.body).toBe('served');
    } finally {
      await closeServer(server, 100);
    }
  });
});
