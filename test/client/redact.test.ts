/**
 * redact(): what error messages and logs show of credentials. Each case is text an error or a log
 * line can carry; a password must never survive, and ordinary text (file paths) must survive whole.
 */
import { describe, expect, it } from 'vitest';
import { redact } from '../../src/errors.js';

describe('redact', () => {
  it.each([
    ['password=hunter2', 'password=***'],
    ['DB_PASSWORD=hunter2 next', 'DB_PASSWORD=*** next'],
    ['{"password": "hunter2"}', '{"password": ***}'],
    ['{"db_password":"hunter2","user":"a"}', '{"db_password":***,"user":"a"}'],
    ['{"api-token": "abc123"}', '{"api-token": ***}'],
    ['client_secret: abc123', 'client_secret: ***'],
    ['fetch https://alice:hunter2@example.com/x failed', 'fetch https://***@example.com/x failed'],
    ['Authorization: Bearer abc.def.ghi', 'Authorization: Bearer ***'],
  ])('hides the credential in %j', (text, shown) => {
    expect(redact(text)).toBe(shown);
    expect(redact(text)).not.toMatch(/hunter2|abc123|abc\.def/);
  });

  it.each([
    'local/www-data/prod/web/0:"../../etc/passwd": the path leads outside the sandbox',
    '"links/to-secret": the symlink leads outside the sandbox',
    'cannot read /run/secrets/token-file: permission denied',
  ])('leaves a path that ends in a field name alone: %j', (text) => {
    expect(redact(text)).toBe(text);
  });
});
