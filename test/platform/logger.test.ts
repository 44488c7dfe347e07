/** The JSON logs every role writes: shape, and what they must never contain. */
import { createLogger, REDACTED, SECRET_FIELDS } from '../../src/platform/logger';

function capture(level: 'info' | 'debug' = 'info') {
  const lines: string[] = [];
  const log = createLogger({ level, role: 'test-role' }, { write: (line: string) => lines.push(line) });
  return { log, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

it('writes one JSON object per line with level, ISO time, role and message', () => {
  const { log, parsed } = capture();
  log.child({ traceId: 'trace-1234' }).info({ accountId: 'a-1' }, 'message sent');
  log.debug('below the level: not written');
  expect(parsed()).toEqual([
    expect.objectContaining({
      level: 'info',
      role: 'test-role',
      traceId: 'trace-1234',
      accountId: 'a-1',
      msg: 'message sent',
    }),
  ]);
  expect(new Date(parsed()[0]!.time as string).toISOString()).toBe(parsed()[0]!.time);
});

it('redacts every configured secret field, at the top and nested, and keeps the rest', () => {
  const { log, lines, parsed } = capture();
  const secrets = Object.fromEntries(SECRET_FIELDS.map((field, index) => [field, `SECRET-${index}`]));
  log.info({ ...secrets, accountId: 'a-1' }, 'top level');
  log.info({ account: { id: 'a-1', ...secrets } }, 'one level down');
  log.info({ request: { headers: { authorization: 'Bearer SECRET-h', 'x-api-key': 'SECRET-k' } } }, 'two levels');
  log.info({ stored: { credentials: { refreshToken: 'SECRET-r', nested: { accessToken: 'SECRET-a' } } } }, 'object');

  const text = lines.join('');
  expect(text).not.toContain('SECRET-');
  const [top, nested, headers, object] = parsed();
  expect(top).toMatchObject({ accessToken: REDACTED, refreshToken: REDACTED, accountId: 'a-1' });
  expect(nested).toMatchObject({ account: { id: 'a-1', clientSecret: REDACTED, password: REDACTED } });
  expect(headers).toMatchObject({ request: { headers: { authorization: REDACTED, 'x-api-key': REDACTED } } });
  expect(object).toMatchObject({ stored: { credentials: REDACTED } });
});

it('cuts bearer and basic credentials out of messages and errors', () => {
  const { log, lines } = capture();
  log.warn('retrying with Authorization: Bearer SECRET-token.part-2');
  log.error({ err: new Error('upstream said: Basic SECRET-basic== is wrong') }, 'call failed');
  const text = lines.join('');
  expect(text).not.toContain('SECRET-');
  expect(text).toContain(`Bearer ${REDACTED}`);
  expect(text).toContain(`Basic ${REDACTED}`);
});
