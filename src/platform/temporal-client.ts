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
 */
export function createLazyTemporalClient(config: Config): Client {
  return new Client({
    connection: Connection.lazy(temporalConnectionOptions(config)),
    namespace: config.temporal.namespace,
  });
}
