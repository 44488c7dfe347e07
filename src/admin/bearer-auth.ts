/**
 * One shared bearer token guards the admin server. Scripts send `Authorization: Bearer <token>`;
 * browsers cannot, so `/login` trades the token for a signed session cookie (session.ts), HttpOnly,
 * SameSite=Strict, Secure when the request came over TLS (directly, or through a proxy trusted by
 * ADMIN_TRUST_PROXY), and `POST /logout` ends it. Wrong tokens are throttled per client address
 * (login-throttle.ts). The token is never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type CookieOptions, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Logger } from '../platform/logger';
import { escapeHtml, SIGN_OUT_FORM } from './html';
import type { LoginThrottle } from './login-throttle';
import { SESSION_LIFETIME_MS, type Sessions } from './session';

export const SESSION_COOKIE = 'admin_session';

export type TokenMatcher = (candidate: string | undefined) => boolean;

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Compares SHA-256 digests, always of equal length, so neither the time taken nor a length mismatch
 * tells a guesser how close they came.
 */
export function tokenMatcher(token: string): TokenMatcher {
  const expected = digest(token);
  return (candidate) => candidate !== undefined && timingSafeEqual(digest(candidate), expected);
}

function bearerToken(req: Request): string | undefined {
  return /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
}

function sessionCookie(req: Request): string | undefined {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = pair.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=');
  }
  return undefined;
}

/** The same attributes on setting and clearing: a browser clears only the cookie they name. */
const cookieOptions = (req: Request): CookieOptions => ({
  httpOnly: true,
  sameSite: 'strict',
  // req.secure believes X-Forwarded-Proto only from a proxy ADMIN_TRUST_PROXY trusts; browsers drop a
  // Secure cookie set over plain http, so it cannot be always on.
  secure: req.secure,
  path: '/',
});

function loginPage(notice?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>seller-workflows admin: sign in</title></head>
<body>
<h1>seller-workflows admin</h1>
${notice ? `<p>${escapeHtml(notice)}</p>` : ''}
<form method="post" action="/login">
<label>Admin token <input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
</body></html>
`;
}

const signOutPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>seller-workflows admin: sign out</title></head>
<body><h1>seller-workflows admin</h1>${SIGN_OUT_FORM}</body></html>
`;

/** The login form for a browser, a one-line JSON error for anything else. */
function answerWithLogin(res: Response, status: number, notice: string | undefined, error: string): void {
  res.status(status);
  res.format({
    html: () => res.send(loginPage(notice)),
    default: () => res.json({ error }),
  });
}

function refuse(res: Response, notice?: string): void {
  res.set('WWW-Authenticate', 'Bearer realm="seller-workflows admin"');
  answerWithLogin(res, 401, notice, 'unauthorized: send Authorization: Bearer <ADMIN_TOKEN>');
}

/** Lets a request through only with the right token in the header, or a valid session cookie. */
export function requireToken(matches: TokenMatcher, sessions: Sessions): RequestHandler {
  return (req, res, next) => {
    if (matches(bearerToken(req)) || sessions.verify(sessionCookie(req))) return next();
    refuse(res);
  };
}

export function loginRoutes(matches: TokenMatcher, sessions: Sessions, throttle: LoginThrottle, log: Logger): Router {
  const router = express.Router();
  router.get('/login', (_req, res) => {
    res.type('html').send(loginPage());
  });
  router.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const address = req.ip ?? 'unknown';
    const waitMs = throttle.waitFor(address);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1_000);
      log.warn({ ip: address, retryAfterSeconds: seconds }, 'admin sign-in throttled: too many wrong tokens');
      res.set('Retry-After', String(seconds));
      return answerWithLogin(
        res,
        429,
        `Too many wrong tokens from your address: try again in ${seconds} s.`,
        `too many wrong tokens from this address: retry after ${seconds} s`,
      );
    }
    const candidate: unknown = req.body?.token;
    if (typeof candidate !== 'string' || !matches(candidate)) {
      throttle.recordFailure(address);
      log.warn({ ip: address }, 'admin sign-in refused: wrong token');
      return refuse(res, 'Wrong token.');
    }
    const { value } = sessions.issue();
    res.cookie(SESSION_COOKIE, value, { ...cookieOptions(req), maxAge: SESSION_LIFETIME_MS });
    res.redirect(303, '/');
  });
  router.get('/logout', (_req, res) => {
    res.type('html').send(signOutPage);
  });
  router.post('/logout', (req, res) => {
    const session = sessions.verify(sessionCookie(req));
    if (session) sessions.end(session);
    res.clearCookie(SESSION_COOKIE, cookieOptions(req));
    res.redirect(303, '/login');
  });
  return router;
}
