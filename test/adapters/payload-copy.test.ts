import { describe, expect, it } from 'vitest';
import { copyPayload } from '../../adapters/oidc/payload-copy.js';

describe('copying an artifact payload', () => {
  it('copies every level, so changing the copy leaves the original as it was', () => {
    const original = { jti: 'g1', openid: { scope: 'openid email' }, resources: { api: ['read', 'write'] }, rotations: 2, sid: null };
    const copied = copyPayload(original);
    expect(copied).toEqual(original);
    copied.openid.scope = 'openid';
    copied.resources.api.push('admin');
    expect(original).toEqual({
      jti: 'g1',
      openid: { scope: 'openid email' },
      resources: { api: ['read', 'write'] },
      rotations: 2,
      sid: null,
    });
  });

  it('keeps a "__proto__" key from parsed JSON as data, never as the prototype', () => {
    const parsed = JSON.parse('{"params": {"__proto__": {"polluted": true}, "scope": "openid"}}') as { params: Record<string, unknown> };
    const copied = copyPayload(parsed);
    expect(Object.getPrototypeOf(copied.params)).toBe(Object.prototype);
    expect((copied.params as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.keys(copied.params)).toEqual(['__proto__', 'scope']);
  });
});
