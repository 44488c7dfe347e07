/**
 * The admin session cookie's value, on a clock the test moves: the lifetime is the production 8 h,
 * which no test can wait out. The expected MAC is computed here from the format the module documents
 * (HKDF-SHA256 of ADMIN_TOKEN, HMAC-SHA256 of `<id>.<expires at>`), not read back from the module.
 */
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { createSessions } from '../../../src/admin/session';

const HOUR_MS = 60 * 60 * 1_000;
const token = randomBytes(32).toString('base64url');
const otherToken = randomBytes(32).toString('base64url');
const issuedAt = Date.parse('2026-03-04T05:06:07Z');

function signedWith(secret: string, id: string, expiresAt: number): string {
  const key = Buffer.from(hkdfSync('sha256', secret, '', 'seller-workflows admin session v1', 32));
  const payload = `${id}.${expiresAt}`;
  return `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
}

function clockAt(start: number) {
  const clock = { now: start };
  return { clock, sessions: createSessions(token, () => clock.now) };
}

describe('admin sessions', () => {
  it('issues a value that is neither the token nor holds it, signed as documented, valid for 8 h and no longer', () => {
    const { clock, sessions } = clockAt(issuedAt);
    const { session, value } = sessions.issue();
    expect(value).not.toContain(token);
    expect(session.expiresAt).toBe(issuedAt + 8 * HOUR_MS);
    expect(value).toBe(signedWith(token, session.id, issuedAt + 8 * HOUR_MS));
    expect(sessions.verify(value)).toEqual(session);
    clock.now = issuedAt + 8 * HOUR_MS - 1;
    expect(sessions.verify(value)).toEqual(session);
    clock.now = issuedAt + 8 * HOUR_MS;
    expect(sessions.verify(value)).toBeUndefined();
  });

  it('gives every sign-in its own id', () => {
    const { sessions } = clockAt(issuedAt);
    expect(sessions.issue().session.id).not.toBe(sessions.issue().session.id);
  });

  it('refuses a value signed with another token: a changed ADMIN_TOKEN ends every session', () => {
    const { sessions } = clockAt(issuedAt);
    const id = randomBytes(16).toString('base64url');
    expect(sessions.verify(signedWith(token, id, issuedAt + HOUR_MS))).toEqual({ id, expiresAt: issuedAt + HOUR_MS });
    expect(sessions.verify(signedWith(otherToken, id, issuedAt + HOUR_MS))).toBeUndefined();
  });

  it('refuses an expiry moved later, a changed id, a cut signature and anything not a session', () => {
    const { sessions } = clockAt(issuedAt);
    const { session, value } = sessions.issue();
    const [, , signature] = value.split('.');
    const forged = [
      `${session.id}.${session.expiresAt + HOUR_MS}.${signature}`,
      `${randomBytes(16).toString('base64url')}.${session.expiresAt}.${signature}`,
      value.slice(0, -1),
      `${value}A`,
      token,
      '',
      undefined,
    ];
    for (const candidate of forged)
      expect({ candidate, verified: sessions.verify(candidate) }).toEqual({ candidate, verified: undefined });
  });

  it('refuses an ended session, and only that one', () => {
    const { sessions } = clockAt(issuedAt);
    const ended = sessions.issue();
    const kept = sessions.issue();
    sessions.end(ended.session);
    expect(sessions.verify(ended.value)).toBeUndefined();
    expect(sessions.verify(kept.value)).toEqual(kept.session);
  });
});
