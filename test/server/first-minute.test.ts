import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../adapters/postgres/free-port.js';
import { announce, logFormat } from '../../server/first-minute.js';
import { createLogger } from '../../server/logger.js';
import { createTestDatabase } from '../support/databases.js';
import { spawnTessera, waitFor } from '../support/spawn-tessera.js';

const ISSUER = 'https://id.example.com';
const SETUP = `${ISSUER}/admin/setup?token=${'t'.repeat(43)}`;

describe('the first minute', () => {
  it('logs human-readable on a terminal and JSON lines otherwise', () => {
    expect(logFormat(true)).toBe('pretty');
    expect(logFormat(false)).toBe('json');
  });

  it('prints a banner on a terminal with the issuer, discovery, the console and the setup link, and no log line', () => {
    const { banner, setupLogLine } = announce(true, { issuer: ISSUER, setupLink: SETUP });
    expect(setupLogLine).toBeUndefined();
    expect(banner).toContain(`Issuer     ${ISSUER}`);
    expect(banner).toContain(`${ISSUER}/.well-known/openid-configuration`);
    expect(banner).toContain(`Console    ${ISSUER}/admin`);
    expect(banner?.split(SETUP)).toHaveLength(2);
  });

  it('leaves the setup link out of the banner once an administrator exists', () => {
    const { banner } = announce(true, { issuer: ISSUER, setupLink: undefined });
    expect(banner).toContain(`${ISSUER}/admin`);
    expect(banner).not.toContain('setup');
  });

  it('prints no banner elsewhere, and the setup link as one log line while there is no administrator', () => {
    expect(announce(false, { issuer: ISSUER, setupLink: SETUP })).toEqual({
      banner: undefined,
      setupLogLine: { fields: { setup_url: SETUP }, message: expect.stringContaining('single-use') },
    });
    expect(announce(false, { issuer: ISSUER, setupLink: undefined })).toEqual({ banner: undefined, setupLogLine: undefined });
  });

  it('formats pretty logs as text, still redacting secrets', () => {
    let written = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written += chunk.toString();
        done();
      },
    });
    createLogger('info', sink, 'pretty').info({ password: 'hunter2-secret' }, 'hello operator');
    expect(written).toContain('hello operator');
    expect(written).not.toContain('hunter2-secret');
    expect(() => JSON.parse(written.split('\n')[0] ?? '')).toThrow();
  });

  it('npm start without a terminal writes JSON lines only, the setup link in exactly one of them', async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const tessera = spawnTessera({ DATABASE_URL: await createTestDatabase(), PORT: String(port), ISSUER: issuer });
    try {
      await waitFor(async () => tessera.output().stdout.includes('setup_url'), 60_000);
      const lines = tessera.output().stdout.trim().split('\n');
      const parsed = lines.map((line) => JSON.parse(line) as { setup_url?: string; level: number });
      const withLink = parsed.filter((line) => line.setup_url);
      expect(withLink).toHaveLength(1);
      const link = withLink[0]?.setup_url ?? '';
      expect(link).toMatch(new RegExp(`^${issuer}/admin/setup\\?token=[A-Za-z0-9_-]{43}$`));
      const token = new URL(link).searchParams.get('token') ?? '';
      expect(lines.filter((line) => line.includes(token))).toHaveLength(1);
      expect(tessera.output().stderr).not.toContain(token);
      expect((await fetch(link)).status).toBe(200);
    } finally {
      tessera.child.kill('SIGTERM');
      await tessera.exited;
    }
  });
});
