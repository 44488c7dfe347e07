/**
 * Headers on every answer of the admin server, set before any route runs so the sign-in form and
 * the 401s carry them too. Scripts only from this server (no inline script, no eval); inline styles
 * are allowed because Bull Board's page and the seller page use them, and a style cannot run code.
 * Bull Board's Google Fonts stylesheet is refused (the board falls back to the system font): an
 * admin page should not tell a third party when it is opened.
 */
import type { RequestHandler } from 'express';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  // frame-ancestors' older spelling, for browsers that predate it.
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set(SECURITY_HEADERS);
  next();
};
