/**
 * One shared bearer token guards the admin server. Scripts send `Authorization: Bearer <token>`;
 * browsers cannot, so `/login` trades the token for an HttpOnly, SameSite=Strict cookie holding it.
 * The token is never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Logger } from '../platform/logger';
import { escapeHtml } from './html';

export const TOKEN_COOKIE = 'admin_token';
const COOKIE_MAX_AGE_MS = 12 * 60 * 60 * 1_000;

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

function cookieToken(req: Request): string | undefined {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = pair.trim().split('=');
    if (name !== TOKEN_COOKIE) continue;
    try {
      return decodeURIComponent(value.join('='));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

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

/** 401 with the login form for a browser, a one-line JSON error for anything else. */
function refuse(res: Response, notice?: string): void {
  res.status(401).set('WWW-Authenticate', 'Bearer realm="seller-workflows admin"');
  res.format({
    html: () => res.send(loginPage(notice)),
    default: () => res.json({ error: 'unauthorized: send Authorization: Bearer <ADMIN_TOKEN>' }),
  });
}

/** Lets a request through only with the right token, in the header or the login cookie. */
export function requireToken(matches: TokenMatcher): RequestHandler {
  return (req, res, next) => {
    if (matches(bearerToken(req)) || matches(cookieToken(req))) return next();
    refuse(res);
  };
}

export function loginRoutes(matches: TokenMatcher, log: Logger): Router {
  const router = express.Router();
  router.get('/login', (_req, res) => {
    res.type('html').send(loginPage());
  });
  router.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const candidate: unknown = req.body?.token;
    if (typeof candidate !== 'string' || !matches(candidate)) {
      log.warn({ ip: req.ip }, 'admin sign-in refused: wrong token');
      return refuse(res, 'Wrong token.');
    }
    res.cookie(TOKEN_COOKIE, candidate, {
      httpOnly: true,
      sameSite: 'strict',
      // Secure only when TLS ends in this process: browsers drop a Secure cookie set over plain http.
      secure: req.secure,
      path: '/',
      maxAge: COOKIE_MAX_AGE_MS,
    });
    res.redirect(303, '/');
  });
  return router;
}
