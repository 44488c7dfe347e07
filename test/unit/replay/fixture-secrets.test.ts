/**
 * The recorded histories are committed: none may hold a secret. Payloads are base64 in the JSON, so
 * the scan reads each one decoded as well as the file itself, for the harness's seeded secrets, the
 * simulator's issued tokens, and anything secret-shaped (a bearer token, a JWT, a private key, an AWS
 * key id, a URL with a password, a JSON field named like a credential with a value).
 */
import { ISSUED_TOKEN, SECRET_MARKER } from '../../../scripts/harness/sellers';
import { recordedHistories } from './histories';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const SECRET_SHAPES: Record<string, RegExp> = {
  'seeded secret': new RegExp(escape(SECRET_MARKER)),
  'token the simulator issued': ISSUED_TOKEN,
  'bearer token': /bearer\s+[A-Za-z0-9._~+/=-]{8,}/i,
  JWT: /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./,
  'private key': /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  'AWS access key id': /\b(AKIA|ASIA)[0-9A-Z]{16}\b/,
  'URL with a password': /[a-z][a-z0-9+.-]*:\/\/[^\s:/@"]+:[^\s@/"]+@/i,
  'credential field': new RegExp(
    String.raw`"(password|passwd|secret|client_?secret|(access|refresh|id)_?token|token|api_?key|authorization)"\s*:\s*"[^"]+"`,
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
  expect(secretsIn(history({ accountId: 'a1', idempotencyKey: 'inventory.deduct:a1:t1' }))).toEqual([]);
});

it.each(recordedHistories().map((recorded) => [recorded.file, recorded.text] as const))(
  '%s holds no secret',
  (_file, text) => {
    expect(secretsIn(text)).toEqual([]);
  },
);
