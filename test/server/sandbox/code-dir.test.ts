import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodePathError, createCodeDir } from '../../../server/sandbox/code-dir.js';

describe('CODE_DIR confinement', () => {
  let root: string;
  let codeDir: string;
  let outside: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'tessera-code-dir-'));
    codeDir = path.join(root, 'code');
    outside = path.join(root, 'outside.mjs');
    await mkdir(path.join(codeDir, 'lib'), { recursive: true });
    await writeFile(path.join(codeDir, 'lib', 'script.mjs'), '');
    await writeFile(path.join(codeDir, '..dotted.mjs'), '');
    await writeFile(outside, '');
    await symlink(path.join(codeDir, 'lib', 'script.mjs'), path.join(codeDir, 'inner-link.mjs'));
    await symlink(outside, path.join(codeDir, 'outer-link.mjs'));
    await symlink(root, path.join(codeDir, 'parent'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  const refusal = (option: string, dir: string | undefined) =>
    createCodeDir(dir)
      .resolve(option)
      .then(
        () => undefined,
        (error: unknown) => (error instanceof CodePathError ? error.message : `not a CodePathError: ${String(error)}`),
      );

  it('resolves a relative path, an absolute path inside it, a file whose name starts with two dots and a link that stays inside', async () => {
    const real = path.join(codeDir, 'lib', 'script.mjs');
    expect(await createCodeDir(codeDir).resolve('lib/script.mjs')).toBe(real);
    expect(await createCodeDir(codeDir).resolve(real)).toBe(real);
    expect(await createCodeDir(codeDir).resolve('inner-link.mjs')).toBe(real);
    expect(await createCodeDir(codeDir).resolve('..dotted.mjs')).toBe(path.join(codeDir, '..dotted.mjs'));
  });

  it.each([
    ['a ".." segment, even one that stays inside', 'lib/../lib/script.mjs', '".."'],
    ['an absolute path outside', '/etc/passwd', 'inside CODE_DIR'],
    ['a link to a file outside', 'outer-link.mjs', 'symbolic link'],
    ['a path through a linked folder outside', 'parent/outside.mjs', 'symbolic link'],
    ['a folder', 'lib', 'not a file'],
    ['a missing file', 'lib/none.mjs', 'no such file'],
    ['a NUL byte', 'lib/script.mjs\u0000', 'NUL'],
  ])('refuses %s', async (_what, option, says) => {
    expect(await refusal(option, codeDir)).toContain(says);
  });

  it('refuses everything when CODE_DIR is unset', async () => {
    expect(await refusal('lib/script.mjs', undefined)).toContain('CODE_DIR is unset');
  });
});
