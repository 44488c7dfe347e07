/**
 * Nothing secret leaves in text: a corpus of the credential shapes the four marketplaces, the stack
 * and HTTP use, each put (a) into logged objects at several depths under its field name in several
 * cases and in text, (b) into errors logged as `err` (with causes) and (c) into marketplace error
 * bodies turned into failure messages by the real failureForResponse / networkFailure. The oracle is
 * the secret itself: neither it nor any 8-character piece of it that is not also in its surrounding
 * text may be found in what was written. Ordinary text (order and SKU ids, URLs without credentials,
 * idempotency keys) must come out as it went in.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { failureForResponse, networkFailure, type CallSite } from '../../../src/marketplaces/errors';
import { createLogger, REDACTED, scrubText } from '../../../src/platform/logger';

const b64 = (bytes: number) => randomBytes(bytes).toString('base64');
const b64url = (bytes: number) => randomBytes(bytes).toString('base64url');
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const jwt = (claims: object, signatureBytes: number) =>
  [{ alg: signatureBytes > 64 ? 'RS256' : 'HS256', typ: 'JWT' }, claims]
    .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
    .concat(b64url(signatureBytes))
    .join('.');
const lwa = (kind: 'a' | 'r') => `Atz${kind}|IwEBI${b64(96)}`;
const pem = () => `-----BEGIN RSA PRIVATE KEY-----\n${b64(48)}\n${b64(48)}\n${b64(24)}\n-----END RSA PRIVATE KEY-----`;

interface Shape {
  name: string;
  /** The credential itself. */
  secret: string;
  /** The field or header name it travels under. */
  field: string;
  /** The text it appears in (a header line, a body, a URL, a sentence). */
  inText: (secret: string) => string;
}

const simToken = (marketplace: string, kind: string) => `sim-${marketplace}-${kind}-${b64url(18)}`;

const CORPUS: Shape[] = [
  {
    name: 'AJIO access token (simulator)',
    secret: simToken('ajio', 'access'),
    field: 'access_token',
    inText: (s) => `Authorization: Bearer ${s}`,
  },
  {
    name: 'AJIO refresh token in a token request body',
    secret: simToken('ajio', 'refresh'),
    field: 'refresh_token',
    inText: (s) => `{"grant_type":"refresh_token","refresh_token":"${s}"}`,
  },
  {
    name: 'AJIO JWT access token, lower-case scheme',
    secret: jwt({ sub: 'seller-42', exp: 1893456000 }, 32),
    field: 'accessToken',
    inText: (s) => `authorization: bearer ${s}`,
  },
  {
    name: 'Amazon LWA access token in x-amz-access-token',
    secret: lwa('a'),
    field: 'x-amz-access-token',
    inText: (s) => `x-amz-access-token: ${s}`,
  },
  {
    name: 'Amazon LWA access token bare in a sentence',
    secret: lwa('a'),
    field: 'token',
    inText: (s) => `the call with ${s} was refused`,
  },
  {
    name: 'Amazon LWA access token after Bearer (cut at | before)',
    secret: lwa('a'),
    field: 'authorization',
    inText: (s) => `retrying with Bearer ${s}, then giving up`,
  },
  {
    name: 'Amazon LWA refresh token in a form body',
    secret: lwa('r'),
    field: 'refresh_token',
    inText: (s) => `grant_type=refresh_token&refresh_token=${s}&client_id=amzn1.application-oa2-client.0a1b2c`,
  },
  {
    name: 'Amazon LWA refresh token URL-encoded',
    secret: `Atzr%7CIwEBI${hex(40)}`,
    field: 'refreshToken',
    inText: (s) => `POST /auth/o2/token sent ${s}`,
  },
  {
    name: 'Amazon LWA client secret',
    secret: `amzn1.oa2-cs.v1.${hex(32)}`,
    field: 'client_secret',
    inText: (s) => `LWA rejected client secret ${s} for this app`,
  },
  {
    name: 'Flipkart access token (simulator)',
    secret: simToken('flipkart', 'access'),
    field: 'accessToken',
    inText: (s) => `Authorization: Bearer ${s}`,
  },
  {
    name: 'Flipkart client credentials (Basic)',
    secret: Buffer.from(`client-acc-7:${hex(16)}`).toString('base64'),
    field: 'Authorization',
    inText: (s) => `Authorization: Basic ${s}`,
  },
  {
    name: 'Flipkart client secret in a token URL',
    secret: hex(20),
    field: 'clientSecret',
    inText: (s) =>
      `https://api.flipkart.net/oauth-service/oauth/token?grant_type=client_credentials&client_secret=${s}&scope=Seller_Api`,
  },
  {
    name: 'Flipkart opaque UUID token in a JSON answer',
    secret: randomUUID(),
    field: 'access_token',
    inText: (s) => `{"access_token":"${s}","token_type":"bearer","expires_in":3600}`,
  },
  { name: 'Meesho API key header', secret: hex(16), field: 'x-api-key', inText: (s) => `X-Api-Key: ${s}` },
  {
    name: 'Meesho API key in a query string',
    secret: `mk_live_${b64url(24)}`,
    field: 'api_key',
    inText: (s) => `GET https://supplier-api.meesho.com/v1/orders?api_key=${s}&page=3`,
  },
  {
    name: 'Bearer token with ~ + / = | characters',
    secret: `${b64url(12)}~${b64(9)}+/|${hex(6)}==`,
    field: 'authorization',
    inText: (s) => `upstream said Bearer ${s} is unknown`,
  },
  {
    name: 'Bearer token in a quoted JSON header',
    secret: b64url(30),
    field: 'Authorization',
    inText: (s) => `{"headers":{"Authorization":"Bearer ${s}"}}`,
  },
  {
    name: 'RS256 JWT bare in text',
    secret: jwt({ iss: 'https://auth.example.com', sub: 'acc-7', scope: 'orders listings' }, 256),
    field: 'id_token',
    inText: (s) => `token ${s} could not be verified`,
  },
  {
    name: 'PostgreSQL URL password',
    secret: `pg-${b64url(12)}`,
    field: 'password',
    inText: (s) => `connect ECONNREFUSED postgres://app:${s}@db.internal:5432/app`,
  },
  {
    name: 'Redis URL password without user',
    secret: b64url(16),
    field: 'redisPassword',
    inText: (s) => `redis://:${s}@cache.internal:6379/0 is not reachable`,
  },
  {
    name: 'HTTPS URL with user and password',
    secret: `p@ss-${hex(8)}`,
    field: 'passwd',
    inText: (s) => `webhook https://svc-user:${s}@hooks.example.com/in failed`,
  },
  {
    name: 'token as the user of a URL',
    secret: `ghp_${b64url(27)}`,
    field: 'githubToken',
    inText: (s) => `git fetch https://${s}@github.com/org/repo.git`,
  },
  {
    name: 'access_token in a URL query',
    secret: b64url(24),
    field: 'access_token',
    inText: (s) => `https://api.ajio.com/v1/orders?access_token=${s}&page=2`,
  },
  {
    name: 'AWS presigned URL signature',
    secret: hex(32),
    field: 'X-Amz-Signature',
    inText: (s) => `https://bucket.s3.amazonaws.com/doc.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=${s}`,
  },
  {
    name: 'AWS session token',
    secret: `FwoGZXIvYXdzE${b64(60)}`,
    field: 'X-Amz-Security-Token',
    inText: (s) => `x-amz-security-token=${s}`,
  },
  {
    name: 'AWS access key id',
    secret: `AKIA${randomBytes(16).toString('hex').toUpperCase().slice(0, 16)}`,
    field: 'aws_access_key_id',
    inText: (s) => `signed with ${s} in us-east-1`,
  },
  {
    name: 'AWS secret access key',
    secret: b64(30),
    field: 'aws_secret_access_key',
    inText: (s) => `aws_secret_access_key = ${s}`,
  },
  { name: 'PEM private key', secret: pem(), field: 'privateKey', inText: (s) => `loaded key ${s} from disk` },
  {
    name: 'session cookie',
    secret: b64url(24),
    field: 'cookie',
    inText: (s) => `Cookie: theme=dark; session=${s}; lang=en`,
  },
  {
    name: 'Set-Cookie answer',
    secret: hex(24),
    field: 'set-cookie',
    inText: (s) => `Set-Cookie: sid=${s}; Path=/; HttpOnly`,
  },
  {
    name: 'password in a JSON body',
    secret: `Hunter2-${hex(6)}`,
    field: 'password',
    inText: (s) => `{"username":"ops","password":"${s}"}`,
  },
  {
    name: 'password with spaces, quoted',
    secret: `correct horse ${hex(4)} staple`,
    field: 'dbPassword',
    inText: (s) => `password: "${s}"`,
  },
  {
    name: 'access token in XML',
    secret: b64url(20),
    field: 'AccessToken',
    inText: (s) => `<Response><AccessToken>${s}</AccessToken></Response>`,
  },
  {
    name: 'client secret in JSON escaped inside text',
    secret: hex(18),
    field: 'client_secret',
    inText: (s) => `body was {\\"client_secret\\":\\"${s}\\",\\"ok\\":false}`,
  },
  {
    name: 'Proxy-Authorization Basic',
    secret: Buffer.from(`proxy:${hex(10)}`).toString('base64'),
    field: 'proxy-authorization',
    inText: (s) => `Proxy-Authorization: Basic ${s}`,
  },
  {
    name: 'credential keyring key',
    secret: b64(32),
    field: 'CREDENTIALS_ENCRYPTION_KEY',
    inText: (s) => `CREDENTIALS_ENCRYPTION_KEY=${s}`,
  },
];

/** Text that only looks a little like a secret: it must come out as it went in. */
const ORDINARY = [
  'OD432156789012345100',
  'SKU-BLUE-TSHIRT-XL',
  'https://sellingpartnerapi-eu.amazon.com/listings/2021-08-01/items/A2EUQ1WTGCTBG2/SKU-1?marketplaceIds=A21TJRUUN4KGV',
  'https://cdn.example.com/img/user@2x.png',
  'inventory.deduct:acc-7:2026-11-22T10:05Z',
  'ajio.token-refresh:acc-7:2026-11-22T10:05:00.000Z',
  '{"token_type":"bearer","expires_in":3600}',
  '3f2b8c1e-2d4a-4f7e-9c1b-7a6e5d4c3b2a',
  'HTTP 401 (invalid_token)',
  'ops@example.com',
];

/** A field name written the ways code and HTTP write it. */
function spellings(field: string): string[] {
  const words = field
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[-_\s]+/)
    .map((word) => word.toLowerCase());
  const title = (word: string) => word[0]!.toUpperCase() + word.slice(1);
  return [
    field,
    words.join('-'),
    words.join('_').toUpperCase(),
    words.map(title).join('-'),
    words[0]! + words.slice(1).map(title).join(''),
  ];
}

const nest = (value: object, depth: number): object =>
  depth <= 1
    ? value
    : {
        level: depth,
        [depth % 2 ? 'request' : 'items']: depth % 2 ? nest(value, depth - 1) : [nest(value, depth - 1)],
      };

function capture() {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', role: 'corpus' }, { write: (line: string) => lines.push(line) });
  return { log, lines };
}

/** Every string a log line holds, decoded, and the line itself. */
function readable(lines: string[]): string {
  const strings: string[] = [];
  for (const line of lines) {
    JSON.parse(line, (_key, value: unknown) => {
      if (typeof value === 'string') strings.push(value);
      return value;
    });
  }
  return [...lines, ...strings].join('\n');
}

const SITE: CallSite = { marketplace: 'amazon', operation: 'listings-update', accountId: 'acc-7' };
const STATUSES = [400, 401, 403, 404, 429, 500, 503];

/** The logs and failure messages a shape's secret goes through. */
function writtenWith(shape: Shape): string {
  const { log, lines } = capture();
  const text = shape.inText(shape.secret);
  spellings(shape.field).forEach((name, index) => {
    for (const depth of [1, 2, 4, 7]) {
      log.info(nest({ [name]: shape.secret, detail: text, accountId: 'acc-7' }, depth + index), 'object');
    }
    log.child(nest({ [name]: shape.secret }, index + 1)).info('child bindings');
  });
  log.warn(text);
  log.info('upstream answered: %s', text);
  log.error({ err: new Error(`call failed: ${text}`, { cause: new Error(text) }) }, 'call failed');
  log.error(new Error(text));
  const messages: string[] = [];
  for (const status of STATUSES) {
    for (const body of [
      JSON.stringify({ error: text }),
      JSON.stringify({ message: text }),
      text,
      JSON.stringify({ detail: { [shape.field]: shape.secret } }),
    ]) {
      const failure = failureForResponse(SITE, status, body, null);
      messages.push(failure.message);
      log.warn({ err: failure }, 'activity attempt failed');
    }
  }
  const network = networkFailure(SITE, Object.assign(new TypeError('fetch failed'), { cause: new Error(text) }));
  messages.push(network.message);
  return [readable(lines), ...messages].join('\n');
}

/** The pieces of a secret that must not be written: itself, and its 8-character runs not in its setting. */
function telltales(shape: Shape): string[] {
  const setting = [shape.inText(REDACTED), ...spellings(shape.field), ...ORDINARY].join(' ');
  const runs = Array.from({ length: Math.max(0, shape.secret.length - 7) }, (_, i) => shape.secret.slice(i, i + 8));
  return [shape.secret, ...runs.filter((run) => !setting.includes(run))];
}

it(`has at least 30 shapes, each with a distinct secret`, () => {
  expect(CORPUS.length).toBeGreaterThanOrEqual(30);
  for (const shape of CORPUS) expect(telltales(shape).length).toBeGreaterThan(1);
});

it('writes no secret of the corpus to logs or failure messages', () => {
  const leaks = CORPUS.flatMap((shape) => {
    const written = writtenWith(shape);
    const found = telltales(shape).filter((piece) => written.includes(piece));
    return found.length > 0 ? [`${shape.name}: ${JSON.stringify(found.slice(0, 3))}`] : [];
  });
  console.log(`secret corpus: ${CORPUS.length} shapes, ${leaks.length} leaks`);
  expect(leaks).toEqual([]);
});

it('keeps ordinary text as it is, in logs and in failure messages', () => {
  const { log, lines } = capture();
  for (const text of ORDINARY) {
    log.info(nest({ detail: text, tokenExpiresAt: '2026-11-22T10:05:00.000Z', idempotencyKey: text }, 5), text);
    log.error({ err: new Error(text) }, 'call failed');
  }
  const messages = ORDINARY.flatMap((text) =>
    STATUSES.map((status) => failureForResponse(SITE, status, JSON.stringify({ error: text }), null).message),
  );
  const written = [readable(lines), ...messages].join('\n');
  expect(written).not.toContain(REDACTED);
  for (const text of ORDINARY) expect(written).toContain(text);
  for (const text of ORDINARY) expect(messages).toContain(`amazon listings-update for acc-7: HTTP 500 (${text})`);
});

it('scrubs long text in time linear in its length (a base64 blob, a run of letters, repeated names)', () => {
  const long = [
    randomBytes(150_000).toString('base64'),
    'a'.repeat(200_000),
    'a.'.repeat(100_000),
    'token: "'.repeat(25_000),
  ];
  for (const text of long) {
    const startedAt = Date.now();
    scrubText(text);
    // Linear takes a few milliseconds here; quadratic took minutes.
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  }
});
