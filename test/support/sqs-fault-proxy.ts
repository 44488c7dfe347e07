/**
 * A loopback HTTP proxy in front of the real SQS server that intercepts requests for chosen SQS
 * actions: `holdActions` never answers them, as a network that dies mid-send would; `failActions`
 * answers them with SQS's 500 InternalError (while `failing()` is true), as an SQS outage would.
 * Everything else passes through.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultProxy {
  endpoint: string;
  held: () => number;
  close: () => Promise<void>;
}

export interface FailingProxy {
  endpoint: string;
  /** Requests answered with an error so far. */
  failed: () => number;
  /** While false, intercepted actions pass through like the others. */
  setFailing: (failing: boolean) => void;
  close: () => Promise<void>;
}

type Intercept = (action: string, res: http.ServerResponse) => boolean;

async function sqsProxy(upstream: string, intercept: Intercept): Promise<{ endpoint: string; server: http.Server }> {
  const target = new URL(upstream);
  const server = http.createServer((req, res) => {
    const action =
      String(req.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() ?? '';
    if (intercept(action, res)) return;
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
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function closeProxy(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export async function holdActions(upstream: string, actions: string[]): Promise<FaultProxy> {
  const heldRequests: http.ServerResponse[] = [];
  const { endpoint, server } = await sqsProxy(upstream, (action, res) => {
    if (!actions.includes(action)) return false;
    heldRequests.push(res);
    return true;
  });
  return {
    endpoint,
    held: () => heldRequests.length,
    close: async () => {
      for (const res of heldRequests) res.destroy();
      await closeProxy(server);
    },
  };
}

export async function failActions(upstream: string, actions: string[]): Promise<FailingProxy> {
  let failing = true;
  let failed = 0;
  const { endpoint, server } = await sqsProxy(upstream, (action, res) => {
    if (!failing || !actions.includes(action)) return false;
    failed += 1;
    res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#InternalError', message: 'injected by the test proxy' }));
    return true;
  });
  return {
    endpoint,
    failed: () => failed,
    setFailing: (value) => (failing = value),
    close: () => closeProxy(server),
  };
}
