import { Agent, request } from 'node:http';
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
