/** The console's metadata editor: what it sends to users.update for an edit, and what it refuses. */
import { describe, expect, it } from 'vitest';
import { metadataChanges, metadataPatch, parseMetadata } from '../../console/src/metadata-patch.js';

describe('metadata editor patch', () => {
  it('sends changed and added keys with their values, null for removed ones, and nothing for keys left alone', () => {
    const before = { plan: 'free', theme: 'dark', seats: 3, tags: ['a'] };
    const after = { plan: 'pro', seats: 3, tags: ['a'], locale: 'fr' };
    const changes = metadataChanges(before, after);
    expect(changes).toEqual([
      { key: 'plan', kind: 'changed', value: 'pro' },
      { key: 'locale', kind: 'added', value: 'fr' },
      { key: 'theme', kind: 'removed' },
    ]);
    expect(metadataPatch(changes)).toEqual({ plan: 'pro', locale: 'fr', theme: null });
  });

  it('sees a nested change as a change of its top-level key, which users.update replaces whole', () => {
    const changes = metadataChanges({ address: { city: 'Lyon', zip: '69001' } }, { address: { city: 'Nice', zip: '69001' } });
    expect(metadataPatch(changes)).toEqual({ address: { city: 'Nice', zip: '69001' } });
  });

  it('has nothing to send when the text parses to the same object', () => {
    expect(metadataChanges({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 2] } })).toEqual([]);
  });

  it.each([
    ['{"plan": ', /not valid JSON/],
    ['[1, 2]', /must be a JSON object/],
    ['"text"', /must be a JSON object/],
    ['null', /must be a JSON object/],
    ['{"plan": null}', /"plan" is null/],
  ])('refuses %s before anything is sent', (text, message) => {
    const parsed = parseMetadata(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it('reads an empty editor as an empty object', () => {
    expect(parseMetadata('  ')).toEqual({ ok: true, value: {} });
  });
});
