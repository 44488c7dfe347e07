/**
 * The chaos run's SQS fault proxy: a loopback HTTP proxy in front of the run's SQS server that every
 * role uses as its SQS endpoint. It forwards every request and answer unchanged, except during a
 * planned window, when it loses the answers of one family of actions at a probability: it forwards
 * the request, waits for the server's whole answer (the server has applied the call), then resets
 * the client's connection instead of answering. That is what a network failure after SQS committed
 * looks like to the AWS SDK: a connection reset with no response, which it retries.
 *
 * Both SQS protocols are recognised: JSON (`X-Amz-Target: AmazonSQS.<Action>`, the SDK v3's) and
 * query (`Action=<Action>` in the form body or the URL).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Rng } from './plan';

/** The families of calls whose answers a window loses. */
export const SQS_ANSWER_FAMILIES = {
  send: ['SendMessage', 'SendMessageBatch'],
  receive: ['ReceiveMessage'],
  // Every call that settles a received message by its receipt handle.
  delete: ['DeleteMessage', 'DeleteMessageBatch', 'ChangeMessageVisibility', 'ChangeMessageVisibilityBatch'],
} as const;
export type SqsAnswerFamily = keyof typeof SQS_ANSWER_FAMILIES;

export interface LossWindowResult {
  family: SqsAnswerFamily;
  /** Calls of the family the window saw, and how many of their answers it lost, per action. */
  seen: Record<string, number>;
  lost: Record<string, number>;
}

interface LossWindow extends LossWindowResult {
  probability: number;
  maxLost: number;
}

const bump = (counts: Record<string, number>, action: string) => (counts[action] = (counts[action] ?? 0) + 1);
export const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);

/** The SQS action a request names, or '' if it names none. */
export function sqsAction(req: http.IncomingMessage, body: Buffer): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  const fromUrl = new URL(req.url ?? '/', 'http://proxy').searchParams.get('Action');
  if (fromUrl) return fromUrl;
  const contentType = String(req.headers['content-type'] ?? '');
  return contentType.includes('x-www-form-urlencoded')
    ? (new URLSearchParams(body.toString('utf8')).get('Action') ?? '')
    : '';
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export class SqsFaultProxy {
  private server?: http.Server;
  private readonly upstream: URL;
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly rng: Rng;
  private window?: LossWindow;
  /** Answers lost over the proxy's life, per family, for the run's report. */
  readonly lostTotals: Record<SqsAnswerFamily, number> = { send: 0, receive: 0, delete: 0 };

  constructor(
    upstream: string,
    private readonly port: number,
    seed: number,
  ) {
    this.upstream = new URL(upstream);
    this.rng = new Rng(seed);
  }

  get endpoint(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    if (!address) throw new Error('the SQS fault proxy is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.agent.destroy();
  }

  /** From now on, loses each answer of `family` with `probability` (at most `maxLost` of them), until `endLoss`. */
  loseAnswers(family: SqsAnswerFamily, probability: number, maxLost = Infinity): void {
    if (probability < 0 || probability > 1) throw new Error(`a loss probability is in [0, 1], got ${probability}`);
    this.window = { family, probability, maxLost, seen: {}, lost: {} };
  }

  /** What the open window saw and lost so far. */
  peekLoss(): LossWindowResult | undefined {
    const window = this.window;
    return window && { family: window.family, seen: { ...window.seen }, lost: { ...window.lost } };
  }

  endLoss(): LossWindowResult | undefined {
    const window = this.window;
    this.window = undefined;
    return window && { family: window.family, seen: window.seen, lost: window.lost };
  }

  /** Whether the answer to `action` is to be lost, counting it in the open window. */
  private loses(action: string): boolean {
    const window = this.window;
    if (!window || !(SQS_ANSWER_FAMILIES[window.family] as readonly string[]).includes(action)) return false;
    bump(window.seen, action);
    if (total(window.lost) >= window.maxLost || this.rng.float() >= window.probability) return false;
    bump(window.lost, action);
    this.lostTotals[window.family] += 1;
    return true;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const body = await readAll(req);
      const lose = this.loses(sqsAction(req, body));
      const answer = await this.forward(req, body);
      const answerBody = await readAll(answer);
      // The server has applied the call and answered; the client hears a reset connection.
      if (lose) return void req.socket.resetAndDestroy();
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
      res.end(answerBody);
    } catch {
      // The server is unreachable or reset us: the client sees the same.
      req.socket.destroy();
    }
  }

  private forward(req: http.IncomingMessage, body: Buffer): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const forwarded = http.request(
        {
          host: this.upstream.hostname,
          port: this.upstream.port,
          path: req.url,
          method: req.method,
          headers: req.rawHeaders,
          agent: this.agent,
        },
        resolve,
      );
      forwarded.on('error', reject);
      forwarded.end(body);
    });
  }
}
