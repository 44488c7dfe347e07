/**
 * Local ports for a test's own servers, handed out by the kernel. A fixed port in the ephemeral
 * range (32768-60999 on Linux) can be taken at any moment by an outgoing connection of the stack or
 * of another test, and then the server the test starts there cannot bind (a fresh-clone CI lost a
 * test's redis replica that way); a port the kernel just handed out is free now, on any machine.
 */
import { createServer, type Server } from 'node:net';

/** `count` distinct ports where nothing listens now (all held at once while they are chosen). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, listenAnywhere));
  const ports = servers.map(portOf);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

/** A port where nothing listens, for a test that needs a server that is down. */
export async function closedPort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

async function listenAnywhere(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server;
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`not a TCP address: ${String(address)}`);
  return address.port;
}
