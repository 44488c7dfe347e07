/**
 * The admin role as its own process: Bull Board over the sweep queues behind ADMIN_TOKEN, on the
 * real Redis, with a BullMQ key prefix of this test's own whose schedulers the test upserts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { loadConfig } from '../../src/config';
import { createRedisConnection } from '../../src/platform/redis';
import { SWEEPS } from '../../src/sweeps/registry';
import { upsertSweepSchedulers } from '../../src/sweeps/schedulers';
import { loggedPort, startRole, type RoleProcess } from '../support/role-process';
import { runEntryPoint } from '../support/run-command';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/isolated-env';
import { seedAccount } from '../../scripts/harness/accounts';

jest.setTimeout(60_000);

const token = randomBytes(32).toString('base64url');
const prefix = `test-admin-${randomUUID().slice(0, 8)}`;
const env = { ...process.env, REDIS_KEY_PREFIX: prefix, ADMIN_TOKEN: token, ADMIN_PORT: '0', LOG_LEVEL: 'info' };
const config = loadConfig(env);

let role: RoleProcess;
let base: string;
/** Its own database, for the rows /attention lists. */
let t: IsolatedEnvironment;

beforeAll(async () => {
  const redis = createRedisConnection(config);
  await upsertSweepSchedulers(config, redis);
  await redis.quit();
  t = await isolatedEnvironment();
  role = startRole('admin-worker', { ...env, DATABASE_URL: t.env.DATABASE_URL });
  base = `http://127.0.0.1:${await loggedPort(role, 'admin server listening')}`;
});

afterAll(async () => {
  if (role.child.exitCode === null) role.child.kill('SIGKILL');
  const redis = createRedisConnection(config);
  for (const sweep of SWEEPS) {
    const queue = new Queue(sweep.name, { connection: redis, prefix });
    await queue.obliterate({ force: true });
    await queue.close();
  }
  await redis.quit();
  await t?.cleanup();
});

const bearer = (value: string) => ({ authorization: `Bearer ${value}` });
const signIn = (value: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ token: value }), headers, redirect: 'manual' });

describe('the admin server', () => {
  it('refuses a request without a token: 401 with WWW-Authenticate: Bearer', async () => {
    const response = await fetch(`${base}/api/queues`, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('refuses a wrong token, of the same length or not', async () => {
    for (const wrong of [randomBytes(32).toString('base64url'), 'short', `${token}x`]) {
      const response = await fetch(`${base}/api/queues`, { headers: bearer(wrong) });
      expect({ wrong, status: response.status }).toEqual({ wrong, status: 401 });
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
    }
  });

  it('with the token shows the four sweep queues, under the configured prefix, read-only', async () => {
    const response = await fetch(`${base}/api/queues`, { headers: bearer(token) });
    expect(response.status).toBe(200);
    const { queues } = (await response.json()) as {
      queues: { name: string; jobSchedulerCount: number; readOnlyMode: boolean }[];
    };
    // One scheduler each: the board reads the keys under REDIS_KEY_PREFIX, where the test put them.
    expect(
      queues.map(({ name, jobSchedulerCount, readOnlyMode }) => ({ name, jobSchedulerCount, readOnlyMode })),
    ).toEqual(SWEEPS.map((sweep) => ({ name: sweep.name, jobSchedulerCount: 1, readOnlyMode: true })));

    const pause = await fetch(`${base}/api/queues/scheduling-sweep/pause`, { method: 'PUT', headers: bearer(token) });
    expect(pause.status).toBe(405);
  });

  it('trades the token at /login for a session cookie that is not the token: HttpOnly, SameSite=Strict, 8 h', async () => {
    const form = await fetch(`${base}/login`);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('<form method="post" action="/login">');

    const refused = await signIn('not-the-token');
    expect(refused.status).toBe(401);
    expect(refused.headers.getSetCookie()).toEqual([]);

    const accepted = await signIn(token);
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get('location')).toBe('/');
    const [cookie] = accepted.headers.getSetCookie();
    expect(cookie).toMatch(/^admin_session=[^;]+;/);
    expect(cookie).not.toContain(token);
    expect(cookie).not.toContain(encodeURIComponent(token));
    expect(cookie).toMatch(/; Max-Age=28800;/);
    expect(cookie).toMatch(/; Path=\/;/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    // Plain http, no proxy trusted: a Secure cookie would be dropped by the browser.
    expect(cookie).not.toMatch(/; Secure/);

    const board = await fetch(`${base}/`, { headers: { cookie: cookie!.split(';')[0]! } });
    expect(board.status).toBe(200);
    expect(await board.text()).toContain('<title>Sweeps</title>');
    for (const forged of ['admin_session=guess', `admin_token=${token}`, `admin_session=${token}`]) {
      const response = await fetch(`${base}/`, { headers: { cookie: forged } });
      expect({ forged, status: response.status }).toEqual({ forged, status: 401 });
    }
  });

  it('does not believe X-Forwarded-Proto or X-Forwarded-For while ADMIN_TRUST_PROXY is unset', async () => {
    const overTls = await signIn(token, { 'x-forwarded-proto': 'https' });
    expect(overTls.status).toBe(303);
    expect(overTls.headers.getSetCookie()[0]).not.toMatch(/; Secure/);
    // Six wrong tokens, each claiming another client address: all are this one address, so the sixth
    // (at the latest: the test above got one wrong too) is throttled. The tests below sign in with the bearer header.
    const answers: number[] = [];
    for (let attempt = 1; attempt <= 6; attempt += 1) {
      const response = await signIn('not-the-token', { 'x-forwarded-for': `198.51.100.${attempt}` });
      answers.push(response.status);
    }
    expect(answers[5]).toBe(429);
  });

  it('lists the claims and schedules flagged for a person at /attention, behind the token', async () => {
    expect((await fetch(`${base}/attention`)).status).toBe(401);
    await seedAccount(t.deps.pool, t.config, { id: 'attn-1', marketplace: 'amazon' });
    const { rows } = await t.deps.pool.query(
      `INSERT INTO schedules (account_id, kind, cadence, next_run_at, needs_attention, attention_reason, attention_since)
       VALUES ('attn-1', 'teleport', '1h', now(), true, 'unknown schedule kind "teleport"', '2026-01-02T03:04:05Z')
       RETURNING id`,
    );
    const scheduleId = String(rows[0].id);
    await t.deps.pool.query(
      `INSERT INTO dispatch_claims (idempotency_key, sweep, account_id, queue, message_type, envelope, slot_at,
                                   claimed_at, lease_expires_at, attempts, last_error, needs_attention,
                                   attention_reason, attention_since)
       VALUES ('k-1', 'scheduling-sweep', 'attn-1', 'account-sync', 'account.sync', '{}', now(),
               '2026-01-01T00:00:00Z', now(), 9, 'InternalError: down', true, 'unsent for more than 24 h',
               '2026-01-02T00:05:00Z')`,
    );
    const response = await fetch(`${base}/attention`, { headers: bearer(token) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      claims: [
        {
          idempotencyKey: 'k-1',
          accountId: 'attn-1',
          queue: 'account-sync',
          messageType: 'account.sync',
          scheduleId: null,
          reason: 'unsent for more than 24 h',
          attempts: 9,
          lastError: 'InternalError: down',
          claimedAt: '2026-01-01T00:00:00.000Z',
          since: '2026-01-02T00:05:00.000Z',
        },
      ],
      schedules: [
        {
          id: scheduleId,
          accountId: 'attn-1',
          kind: 'teleport',
          reason: 'unknown schedule kind "teleport"',
          since: '2026-01-02T03:04:05.000Z',
        },
      ],
    });
  });

  it('answers /readyz on its health port', async () => {
    const response = await fetch(`http://127.0.0.1:${await loggedPort(role, 'health server listening')}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ checks: { redis: { ok: true } } });
  });

  it('stops on SIGTERM with exit code 0, never having written the token', async () => {
    role.child.kill('SIGTERM');
    expect(await role.exited).toBe(0);
    // Every role's last line names it (src/platform/role.ts).
    expect(role.output()).toContain('"msg":"admin-worker: stopped"');
    // The refused sign-in above was logged: the test would see a token that leaked into that line.
    expect(role.output()).toContain('sign-in refused');
    expect(role.output()).not.toContain(token);
  });
});

describe('the admin role without a usable ADMIN_TOKEN', () => {
  it('refuses to start, exit code 2, with one line naming ADMIN_TOKEN', async () => {
    const { ADMIN_TOKEN: _, ...withoutToken } = env;
    const result = await runEntryPoint('admin-worker', { env: withoutToken });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      'Configuration error: ADMIN_TOKEN required (the admin server refuses every request without it)',
    );
  });

  it('refuses a token shorter than 32 characters without echoing it', async () => {
    const short = 'short-admin-token-31-characters';
    const result = await runEntryPoint('admin-worker', { env: { ...env, ADMIN_TOKEN: short } });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('Configuration error: ADMIN_TOKEN must be at least 32 characters');
    expect(result.stdout + result.stderr).not.toContain(short);
  });
});
