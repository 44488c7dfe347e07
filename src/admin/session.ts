/**
 * Browser sessions of the admin server. The cookie holds `<id>.<expires at, ms>.<HMAC-SHA256 of both>`,
 * never the token: whoever reads it (a log, a shared screen) gets at most the rest of one session.
 *
 * The MAC key is derived from ADMIN_TOKEN (HKDF-SHA256, info `SESSION_KEY_INFO`), not a second secret:
 * rotating the token, which is what one does when it may have leaked, then ends every session too,
 * and there is nothing more to provision. HKDF is one-way, so a session says nothing of the token, and
 * a MAC is never a token. Sessions are stateless, so every replica with the same token accepts them;
 * a logged-out id is remembered by this process alone until it would have expired anyway.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_LIFETIME_MS = 8 * 60 * 60 * 1_000;
export const SESSION_KEY_INFO = 'seller-workflows admin session v1';

export interface Session {
  id: string;
  expiresAt: number;
}

export interface Sessions {
  /** A new session and the cookie value that carries it. */
  issue(): { session: Session; value: string };
  /** The session a cookie value carries, if it is signed with this token's key, unexpired and not ended. */
  verify(value: string | undefined): Session | undefined;
  /** Ends a session before its expiry (logout). */
  end(session: Session): void;
}

const SESSION_VALUE = /^([A-Za-z0-9_-]{22})\.(\d{13,15})\.([A-Za-z0-9_-]{43})$/;

export function createSessions(token: string, now: () => number = Date.now): Sessions {
  const key = Buffer.from(hkdfSync('sha256', token, '', SESSION_KEY_INFO, 32));
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest();
  /** Ended session ids and when they would have expired: forgotten then, so the map stays small. */
  const ended = new Map<string, number>();

  const forgetExpired = () => {
    for (const [id, expiresAt] of ended) if (expiresAt <= now()) ended.delete(id);
  };

  return {
    issue() {
      const session = { id: randomBytes(16).toString('base64url'), expiresAt: now() + SESSION_LIFETIME_MS };
      const payload = `${session.id}.${session.expiresAt}`;
      return { session, value: `${payload}.${mac(payload).toString('base64url')}` };
    },
    verify(value) {
      const [, id, expiresAt, signature] = SESSION_VALUE.exec(value ?? '') ?? [];
      if (!id || !expiresAt || !signature) return undefined;
      if (!timingSafeEqual(Buffer.from(signature, 'base64url'), mac(`${id}.${expiresAt}`))) return undefined;
      const session = { id, expiresAt: Number(expiresAt) };
      return session.expiresAt > now() && !ended.has(id) ? session : undefined;
    },
    end(session) {
      forgetExpired();
      ended.set(session.id, session.expiresAt);
    },
  };
}
