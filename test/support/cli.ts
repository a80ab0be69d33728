/**
 * Runs the operator CLI as `npm run cli` runs it, in a child process, against a test Tessera's
 * database. The parent's REDIS_URL, DATA_DIR and SEALING_KEY_PREVIOUS stay out of it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { TEST_SEALING_KEY } from './tessera.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const WITHHELD: ReadonlySet<string> = new Set(['REDIS_URL', 'DATA_DIR', 'SEALING_KEY_PREVIOUS']);

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  tessera: { databaseUrl: string; issuer: string },
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !WITHHELD.has(key)));
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], {
    cwd: ROOT,
    env: {
      ...inherited,
      DATABASE_URL: tessera.databaseUrl,
      ISSUER: tessera.issuer,
      SEALING_KEY: TEST_SEALING_KEY,
      LOG_LEVEL: 'silent',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}
