import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';
import { temporalConnectionOptions } from './temporal-connection';

export async function createTemporalClient(config: Config): Promise<Client> {
  const connection = await Connection.connect(temporalConnectionOptions(config));
  return new Client({ connection, namespace: config.temporal.namespace });
}

/**
 * A client whose connection opens on first use: a role can then check that Temporal answers (and
 * say why it does not) itself, instead of failing on a connect deadline.
 *
 * `retryCalls: false` is for a one-shot read that reports an unanswering server rather than waiting
 * for it (the seller status): its calls fail at once instead of being retried for seconds, and no
 * retry is left pending when the reader closes the connection (the SDK's retry would then throw
 * "Channel has been shut down" from a timer, outside any caller).
 */
export function createLazyTemporalClient(config: Config, { retryCalls = true } = {}): Client {
  return new Client({
    connection: Connection.lazy({
      ...temporalConnectionOptions(config),
      ...(retryCalls ? {} : { interceptors: [] }),
    }),
    namespace: config.temporal.namespace,
  });
}
