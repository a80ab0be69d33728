/**
 * `npm test` is what CI trusts: a failing test must make it exit non-zero, with the real
 * global setup (embedded PostgreSQL, redis-server) loaded in the runner's own process.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function runVitest(config: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', config], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

it('exits non-zero when a test fails, with the embedded PostgreSQL started by the global setup', async () => {
  const { code, output } = await runVitest('test/fixtures/failing-suite/vitest.config.ts');
  expect(output).toContain('fails on purpose');
  expect(code).toBe(1);
}, 120_000);
