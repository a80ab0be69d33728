/**
 * CODE_DIR: the one folder operator code (custom database scripts, profile mapper modules) is
 * loaded from. A connection option names a file relative to it (or an absolute path inside
 * it); the file's real path, symbolic links resolved, must lie inside CODE_DIR's real path, so
 * a connection can never point Tessera at its own modules or anything else on the server.
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/** Why an option cannot name operator code; the message names no path outside the option itself. */
export class CodePathError extends Error {
  override name = 'CodePathError';
}

export interface CodeDir {
  /** The real path of the file `option` names inside CODE_DIR; CodePathError otherwise. */
  resolve(option: string): Promise<string>;
}

function inside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

export function createCodeDir(dir: string | undefined): CodeDir {
  return {
    async resolve(option) {
      if (!dir) throw new CodePathError('CODE_DIR is unset, so no operator code can be loaded; set CODE_DIR to the folder holding it');
      if (option.includes('\0')) throw new CodePathError('must not contain a NUL character');
      if (option.split(/[\\/]/).includes('..')) throw new CodePathError('must not contain ".."; name a file inside CODE_DIR');
      const lexical = path.resolve(dir, option);
      if (!inside(dir, lexical)) throw new CodePathError('must name a file inside CODE_DIR');
      let root: string;
      let real: string;
      try {
        root = await realpath(dir);
      } catch {
        throw new CodePathError('CODE_DIR cannot be read');
      }
      try {
        real = await realpath(lexical);
      } catch {
        throw new CodePathError(`no such file in CODE_DIR: ${option}`);
      }
      // A symbolic link inside CODE_DIR may point anywhere: what counts is where it leads.
      if (!inside(root, real)) throw new CodePathError('must name a file inside CODE_DIR (a symbolic link leads outside it)');
      if (!(await stat(real)).isFile()) throw new CodePathError(`not a file: ${option}`);
      return real;
    },
  };
}
