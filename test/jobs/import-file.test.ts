/**
 * readImportFile: a JSON array cut into its elements without parsing the whole text, NDJSON
 * line by line, and the arrays refused as a whole.
 */
import { describe, expect, it } from 'vitest';
import { ImportFileRefused, readImportFile } from '../../server/jobs/import-file.js';

const entries = async (text: string) => [...(await readImportFile(text)).entries()].map(({ position, text: entry }) => [position, entry]);

describe('readImportFile', () => {
  it('cuts an array into its elements, whatever brackets, commas and escaped quotes their strings hold', async () => {
    const users = [
      { email: 'a@example.com', name: 'x], {"y": [' },
      { email: 'b@example.com', user_metadata: { q: 'say \\"hi\\", ok' } },
      3,
    ];
    const text = `\uFEFF  ${JSON.stringify(users, null, 2)}\n`;
    expect((await entries(text)).map(([position, entry]) => [position, JSON.parse(String(entry))])).toEqual(
      users.map((user, index) => [index, user]),
    );
  });

  it('gives an element that is not JSON as its own entry, so only that user is refused', async () => {
    expect(await entries('[{"email": "a@example.com"}, {email: b}, {"email": "c@example.com"}]')).toEqual([
      [0, '{"email": "a@example.com"}'],
      [1, '{email: b}'],
      [2, '{"email": "c@example.com"}'],
    ]);
  });

  it('reads an empty array as no users', async () => {
    expect(await entries(' [ ] ')).toEqual([]);
  });

  it.each([
    ['[{"email": "a@example.com"}', /ends inside the array/],
    ['[{"email": "a@example.com"}}]', /closes nothing/],
    ['[{"email": "a@example.com"}] trailing', /goes on after the array/],
    ['[{"name": "unterminated]', /ends inside the array/],
  ])('refuses %j as a whole', async (text, reason) => {
    await expect(readImportFile(text)).rejects.toThrow(ImportFileRefused);
    await expect(readImportFile(text)).rejects.toThrow(reason);
  });

  it('reads NDJSON line by line, positions counting every line, blank ones skipped', async () => {
    expect(await entries('{"email":"a@example.com"}\r\n\n  {"email":"b@example.com"}  \nnot json\n')).toEqual([
      [0, '{"email":"a@example.com"}'],
      [2, '{"email":"b@example.com"}'],
      [3, 'not json'],
    ]);
  });
});
