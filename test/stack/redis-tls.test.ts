/**
 * Redis over TLS, for real: a CA and a server certificate made with openssl for this test, a
 * TLS-only redis-server (no plaintext port) and a TLS-only sentinel watching it, on ports of its
 * own from the kernel. Connections come from the service's own factory and verify the
 * certificate: against the right CA they work, against another CA they are refused.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config';
import { SILENT_LOGGER } from '../../src/platform/logger';
import { createRedisConnection, type RedisConnection } from '../../src/platform/redis';
import { freePorts } from '../../src/platform/free-ports';
import { redisProcesses } from '../support/redis-processes';
import { makeCertificates, tlsOnlyArgs, type CertificateFiles } from '../support/test-certificates';

const MASTER_NAME = 'tls-master';

describe('Redis over TLS', () => {
  const redis = redisProcesses('redis-tls-test');
  let right: CertificateFiles;
  let wrong: CertificateFiles;
  const opened: RedisConnection[] = [];

  const connect = (env: NodeJS.ProcessEnv) => {
    const connection = createRedisConnection(loadConfig({ ...process.env, ...env }), { log: SILENT_LOGGER });
    opened.push(connection);
    return connection;
  };
  let direct: NodeJS.ProcessEnv;
  let viaSentinel: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const [redisPort, sentinelPort] = (await freePorts(2)) as [number, number];
    direct = { REDIS_URL: `rediss://127.0.0.1:${redisPort}` };
    viaSentinel = {
      REDIS_URL: 'rediss://127.0.0.1:1/0',
      REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`,
      REDIS_SENTINEL_MASTER: MASTER_NAME,
      REDIS_SENTINEL_TLS: 'on',
    };
    right = makeCertificates(redis.dir, 'right');
    wrong = makeCertificates(redis.dir, 'wrong');
    const tls = { tls: { ca: readFileSync(right.caCert) } };
    redis.server(redisPort, tlsOnlyArgs(redisPort, right));
    await redis.ready(redisPort, tls);
    redis.sentinel(
      sentinelPort,
      MASTER_NAME,
      redisPort,
      [],
      [
        'port 0',
        `tls-port ${sentinelPort}`,
        `tls-cert-file ${right.serverCert}`,
        `tls-key-file ${right.serverKey}`,
        `tls-ca-cert-file ${right.caCert}`,
        'tls-auth-clients no',
        // The sentinel itself reaches the master over TLS.
        'tls-replication yes',
      ],
    );
    await redis.ready(sentinelPort, tls);
  });
  afterAll(async () => {
    opened.forEach((connection) => connection.disconnect());
    await redis.killAll();
  });

  it('connects to a rediss:// URL, verifying the certificate against REDIS_TLS_CA_FILE', async () => {
    const connection = connect({ ...direct, REDIS_TLS_CA_FILE: right.caCert });
    await connection.set('tls-check', 'through TLS');
    expect(await connection.get('tls-check')).toBe('through TLS');
  });

  it('refuses a server whose certificate another CA signed', async () => {
    const connection = connect({ ...direct, REDIS_TLS_CA_FILE: wrong.caCert });
    const [error] = (await once(connection, 'error')) as [Error];
    expect(error.message).toMatch(/self[- ]signed certificate in certificate chain|unable to verify/);
    expect(connection.status).not.toBe('ready');
  });

  it('finds the master through a TLS sentinel and speaks TLS to it (REDIS_SENTINEL_TLS=on, rediss://)', async () => {
    const connection = connect({ ...viaSentinel, REDIS_TLS_CA_FILE: right.caCert });
    await connection.set('tls-sentinel-check', 'through TLS');
    expect(await connection.get('tls-sentinel-check')).toBe('through TLS');
    // The master has no plaintext port: the connection that answered is a TLS one.
    expect(connection).toBeInstanceOf(Redis);
    expect((connection as Redis).options.tls).toBeDefined();
  });

  it('refuses a TLS sentinel whose certificate another CA signed', async () => {
    const connection = connect({ ...viaSentinel, REDIS_TLS_CA_FILE: wrong.caCert });
    const [error] = (await once(connection, 'error')) as [Error];
    expect(error.message).toMatch(/All sentinels are unreachable|certificate/);
    expect(connection.status).not.toBe('ready');
  });

  it('names REDIS_TLS_CA_FILE when the CA file cannot be read', () => {
    const missing = path.join(redis.dir, 'no-such-ca.pem');
    expect(() => connect({ ...direct, REDIS_TLS_CA_FILE: missing })).toThrow(
      `REDIS_TLS_CA_FILE: cannot read ${missing}: ENOENT`,
    );
  });
});
