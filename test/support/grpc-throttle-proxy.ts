/**
 * A loopback gRPC proxy (h2c) in front of the real Temporal frontend that can answer chosen methods
 * with RESOURCE_EXHAUSTED, as Temporal Cloud does when a namespace hits its rate limits. Everything
 * else is forwarded as it is: headers, every data frame and the trailers, in both directions, so
 * unary calls and streams (long polls) behave as they do against Temporal itself.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

/** The gRPC status Temporal answers a throttled call with. */
export const GRPC_RESOURCE_EXHAUSTED = 8;

/** A method by its name alone (`StartWorkflowExecution`), or every method. */
export type ThrottledMethods = readonly string[] | 'all';

export interface ThrottleProxy {
  /** host:port, for TEMPORAL_ADDRESS. */
  address: string;
  /** Answers these methods RESOURCE_EXHAUSTED from now on; `[]` lets everything through again. */
  throttle: (methods: ThrottledMethods) => void;
  /** How many calls of a method the proxy refused, and how many it forwarded. */
  counts: (method: string) => { refused: number; forwarded: number };
  close: () => Promise<void>;
}

const HOP_HEADERS = new Set([':method', ':path', ':scheme', ':authority', 'connection', 'host']);

function methodName(path: string): string {
  return path.split('/').pop() ?? '';
}

function forwardableHeaders(headers: http2.IncomingHttpHeaders): http2.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_HEADERS.has(name)));
}

export async function grpcThrottleProxy(upstreamAddress: string): Promise<ThrottleProxy> {
  const upstream = http2.connect(`http://${upstreamAddress}`);
  upstream.on('error', () => undefined);
  let throttled: ThrottledMethods = [];
  const tally = new Map<string, { refused: number; forwarded: number }>();
  const count = (method: string) => tally.get(method) ?? tally.set(method, { refused: 0, forwarded: 0 }).get(method)!;
  const isThrottled = (method: string) => throttled === 'all' || throttled.includes(method);

  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const path = String(headers[':path']);
    const method = methodName(path);
    if (isThrottled(method)) {
      count(method).refused += 1;
      refuse(stream, method);
      return;
    }
    count(method).forwarded += 1;
    forward(upstream, stream, path, headers);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    throttle: (methods) => (throttled = methods),
    counts: (method) => ({ ...count(method) }),
    close: async () => {
      upstream.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A trailers-only answer: HTTP 200 with the gRPC status in the one header block, as a server sends it. */
function refuse(stream: http2.ServerHttp2Stream, method: string): void {
  stream.on('error', () => undefined);
  stream.respond(
    {
      ':status': 200,
      'content-type': 'application/grpc',
      'grpc-status': String(GRPC_RESOURCE_EXHAUSTED),
      'grpc-message': encodeURIComponent(`namespace rate limit exceeded (test proxy refused ${method})`),
    },
    { endStream: true },
  );
  // The request body is not needed; drain it so the client's stream closes cleanly.
  stream.resume();
}

function forward(
  upstream: http2.ClientHttp2Session,
  stream: http2.ServerHttp2Stream,
  path: string,
  headers: http2.IncomingHttpHeaders,
): void {
  const call = upstream.request({ ':method': 'POST', ':path': path, ...forwardableHeaders(headers) });
  let trailers: http2.OutgoingHttpHeaders = {};
  const cancel = () => {
    if (!call.closed) call.close(http2.constants.NGHTTP2_CANCEL);
    if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
  };
  call.on('response', (answer) => {
    if (stream.closed) return;
    // A trailers-only answer (an error) carries its grpc-status in this one header block.
    const trailersOnly = answer['grpc-status'] !== undefined;
    stream.respond(forwardableHeaders(answer), trailersOnly ? { endStream: true } : { waitForTrailers: true });
  });
  call.on('trailers', (received) => (trailers = forwardableHeaders(received)));
  stream.on('wantTrailers', () => stream.sendTrailers(trailers));
  call.on('data', (chunk: Buffer) => stream.write(chunk));
  call.on('end', () => {
    if (!stream.writableEnded) stream.end();
  });
  call.on('error', cancel);
  stream.on('error', cancel);
  stream.on('close', () => {
    if (!call.closed) call.close(http2.constants.NGHTTP2_CANCEL);
  });
  stream.pipe(call);
}
