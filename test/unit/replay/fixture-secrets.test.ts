/**
 * The recorded histories are committed: none may hold a secret. Payloads are base64 in the JSON, so
 * the scan reads each one decoded as well as the file itself, for the harness's seeded secrets, the
 * simulator's issued tokens, and anything secret-shaped (a bearer token, an Amazon LWA token or client
 * secret, a JWT, a private key, an AWS key id, a URL with a password, a credential in a query string, a
 * JSON field or header named like a credential with a value, in any case).
 */
import { ISSUED_TOKEN, SECRET_MARKER } from '../../../scripts/harness/sellers';
import { recordedHistories } from './histories';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const SECRET_SHAPES: Record<string, RegExp> = {
  'seeded secret': new RegExp(escape(SECRET_MARKER)),
  'token the simulator issued': ISSUED_TOKEN,
  'bearer token': /bearer\s+(?!\[redacted\])[^\s"'\\]{8,}/i,
  'Amazon LWA token': /\bAtz[ar](\||%7C)/i,
  'Amazon LWA client secret': /amzn1\.oa2-cs\.v1\./,
  JWT: /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./,
  'private key': /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  'AWS access key id': /\b(AKIA|ASIA)[0-9A-Z]{16}\b/,
  'URL with a password': /[a-z][a-z0-9+.-]*:\/\/[^\s:/@"]*:[^\s@/"]+@/i,
  'credential in a query string':
    /[?&](access_token|refresh_token|client_secret|api_?key|token|password)=(?!\[redacted\])[^&\s"]/i,
  'credential field': new RegExp(
    String.raw`"(password|passwd|secret|client[-_]?secret|(access|refresh|id)[-_]?token|token|api[-_]?key|x-api-key|x-amz-access-token|x-amz-security-token|authorization|cookie|set-cookie|credentials)"\s*:\s*"(?!\[redacted\]")[^"]+"`,
    'i',
  ),
};

/** The text itself and every base64 `data` value in it decoded. */
function withDecodedPayloads(text: string): string {
  const decoded: string[] = [];
  JSON.parse(text, (key, value: unknown) => {
    if (key === 'data' && typeof value === 'string') decoded.push(Buffer.from(value, 'base64').toString('utf8'));
    return value;
  });
  return [text, ...decoded].join('\n');
}

/** The names of the secret shapes found in a recorded file's text. */
function secretsIn(text: string): string[] {
  const scanned = withDecodedPayloads(text);
  return Object.entries(SECRET_SHAPES)
    .filter(([, shape]) => shape.test(scanned))
    .map(([name]) => name);
}

const history = (payload: object) =>
  JSON.stringify({
    events: [{ input: { payloads: [{ data: Buffer.from(JSON.stringify(payload)).toString('base64') }] } }],
  });

it('finds a secret in a payload, where only decoding shows it', () => {
  expect(secretsIn(history({ accountId: 'a1', accessToken: 'sim-ajio-abc123' }))).toEqual([
    'token the simulator issued',
    'credential field',
  ]);
  expect(secretsIn(history({ headers: { authorization: 'Bearer abcdefgh12345' } }))).toEqual([
    'bearer token',
    'credential field',
  ]);
  expect(secretsIn(history({ url: 'postgres://app:hunter2@db:5432/app' }))).toEqual(['URL with a password']);
  expect(secretsIn(history({ url: 'redis://:hunter2@cache:6379' }))).toEqual(['URL with a password']);
  expect(secretsIn(history({ headers: { 'X-Amz-Access-Token': 'Atza|IwEBIA/x+y=' } }))).toEqual([
    'Amazon LWA token',
    'credential field',
  ]);
  expect(secretsIn(history({ detail: 'rejected amzn1.oa2-cs.v1.0a1b2c3d' }))).toEqual(['Amazon LWA client secret']);
  expect(secretsIn(history({ url: 'https://api.example.com/o?page=2&client_secret=abc123' }))).toEqual([
    'credential in a query string',
  ]);
  expect(
    secretsIn(history({ error: 'HTTP 401 (Bearer [redacted], token=[redacted])', authorization: '[redacted]' })),
  ).toEqual([]);
  expect(secretsIn(history({ accountId: 'a1', idempotencyKey: 'inventory.deduct:a1:t1' }))).toEqual([]);
});

it.each(recordedHistories().map((recorded) => [recorded.file, recorded.text] as const))(
  '%s holds no secret',
  (_file, text) => {
    expect(secretsIn(text)).toEqual([]);
  },
);
