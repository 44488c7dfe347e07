/** Starts the marketplace simulator on a port (0 picks a free one, handy for tests of its own). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Simulator } from './simulator';

export interface RunningSimulator {
  /** `http://<host>:<port>`; each marketplace is under `<url>/<marketplace>`. */
  url: string;
  close(): Promise<void>;
}

export async function startSimulator({
  port,
  host = '127.0.0.1',
  seed,
}: {
  port: number;
  host?: string;
  seed?: number;
}): Promise<RunningSimulator> {
  const simulator = new Simulator({ seed });
  const server = createServer((req, res) => void simulator.serve(req, res));
  // A request socket that errors (a client hanging up mid-body) must not take the process down.
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: actualPort } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${actualPort}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        simulator.stop();
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive connections of clients (undici pools) would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}
