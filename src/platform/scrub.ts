/**
 * The one scrubber for text that leaves the process: log lines (logger.ts) and failure messages,
 * which Temporal keeps unencrypted in workflow history (src/marketplaces/errors.ts and the token
 * activities; every activity failure, by the worker's scrubActivityFailures interceptor). It
 * replaces with `[redacted]`, keeping the text around it readable:
 * - values under a field named like a credential, in any case, at any depth (`SECRET_FIELDS` are
 *   examples; `isSecretKey` is the rule: a name ending in token, secret, password, api key,
 *   credentials, cookie, authorization, signature, ...), and such `name: value`, `name=value`,
 *   `"name":"value"` and `<name>value</name>` pairs inside text;
 * - credentials after `Bearer`/`Basic`, up to whitespace or a quote;
 * - every token shape the marketplaces issue: Amazon LWA `Atza|…`/`Atzr|…` (also URL-encoded) and
 *   its client secret `amzn1.oa2-cs.v1.…`, JWTs `eyJ…`, the simulator's `sim-<marketplace>-…`
 *   tokens; AWS access key ids; PEM private keys;
 * - the password of a URL (`scheme://user:pw@`, `scheme://:pw@`), its whole user part when it has
 *   no password (a token used as user name).
 * An opaque token (a UUID, hex) is only recognisable by the name it travels under: bare in free
 * text it cannot be told from an order id, and stays.
 */

export const REDACTED = '[redacted]';

/** Field names whose values are never written, whatever object they sit in (examples of `isSecretKey`). */
export const SECRET_FIELDS = [
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'token',
  'apiKey',
  'api_key',
  'clientSecret',
  'client_secret',
  'password',
  'secret',
  'secrets',
  'credentials',
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-amz-access-token',
  'x-amz-security-token',
  'proxy-authorization',
  'aws_secret_access_key',
  'privateKey',
] as const;

/** A name, lower-cased without separators, that ends like a credential's. */
const SECRET_NAME =
  /(?:token|secret|password|passwd|passphrase|pwd|apikey|credentials?|cookie|authorization|signature|(?:secret|private|access|signing|encryption|master|session)key|sessionid|clientassertion)s?$/;
const SEPARATORS = /[-_.\s]/g;

const keyVerdicts = new Map<string, boolean>();
const KEY_CACHE_LIMIT = 10_000;

/** Whether a field, header or parameter of this name holds a credential (any case, any separators). */
export function isSecretKey(name: string): boolean {
  const known = keyVerdicts.get(name);
  if (known !== undefined) return known;
  const verdict = SECRET_NAME.test(name.toLowerCase().replace(SEPARATORS, '')) || name.toLowerCase() === 'auth';
  // Keys are a small vocabulary; the bound keeps a logger fed ids as keys from growing without end.
  if (keyVerdicts.size < KEY_CACHE_LIMIT) keyVerdicts.set(name, verdict);
  return verdict;
}

type Rule = [pattern: RegExp, replace: (match: string, ...groups: string[]) => string];

/**
 * Applied in order; each rule leaves `[redacted]` as it is, so scrubbing twice changes nothing. A
 * rule that starts with a run of letters starts it only where no such run goes on before it
 * (lookbehind): otherwise a long run (a base64 blob) would be scanned again from each of its letters.
 */
const RULES: Rule[] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, () => REDACTED],
  // Headers whose value runs to the end of the line: `;`-separated cookies, an authorization's
  // scheme (kept) and its parameters.
  [
    /\b((?:set-)?cookie)(\\?["']?\s*:[ \t]*)(?![\s"'[\\])[^\r\n"'}\\]+/gi,
    (_match, name: string, separator: string) => `${name}${separator}${REDACTED}`,
  ],
  [
    /\b((?:proxy-)?authorization)(\\?["']?\s*:[ \t]*)(?!(?:[A-Za-z][\w-]*[ \t]+)?\[redacted\])(?:([A-Za-z][\w-]*)[ \t]+)?(?![\s"'[\\])[^\r\n"'}\\]+/gi,
    (_match, name: string, separator: string, scheme?: string) =>
      `${name}${separator}${scheme ? `${scheme} ` : ''}${REDACTED}`,
  ],
  [
    /\b(Bearer|Basic)(\s+)(?!\[redacted\])[^\s"'`\\]+/gi,
    (_match, scheme: string, space: string) => `${scheme}${space}${REDACTED}`,
  ],
  [
    /<([A-Za-z][\w.:-]*)>([^<]+)<\/\1>/g,
    (match, name: string) => (isSecretKey(name) ? `<${name}>${REDACTED}</${name}>` : match),
  ],
  [/\bAtz[ar](?:\||%7C)[A-Za-z0-9|/+=_.%-]+/gi, () => REDACTED],
  [/\bamzn1\.oa2-cs\.v1\.[A-Za-z0-9]+/g, () => REDACTED],
  [/\beyJ[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*){0,2}/g, () => REDACTED],
  [/\bsim-(?:ajio|amazon|flipkart|meesho)-[a-z]+-[A-Za-z0-9_-]+/g, () => REDACTED],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, () => REDACTED],
  [
    /(?<![\w+.-])([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>]*)@/gi,
    (match, scheme: string, userinfo: string) => {
      if (userinfo === '' || userinfo === REDACTED) return match;
      const colon = userinfo.indexOf(':');
      return colon < 0 ? `${scheme}${REDACTED}@` : `${scheme}${userinfo.slice(0, colon)}:${REDACTED}@`;
    },
  ],
];

/** `name: value`, `name=value`, `"name": "value"` (also JSON escaped in a string), `?name=value&`. */
const PAIR_NAME = /(?<![\w.-])([A-Za-z][\w.-]*)(\\?["']?\s*[:=]\s*)/g;
const PAIR_VALUE = /\[redacted\]|\\"(?:[^"\\]|\\[^"])*(?:\\")?|"(?:[^"\\]|\\.)*"?|'[^']*'?|[^\s"',;&}\]#)<>[\\]+/y;

/** The value of every pair whose name is a credential's, quotes kept; other pairs' values are read on. */
function redactPairs(text: string): string {
  let out = '';
  let copied = 0;
  PAIR_NAME.lastIndex = 0;
  for (let pair = PAIR_NAME.exec(text); pair; pair = PAIR_NAME.exec(text)) {
    if (!isSecretKey(pair[1]!)) continue;
    PAIR_VALUE.lastIndex = PAIR_NAME.lastIndex;
    const value = PAIR_VALUE.exec(text)?.[0];
    if (!value || (LINE_VALUED.test(pair[1]!) && !QUOTE.test(value))) continue;
    out += text.slice(copied, PAIR_NAME.lastIndex) + quoted(value);
    copied = PAIR_NAME.lastIndex = PAIR_NAME.lastIndex + value.length;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Their unquoted values are the header rules' (above), which keep an authorization's scheme. */
const LINE_VALUED = /^(?:(?:set-)?cookie|(?:proxy-)?authorization)$/i;
const QUOTE = /^\\?["']/;

function quoted(value: string): string {
  const open = QUOTE.exec(value)?.[0] ?? '';
  const closed = open !== '' && value.length > open.length && value.endsWith(open);
  return `${open}${REDACTED}${closed ? open : ''}`;
}

/** Cuts credentials out of free text: error messages that quote a header, a body or a URL. */
export function scrubText(text: string): string {
  let scrubbed = text;
  for (const [pattern, replace] of RULES) scrubbed = scrubbed.replace(pattern, replace as never);
  return redactPairs(scrubbed);
}

/**
 * Scrubs an error's message and stack, and its causes', in place: its class and fields stay, so a
 * Temporal failure keeps the type and retry flags its retry policy reads.
 */
export function scrubError<T>(error: T): T {
  const seen = new Set<unknown>();
  for (let current: unknown = error; current instanceof Error && !seen.has(current); current = current.cause) {
    seen.add(current);
    current.message = scrubText(current.message);
    if (current.stack) current.stack = scrubText(current.stack);
  }
  return error;
}

const CIRCULAR = '[Circular]';

/**
 * A copy of `value` with secret fields redacted and every string scrubbed, at any depth. Objects
 * with nothing to redact come back as they were (no copy); errors become plain objects by `toPlain`.
 */
export function scrubFields<T>(value: T, toPlain: (error: Error) => object = plainError): T {
  return walk(value, toPlain, []) as T;
}

function plainError(error: Error): object {
  const { name, message, stack, cause } = error as Error & { cause?: unknown };
  return { ...error, type: name, message, stack, ...(cause === undefined ? {} : { cause }) };
}

function walk(value: unknown, toPlain: (error: Error) => object, ancestors: object[]): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.includes(value)) return CIRCULAR;
  if (value instanceof Error) return walk(toPlain(value), toPlain, ancestors);
  if (value instanceof Date || ArrayBuffer.isView(value)) return value;
  // What JSON.stringify would write of it (a URL's href, say), scrubbed.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return walk((value as { toJSON: () => unknown }).toJSON(), toPlain, ancestors);
  }
  ancestors.push(value);
  try {
    return Array.isArray(value) ? walkArray(value, toPlain, ancestors) : walkObject(value, toPlain, ancestors);
  } finally {
    ancestors.pop();
  }
}

function walkArray(items: unknown[], toPlain: (error: Error) => object, ancestors: object[]): unknown[] {
  let copy: unknown[] | undefined;
  items.forEach((item, index) => {
    const scrubbed = walk(item, toPlain, ancestors);
    if (scrubbed !== item) (copy ??= [...items])[index] = scrubbed;
  });
  return copy ?? items;
}

function walkObject(object: object, toPlain: (error: Error) => object, ancestors: object[]): object {
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(object)) {
    const scrubbed =
      isSecretKey(key) && item !== undefined && item !== null ? REDACTED : walk(item, toPlain, ancestors);
    if (scrubbed !== item) (copy ??= { ...object })[key] = scrubbed;
  }
  return copy ?? object;
}
