import { connect, createServer, type Socket } from 'node:net';

/** The database through a TCP proxy that can be made to hang: connections stay open, nothing is answered. */
export async function hangableProxyTo(uri: string) {
  const target = new URL(uri);
  const sockets = new Set<Socket>();
  let hung = false;
  const server = createServer((socket) => {
    socket.on('error', () => {});
    sockets.add(socket);
    if (hung) return;
    const upstream = connect(Number(target.port), target.hostname);
    upstream.on('error', () => socket.destroy());
    sockets.add(upstream);
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(uri);
  proxied.host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    uri: proxied.toString(),
    hang() {
      hung = true;
      for (const socket of sockets) socket.unpipe(), socket.pause();
    },
    close() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}
