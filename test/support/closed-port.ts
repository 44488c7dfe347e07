/** A local port where nothing listens, for a test that needs a server that is down. */
import { createServer } from 'node:net';

/**
 * A port the kernel just handed out and took back: nothing listens there now, and the kernel hands
 * ports out at random, so unlike a fixed one it is not another process's server on a shared machine.
 */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error(`not a TCP address: ${String(address)}`);
  return address.port;
}
