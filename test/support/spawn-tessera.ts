/**
 * Runs Tessera as its own process, from source or compiled as `npm start` runs it, for start-up tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { TEST_SEALING_KEY } from './tessera.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Spawned {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

/** `nodeArgs` go to node before the script, such as an `--import` that changes module resolution. */
export function spawnTessera(env: Record<string, string>, nodeArgs: readonly string[] = []): Spawned {
  return spawnNode(['--import', 'tsx', ...nodeArgs, 'server/index.ts'], env);
}

/** Runs compiled JavaScript, as `npm start` and the image do: `script` is a built server/index.js. */
export function spawnCompiledTessera(script: string, env: Record<string, string>): Spawned {
  return spawnNode([script], env);
}

function spawnNode(args: readonly string[], env: Record<string, string>): Spawned {
  const baseEnv = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !['DATABASE_URL', 'REDIS_URL', 'ISSUER', 'PORT', 'DATA_DIR', 'SEALING_KEY', 'SEALING_KEY_PREVIOUS'].includes(key),
    ),
  );
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...baseEnv, LOG_LEVEL: 'info', SEALING_KEY: TEST_SEALING_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => ({ stdout, stderr }), exited };
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
