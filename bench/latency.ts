/**
 * A TCP proxy that forwards everything a fixed delay after it arrived, in
 * each direction: the bench's stand-in for a database server across a
 * network, where a round trip costs twice the delay whatever the machine is
 * doing. Both tm and psql talk to the server through it, so they pay the
 * same for each round trip they take.
 */
import net from 'node:net';

export interface DelayProxy {
  /** The database URL, with the proxy's host and port. */
  url: string;
  close(): void;
}

export async function startDelayProxy(databaseUrl: string, delayMs: number): Promise<DelayProxy> {
  const target = new URL(databaseUrl);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const server = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, server]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('error', () => {
        client.destroy();
        server.destroy();
      });
      socket.on('close', () => sockets.delete(socket));
    }
    forwardLater(client, server, delayMs);
    forwardLater(server, client, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/** Timers of one duration fire in the order they were set: chunks arrive in order. */
function forwardLater(from: net.Socket, to: net.Socket, delayMs: number): void {
  from.on('data', (chunk) => setTimeout(() => to.destroyed || to.write(chunk), delayMs));
  from.on('end', () => setTimeout(() => to.end(), delayMs));
}
