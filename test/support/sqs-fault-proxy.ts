/**
 * A loopback HTTP proxy in front of the real SQS server that holds every request for chosen SQS
 * actions without answering, as a network that dies mid-send would. Everything else passes through.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultProxy {
  endpoint: string;
  held: () => number;
  close: () => Promise<void>;
}

export async function holdActions(upstream: string, actions: string[]): Promise<FaultProxy> {
  const target = new URL(upstream);
  const heldRequests: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const action =
      String(req.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() ?? '';
    if (actions.includes(action)) {
      heldRequests.push(res);
      return;
    }
    const forward = http.request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => heldRequests.length,
    close: async () => {
      for (const res of heldRequests) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
