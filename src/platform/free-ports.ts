/**
 * Ports handed out by the kernel, for a server that is told its port rather than binding port 0
 * itself (the Temporal SDK's metrics endpoint, a role a benchmark starts, a test's own redis-server).
 * A port the kernel just handed out is free now, on any machine; a fixed one in the ephemeral range
 * (32768-60999 on Linux) can be held at any moment by an outgoing connection. The server binds it a
 * moment later, so it can still lose the port to someone else: it must fail loudly if it does.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';

/**
 * `count` distinct ports where nothing listens now, on any address (all held at once while they are
 * chosen, so they differ).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, listenAnywhere));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

/** One port where nothing listens now. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

function listenAnywhere(): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, () => resolve(server));
  });
}
