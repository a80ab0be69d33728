import { afterAll, describe, expect, it } from 'vitest';
import { applyMapping, createMapperLoader, effectiveMapping, normalizeProfile } from '../../../server/connections/normalize.js';
import { isDomainError } from '../../../server/errors.js';
import { createLogger } from '../../../server/logger.js';
import { createCodeDir } from '../../../server/sandbox/code-dir.js';
import { createSandbox } from '../../../server/sandbox/sandbox.js';
import { FIXTURES_DIR } from '../../support/tessera.js';

const logger = createLogger('silent');
const sandbox = createSandbox(logger);
afterAll(() => sandbox.close());
const loadMapper = createMapperLoader({ sandbox, codeDir: createCodeDir(FIXTURES_DIR), logger });
const connection = (strategy: 'oidc' | 'ldap' | 'saml' | 'custom', options = {}) => ({ name: 'Upstream', strategy, options });

describe('profile normalization', () => {
  it.each([
    ['surname', 'family_name'],
    ['last_name', 'family_name'],
    ['sn', 'family_name'],
    ['givenName', 'given_name'],
    ['first_name', 'given_name'],
    ['mail', 'email'],
    ['displayName', 'name'],
    ['cn', 'name'],
  ])('maps %s to %s by default', (upstream, field) => {
    const value = field === 'email' ? 'jane@example.com' : 'Value';
    expect(applyMapping(effectiveMapping('ldap', undefined), { [upstream]: value })).toEqual({ [field]: value });
  });

  it('prefers the standard name when an upstream sends both', () => {
    expect(applyMapping(effectiveMapping('oidc', undefined), { family_name: 'Doe', surname: 'Other' })).toEqual({ family_name: 'Doe' });
  });

  it('reads SAML attribute URIs and takes the first value of multi-valued attributes', () => {
    const mapped = applyMapping(effectiveMapping('saml', undefined), {
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': ['Jane@Example.com', 'other@example.com'],
      'urn:oid:2.5.4.42': 'Jane',
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname': 'Doe',
    });
    expect(mapped).toEqual({ email: 'jane@example.com', given_name: 'Jane', family_name: 'Doe' });
  });

  it('matches attribute names in any case, as directories do, preferring an exact match', () => {
    expect(applyMapping(effectiveMapping('ldap', { family_name: 'lastName' }), { LASTNAME: 'Doe', Mail: 'j@example.com' })).toEqual({
      family_name: 'Doe',
      email: 'j@example.com',
    });
    expect(applyMapping(effectiveMapping('ldap', undefined), { SN: 'Upper', sn: 'Exact' })).toEqual({ family_name: 'Exact' });
  });

  it('turns "true" strings into booleans for the verified flags', () => {
    expect(applyMapping(effectiveMapping('saml', undefined), { email_verified: 'true' })).toEqual({ email_verified: true });
  });

  it('lets a connection override a field declaratively, with one name or several', async () => {
    const profile = await normalizeProfile(
      {
        connection: connection('ldap', { mapping: { family_name: 'lastname', nickname: ['alias', 'uid'] } }),
        attributes: { sn: 'Ignored', lastname: 'Doe', uid: 'jdoe' },
      },
      loadMapper,
    );
    expect(profile).toEqual({ family_name: 'Doe', nickname: 'jdoe' });
  });

  it('applies a mapper module after the declarative mapping, its answer winning', async () => {
    const profile = await normalizeProfile(
      {
        connection: connection('oidc', { mapper: 'mappers/upper-nickname.mjs' }),
        attributes: { handle: 'jd', nickname: 'plain', email: 'jd@example.com' },
      },
      loadMapper,
    );
    expect(profile).toEqual({ email: 'jd@example.com', nickname: 'JD@Upstream' });
  });

  it('fails with the field named when the mapped email is invalid', async () => {
    const error = await normalizeProfile({ connection: connection('oidc'), attributes: { email: 'not-an-email' } }, loadMapper).catch(
      (caught: unknown) => caught,
    );
    expect(isDomainError(error, 'profile.invalid')).toBe(true);
    expect((error as Error).message).toMatch(/connection "Upstream" returned an invalid profile: email/);
  });

  it('drops an upstream picture that is not an https URL and keeps the rest of the profile', async () => {
    for (const picture of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'http://evil.example.com/a.png']) {
      const profile = await normalizeProfile(
        { connection: connection('oidc'), attributes: { email: 'pic@example.com', picture } },
        loadMapper,
      );
      expect(profile).toEqual({ email: 'pic@example.com' });
    }
    const kept = await normalizeProfile(
      { connection: connection('oidc'), attributes: { picture: 'https://images.example.com/a.png' } },
      loadMapper,
    );
    expect(kept).toEqual({ picture: 'https://images.example.com/a.png' });
  });

  it('fails with the field named when an upstream attribute holds the NUL character, which PostgreSQL cannot store', async () => {
    const error = await normalizeProfile({ connection: connection('ldap'), attributes: { cn: 'Jane\u0000Doe' } }, loadMapper).catch(
      (caught: unknown) => caught,
    );
    expect(isDomainError(error, 'profile.invalid')).toBe(true);
    expect((error as Error).message).toBe('connection "Upstream" returned an invalid profile: name: must not contain the NUL character');
  });

  it('fails clearly when the mapper module throws or returns something else than an object', async () => {
    const thrown = await normalizeProfile(
      { connection: connection('oidc', { mapper: 'mappers/broken.mjs' }), attributes: {} },
      loadMapper,
    ).catch((caught: unknown) => caught);
    expect(isDomainError(thrown, 'profile.invalid')).toBe(true);
    expect((thrown as Error).message).toContain('directory schema changed');
    const missing = await normalizeProfile(
      { connection: connection('oidc', { mapper: 'mappers/none.mjs' }), attributes: {} },
      loadMapper,
    ).catch((caught: unknown) => caught);
    expect(isDomainError(missing, 'profile.invalid')).toBe(true);
  });
});
