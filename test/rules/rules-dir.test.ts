import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { loadRules } from '../../server/rules/rule-loader.js';
import { createSandbox } from '../../server/sandbox/sandbox.js';
import { openTessera } from '../../server/tessera.js';
import { createTestDatabase } from '../support/databases.js';
import { TEST_SEALING_KEY } from '../support/tessera.js';

describe('RULES_DIR at start-up', () => {
  const dirs: string[] = [];
  const sandbox = createSandbox(createLogger('silent'));
  afterAll(() => sandbox.close());
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function rulesDir(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'tessera-rules-dir-'));
    dirs.push(dir);
    for (const [name, source] of Object.entries(files)) await writeFile(path.join(dir, name), source);
    return dir;
  }

  async function open(dir: string) {
    const config = loadConfig({
      DATABASE_URL: await createTestDatabase(),
      SEALING_KEY: TEST_SEALING_KEY,
      RULES_DIR: dir,
      LOG_LEVEL: 'silent',
    });
    return openTessera(config, createLogger('silent'));
  }

  it('fails start-up naming RULES_DIR when the folder does not exist', async () => {
    const missing = path.join(tmpdir(), 'tessera-no-such-rules-dir');
    await expect(open(missing)).rejects.toThrow(`invalid configuration: RULES_DIR: ${missing} does not exist`);
  });

  it('fails start-up naming a rule file that exports no onExecutePostLogin function', async () => {
    const dir = await rulesDir({
      '10-fine.mjs': 'export async function onExecutePostLogin() {}\n',
      '20-default.mjs': 'export default async function () {}\n',
    });
    await expect(open(dir)).rejects.toThrow(
      'invalid configuration: RULES_DIR: rule 20-default.mjs does not export an onExecutePostLogin function',
    );
  });

  it('fails start-up naming a rule file that cannot be loaded', async () => {
    const dir = await rulesDir({ '10-broken.mjs': 'export async function onExecutePostLogin( {\n' });
    await expect(open(dir)).rejects.toThrow(/invalid configuration: RULES_DIR: rule 10-broken\.mjs could not be loaded: /);
  });

  it('loads rule files in name order, CommonJS and symbolic links included, and nothing else', async () => {
    const dir = await rulesDir({
      '20-b.cjs': 'exports.onExecutePostLogin = async () => {};\n',
      '10-a.mjs': 'export async function onExecutePostLogin() {}\n',
      '9-c.mjs': 'export async function onExecutePostLogin() {}\n',
      'types.d.ts': 'export {};\n',
      '.hidden.mjs': 'throw new Error("not a rule");\n',
      'notes.txt': 'not a rule\n',
    });
    await symlink(path.join(dir, '10-a.mjs'), path.join(dir, '30-linked.mjs'));
    expect((await loadRules(dir, sandbox)).map((rule) => rule.name)).toEqual(['10-a.mjs', '20-b.cjs', '30-linked.mjs', '9-c.mjs']);
  });
});
