/**
 * The age of a queue's oldest message, which AWS publishes as `AWS/SQS ApproximateAgeOfOldestMessage`
 * but no SQS API returns. Locally, fauxqs lets us read it without receiving anything (its inspection
 * endpoint, `GET /_fauxqs/queues/<name>`, never changes visibility or receive counts); a server
 * without that endpoint (ElasticMQ) gives no figure rather than a guess.
 */
interface InspectedMessage {
  sentTimestamp: number;
}

interface Inspection {
  messages: { ready: InspectedMessage[]; delayed: InspectedMessage[]; inflight: { message: InspectedMessage }[] };
}

/** Seconds since the oldest message still in the queue (waiting, delayed or in flight) was sent; 0 when empty. */
export async function oldestMessageAgeSeconds(
  sqsEndpoint: string,
  queueName: string,
  now: Date,
): Promise<number | undefined> {
  const response = await fetch(new URL(`/_fauxqs/queues/${encodeURIComponent(queueName)}`, sqsEndpoint), {
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) return undefined;
  const { messages } = (await response.json()) as Inspection;
  const sent = [...messages.ready, ...messages.delayed, ...messages.inflight.map((entry) => entry.message)].map(
    (message) => message.sentTimestamp,
  );
  if (sent.length === 0) return 0;
  return Math.max(0, Math.floor((now.getTime() - Math.min(...sent)) / 1_000));
}
