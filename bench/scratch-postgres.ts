/** A throwaway embedded PostgreSQL in a fresh temporary directory, deleted again when it stops. */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type EmbeddedDatabase, startEmbeddedPostgres } from '../adapters/postgres/embedded.js';
import type { Logger } from '../server/logger.js';

export async function startScratchPostgres(logger: Logger): Promise<EmbeddedDatabase> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tessera-bench-'));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  try {
    // When we run as root the cluster runs as an unprivileged user, which must reach its folder.
    await chmod(dir, 0o755);
    const database = await startEmbeddedPostgres(dir, logger);
    return {
      url: database.url,
      async stop() {
        try {
          await database.stop();
        } finally {
          await removeDir();
        }
      },
    };
  } catch (error) {
    await removeDir();
    throw error;
  }
}
