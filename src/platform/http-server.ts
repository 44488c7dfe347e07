/** Starting and stopping the roles' HTTP servers (health, admin) the same way. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FatalError } from './main';

/**
 * Starts `server` on `port` (0: any free one) and returns the port it got. A port already taken is
 * an operator's problem, so it fails with one line naming the variable that chose it.
 */
export function listen(server: Server, port: number, variable: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const refuse = (error: NodeJS.ErrnoException) =>
      reject(new FatalError(`cannot listen on ${variable}=${port}: ${error.code ?? error.message}`));
    server.once('error', refuse);
    server.listen(port, () => {
      server.off('error', refuse);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting, then drops open connections: idle keep-alive ones would hold the process open. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
