import { ConfigError, loadConfig, requireMarketplaceConfig } from '../../src/config';

const valid = {
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  REDIS_URL: 'redis://127.0.0.1:6379',
  DATABASE_URL: 'postgres://seller@127.0.0.1:5432/seller',
  AWS_REGION: 'ap-south-1',
};

/** The ConfigError message of `load` (by default, loading `env`). */
function errorFor(env: NodeJS.ProcessEnv, load: () => unknown = () => loadConfig(env)): string {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('takes WORKFLOW_BUNDLE prebuilt or at-start, nothing else', () => {
    expect(loadConfig({ ...valid, WORKFLOW_BUNDLE: 'at-start' }).temporal.workflowBundle).toBe('at-start');
    expect(() => loadConfig({ ...valid, WORKFLOW_BUNDLE: 'webpack' })).toThrow(/WORKFLOW_BUNDLE/);
  });

  it('looks for old workflow ids unless POLLER_LEGACY_ID_LOOKUP is off, and takes nothing but on or off', () => {
    expect(loadConfig(valid).pollers.legacyIdLookup).toBe(true);
    expect(loadConfig({ ...valid, POLLER_LEGACY_ID_LOOKUP: 'off' }).pollers.legacyIdLookup).toBe(false);
    expect(errorFor({ ...valid, POLLER_LEGACY_ID_LOOKUP: 'false' })).toMatch(/POLLER_LEGACY_ID_LOOKUP/);
  });

  it('trusts no proxy unless ADMIN_TRUST_PROXY says which, in Express trust proxy terms, and refuses anything else by name', () => {
    expect(loadConfig(valid).admin.trustProxy).toBe(false);
    expect(loadConfig({ ...valid, ADMIN_TRUST_PROXY: 'true' }).admin.trustProxy).toBe(true);
    expect(loadConfig({ ...valid, ADMIN_TRUST_PROXY: '2' }).admin.trustProxy).toBe(2);
    expect(loadConfig({ ...valid, ADMIN_TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8' }).admin.trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
    ]);
    for (const wrong of ['yes', '10.0.0.0/33', '10.0.0', 'loopback,proxy.internal', '1.2.3.4/8/8']) {
      expect({ wrong, error: errorFor({ ...valid, ADMIN_TRUST_PROXY: wrong }) }).toEqual({
        wrong,
        error: expect.stringMatching(/^Configuration error: .*ADMIN_TRUST_PROXY must be true, false, a number of hops/),
      });
    }
  });

  it('gives typed values and defaults from a minimal environment', () => {
    const config = loadConfig(valid);
    expect(config.temporal).toEqual({
      address: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'seller-workflows',
      tls: undefined,
      apiKey: undefined,
      worker: { activitySlots: 36, workflowTaskSlots: 20, cacheMiB: undefined, shutdownGraceSeconds: 30 },
      workflowBundle: 'prebuilt',
    });
    expect(config.aws).toEqual({ region: 'ap-south-1', sqsEndpoint: undefined });
    expect(config.queues.prefix).toBe('');
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', sentinel: undefined, keyPrefix: 'bull' });
  });

  it('reads the Temporal worker process budget and refuses one too small to split', () => {
    const config = loadConfig({
      ...valid,
      TEMPORAL_WORKER_ACTIVITY_SLOTS: '90',
      TEMPORAL_WORKER_WORKFLOW_TASK_SLOTS: '40',
      TEMPORAL_WORKER_CACHE_MIB: '256',
      TEMPORAL_WORKER_SHUTDOWN_GRACE_SECONDS: '20',
    });
    expect(config.temporal.worker).toEqual({
      activitySlots: 90,
      workflowTaskSlots: 40,
      cacheMiB: 256,
      shutdownGraceSeconds: 20,
    });
    // Fewer activity slots than families would leave one without any.
    expect(errorFor({ ...valid, TEMPORAL_WORKER_ACTIVITY_SLOTS: '3' })).toMatch(/TEMPORAL_WORKER_ACTIVITY_SLOTS/);
  });

  it('reads the families a worker process polls, and refuses one that is not a family', () => {
    expect(
      loadConfig({ ...valid, TEMPORAL_WORKER_FAMILIES: 'inventory,marketplace-push,inventory' }).temporal.worker,
    ).toMatchObject({ families: ['inventory', 'marketplace-push'] });
    expect(loadConfig(valid).temporal.worker.families).toBeUndefined();
    expect(errorFor({ ...valid, TEMPORAL_WORKER_FAMILIES: 'inventory,stock' })).toMatch(
      /TEMPORAL_WORKER_FAMILIES must list queue families: account, inventory, marketplace-push, background/,
    );
  });

  it.each(Object.keys(valid))('names the missing variable %s in one line', (variable) => {
    const message = errorFor({ ...valid, [variable]: undefined });
    expect(message).toBe(`Configuration error: ${variable} is required`);
  });

  it('treats an empty value as missing', () => {
    expect(errorFor({ ...valid, DATABASE_URL: '' })).toBe('Configuration error: DATABASE_URL is required');
  });

  it.each([
    ['TEMPORAL_ADDRESS', 'localhost', 'must be host:port'],
    ['REDIS_URL', 'http://cache:6379', 'must be a redis:// or rediss:// URL'],
    ['DATABASE_URL', 'not a url', 'must be a postgres:// or postgresql:// URL'],
    ['AWS_REGION', 'mumbai', 'must be an AWS region'],
    ['SQS_ENDPOINT', 'localhost:4566', 'must be a http:// or https:// URL'],
    ['QUEUE_PREFIX', 'prod/', 'must be letters, digits, _ -'],
    ['TEMPORAL_TLS', 'yes', 'TEMPORAL_TLS'],
    ['REDIS_SENTINELS', 'a:1,b', 'comma-separated list of host:port'],
    ['SWEEP_TIMEZONE', 'Mars/Olympus', 'must be an IANA time zone'],
    ['SWEEP_CLAIM_LEASE_SECONDS', '-5', 'SWEEP_CLAIM_LEASE_SECONDS'],
    ['CREDENTIALS_KEYS', 'k1:c2hvcnQ=', 'must be keyId:base64 pairs of 32-byte keys'],
  ])('rejects a malformed %s naming it, without echoing the value', (variable, value, expected) => {
    const message = errorFor({ ...valid, [variable]: value });
    expect(message).toContain(variable);
    expect(message).toContain(expected);
    expect(message).not.toContain(value);
    expect(message.split('\n')).toHaveLength(1);
  });

  it('reports every problem at once, still on one line', () => {
    const message = errorFor({ AWS_REGION: 'nowhere' });
    for (const variable of ['TEMPORAL_ADDRESS', 'REDIS_URL', 'DATABASE_URL', 'AWS_REGION']) {
      expect(message).toContain(variable);
    }
    expect(message.split('\n')).toHaveLength(1);
  });

  it('turns on TLS for an API key (Temporal Cloud) and keeps mTLS files paired', () => {
    expect(loadConfig({ ...valid, TEMPORAL_API_KEY: 'k' }).temporal.tls).toBeDefined();
    expect(errorFor({ ...valid, TEMPORAL_TLS_CERT_PATH: '/tls/client.pem' })).toBe(
      'Configuration error: TEMPORAL_TLS_KEY_PATH is required when the other mTLS file is set',
    );
  });

  it('reads the credentials keyring and requires the active key to be one of it', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const config = loadConfig({
      ...valid,
      CREDENTIALS_KEYS: `old:${key},new:${key}`,
      CREDENTIALS_ACTIVE_KEY_ID: 'new',
    });
    expect(config.credentials?.activeKeyId).toBe('new');
    expect([...config.credentials!.keys.keys()]).toEqual(['old', 'new']);
    expect(config.credentials!.keys.get('old')).toEqual(Buffer.alloc(32, 7));
    expect(errorFor({ ...valid, CREDENTIALS_KEYS: `old:${key}`, CREDENTIALS_ACTIVE_KEY_ID: 'gone' })).toBe(
      'Configuration error: CREDENTIALS_ACTIVE_KEY_ID must name one of the CREDENTIALS_KEYS',
    );
    expect(loadConfig(valid).sweeps).toEqual({ timezone: 'UTC', claimLeaseSeconds: 300 });
  });

  it('reads Redis Sentinel settings and requires the master name', () => {
    const config = loadConfig({
      ...valid,
      REDIS_SENTINELS: 's1:26379,s2:26380',
      REDIS_SENTINEL_MASTER: 'bullmq',
      REDIS_KEY_PREFIX: '{sweeps}',
    });
    expect(config.redis.sentinel).toEqual({
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
      masterName: 'bullmq',
      password: undefined,
      tls: false,
    });
    expect(config.redis.keyPrefix).toBe('{sweeps}');
    expect(errorFor({ ...valid, REDIS_SENTINELS: 's1:26379' })).toContain('REDIS_SENTINEL_MASTER is required');
  });

  it('reads REDIS_CLUSTER_NODES, which needs a {hash-tag} key prefix and no sentinels', () => {
    const cluster = { ...valid, REDIS_CLUSTER_NODES: 'c1:7000,c2:7001', REDIS_KEY_PREFIX: '{bull}' };
    expect(loadConfig(cluster).redis.clusterNodes).toEqual([
      { host: 'c1', port: 7000 },
      { host: 'c2', port: 7001 },
    ]);
    expect(errorFor({ ...cluster, REDIS_KEY_PREFIX: 'bull' })).toContain('REDIS_KEY_PREFIX must contain a {hash-tag}');
    expect(errorFor({ ...cluster, REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_MASTER: 'm' })).toContain(
      'REDIS_CLUSTER_NODES and REDIS_SENTINELS exclude each other',
    );
    expect(errorFor({ ...cluster, REDIS_CLUSTER_NODES: 'c1' })).toMatch(/REDIS_CLUSTER_NODES.*host:port/);
  });

  it('speaks TLS to the sentinels only when REDIS_SENTINEL_TLS is on, and takes nothing but on or off', () => {
    const sentinel = { ...valid, REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_MASTER: 'bullmq' };
    expect(loadConfig({ ...sentinel, REDIS_SENTINEL_TLS: 'on' }).redis.sentinel?.tls).toBe(true);
    expect(errorFor({ ...sentinel, REDIS_SENTINEL_TLS: 'yes' })).toMatch(/REDIS_SENTINEL_TLS/);
    expect(loadConfig({ ...valid, REDIS_TLS_CA_FILE: '/etc/redis/ca.pem' }).redis.tlsCaFile).toBe('/etc/redis/ca.pem');
  });

  it('names every marketplace setting the worker is missing, in one line', () => {
    const env = { ...valid, MARKETPLACE_AJIO_URL: 'https://ajio.example' };
    const message = errorFor(env, () => requireMarketplaceConfig(loadConfig(env)));
    expect(message).toBe(
      'Configuration error: MARKETPLACE_MEESHO_URL, MARKETPLACE_AMAZON_URL, MARKETPLACE_FLIPKART_URL, ' +
        'AMAZON_LWA_CLIENT_ID, AMAZON_LWA_CLIENT_SECRET, DOCUMENT_STORE_DIR required (the worker calls the marketplaces)',
    );
    expect(errorFor({ ...valid, MARKETPLACE_MEESHO_URL: 'ftp://meesho' })).toContain(
      'MARKETPLACE_MEESHO_URL must be a http:// or https:// URL',
    );
    expect(errorFor({ ...valid, AMAZON_LWA_CLIENT_ID: 'id' })).toContain('AMAZON_LWA_CLIENT_SECRET is required');
  });

  it('takes http:// marketplace URLs only with MARKETPLACE_ALLOW_HTTP=true, naming each refused one', () => {
    const plain = { MARKETPLACE_AJIO_URL: 'http://ajio.example/api', MARKETPLACE_AMAZON_URL: 'HTTP://amazon.example' };
    expect(errorFor({ ...valid, ...plain })).toBe(
      'Configuration error: ' +
        ['MARKETPLACE_AJIO_URL', 'MARKETPLACE_AMAZON_URL']
          .map(
            (variable) =>
              `${variable} must be an https:// URL (set MARKETPLACE_ALLOW_HTTP=true to allow http:// for a local simulator)`,
          )
          .join('; '),
    );
    expect(errorFor({ ...valid, ...plain, MARKETPLACE_ALLOW_HTTP: 'false' })).toMatch(
      /^Configuration error: MARKETPLACE_AJIO_URL must be an https/,
    );
    expect(loadConfig({ ...valid, ...plain, MARKETPLACE_ALLOW_HTTP: 'true' }).marketplaces.urls).toEqual({
      ajio: 'http://ajio.example/api',
      amazon: 'HTTP://amazon.example',
    });
    expect(loadConfig({ ...valid, MARKETPLACE_MEESHO_URL: 'https://meesho.example' }).marketplaces.urls).toEqual({
      meesho: 'https://meesho.example',
    });
    expect(errorFor({ ...valid, MARKETPLACE_ALLOW_HTTP: 'yes' })).toMatch(/MARKETPLACE_ALLOW_HTTP/);
  });

  it('caps marketplace answers: 4 MiB of JSON and 200 MiB a document unless configured', () => {
    expect(loadConfig(valid).marketplaces).toMatchObject({
      maxJsonBytes: 4 * 1024 * 1024,
      documentMaxBytes: 200 * 1024 * 1024,
    });
    expect(
      loadConfig({ ...valid, MARKETPLACE_MAX_JSON_BYTES: '65536', DOCUMENT_MAX_BYTES: '1048576' }).marketplaces,
    ).toMatchObject({ maxJsonBytes: 65_536, documentMaxBytes: 1_048_576 });
    expect(errorFor({ ...valid, MARKETPLACE_MAX_JSON_BYTES: '4MiB' })).toMatch(
      /^Configuration error: MARKETPLACE_MAX_JSON_BYTES /,
    );
    expect(errorFor({ ...valid, DOCUMENT_MAX_BYTES: '0' })).toMatch(/^Configuration error: DOCUMENT_MAX_BYTES /);
  });

  it('reads the marketplace settings', () => {
    const config = loadConfig({
      ...valid,
      MARKETPLACE_AJIO_URL: 'https://ajio.example/api',
      MARKETPLACE_AMAZON_URL: 'https://sellingpartnerapi-eu.amazon.com',
      MARKETPLACE_FLIPKART_URL: 'https://api.flipkart.net/sellers',
      MARKETPLACE_MEESHO_URL: 'https://supplier.meesho.example',
      AMAZON_LWA_CLIENT_ID: 'amzn1.application-oa2-client.x',
      AMAZON_LWA_CLIENT_SECRET: 'shh',
      DOCUMENT_STORE_DIR: '/var/lib/documents',
      MARKETPLACE_TIMEOUT_MS: '5000',
    });
    expect(requireMarketplaceConfig(config)).toMatchObject({
      urls: { ajio: 'https://ajio.example/api', flipkart: 'https://api.flipkart.net/sellers' },
      amazonLwa: { clientId: 'amzn1.application-oa2-client.x', clientSecret: 'shh' },
      timeoutMs: 5_000,
      documentStoreDir: '/var/lib/documents',
    });
  });
});
