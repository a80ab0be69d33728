/**
 * The logger censors password hashes, stored or imported, wherever a careless log call puts them
 * (a failed import line, an identity record), as it censors passwords.
 */
import { hashSync as bcryptHash } from '@node-rs/bcrypt';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/logger.js';
import { logSink } from '../../support/log-sink.js';

describe('the log', () => {
  it('never shows a password_hash or a custom_password_hash', () => {
    const lines: unknown[] = [];
    const logger = createLogger('info', logSink(lines));
    const hash = bcryptHash('a password', 4);
    logger.info({ password_hash: hash }, 'a bare hash');
    logger.info({ identity: { id: 'x', password_hash: hash } }, 'an identity');
    logger.warn(
      { line: { email: 'a@example.com', custom_password_hash: { algorithm: 'bcrypt', hash: { value: hash } } } },
      'an import line',
    );
    const written = JSON.stringify(lines);
    expect(lines).toHaveLength(3);
    expect(written).not.toContain(hash.slice(7));
    expect(written).toContain('a@example.com');
  });
});
