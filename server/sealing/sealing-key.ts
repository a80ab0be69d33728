/**
 * Where the key that seals secrets at rest comes from: SEALING_KEY, or, for the embedded
 * default only, a file made in DATA_DIR on first start. Never the database it seals.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Config, ConfigError } from '../config.js';
import type { Logger } from '../logger.js';

const SEALING_KEY_FILE = 'sealing-key';

export interface SealingKey {
  key: Buffer;
  /** Names where the key came from, for a message that says which key failed. */
  source: string;
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Made under a temporary name and linked into place, so a second process starting on the same
 * DATA_DIR (the CLI beside the server) either makes the file or reads it whole, never half.
 */
async function createKeyFile(file: string, logger: Logger): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const draft = `${file}.${randomBytes(6).toString('hex')}`;
  await writeFile(draft, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(draft, file);
    logger.info({ file }, 'made a sealing key for the embedded database; back it up with DATA_DIR');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(draft);
  }
}

async function readOrCreateKeyFile(file: string, logger: Logger): Promise<Buffer> {
  let text = await readIfPresent(file);
  if (text === undefined) {
    await createKeyFile(file, logger);
    text = await readFile(file, 'utf8');
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new ConfigError(`invalid configuration: ${file} must hold base64 of 32 random bytes, as Tessera writes it`);
  if (((await stat(file)).mode & 0o077) !== 0) logger.warn({ file }, 'the sealing key file is readable by other users; chmod 600 it');
  return key;
}

export async function resolveSealingKey(config: Config, logger: Logger): Promise<SealingKey> {
  if (config.sealingKey) return { key: config.sealingKey, source: 'SEALING_KEY' };
  // config.ts refuses DATABASE_URL without SEALING_KEY; this guards callers that build a Config by hand.
  if (config.databaseUrl) throw new ConfigError('invalid configuration: SEALING_KEY is required with DATABASE_URL');
  const file = path.join(config.dataDir, SEALING_KEY_FILE);
  return { key: await readOrCreateKeyFile(file, logger), source: file };
}
