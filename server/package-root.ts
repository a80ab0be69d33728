/**
 * The folder holding Tessera's package.json, found the same from source (`server/…`, run by tsx
 * and the tests) and compiled (`dist/server/…`, run by `npm start` and the image): the console's
 * and the account page's bundles are found from it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

function findPackageRoot(from: string): string {
  for (let folder = from; ; folder = path.dirname(folder)) {
    if (existsSync(path.join(folder, 'package.json'))) return folder;
    if (path.dirname(folder) === folder) throw new Error(`no package.json in ${from} or above it`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(import.meta.dirname);
