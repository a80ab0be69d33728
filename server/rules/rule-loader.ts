/**
 * Reads RULES_DIR once, at start-up: every `.js`, `.mjs`, `.cjs` or `.ts` file directly in
 * it, sorted by name, each exporting `onExecutePostLogin` (Auth0 Actions' name, so an
 * Action's code runs unchanged). Anything wrong stops start-up with a message naming the file.
 * Rules are imported in the sandbox's worker threads only, never in Tessera's own; each new
 * worker imports them afresh, so restart Tessera after changing a rule rather than let old
 * and new versions run side by side.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../config.js';
import type { Sandbox } from '../sandbox/sandbox.js';

export interface LoadedRule {
  /** The file name, as logs and error pages show it. */
  readonly name: string;
  /** Its absolute path, which the sandbox imports. */
  readonly file: string;
}

/** Importing a rule runs its top-level code: a module stuck there stops start-up rather than hanging it. */
const LOAD_TIME_LIMIT_MS = 30_000;

const RULE_FILE = /\.(?:js|mjs|cjs|ts)$/;

function isRuleFile(name: string): boolean {
  // Dot files include the `..data` entries of mounted Kubernetes ConfigMaps.
  return RULE_FILE.test(name) && !name.endsWith('.d.ts') && !name.startsWith('.');
}

function invalid(message: string): ConfigError {
  return new ConfigError(`invalid configuration: RULES_DIR: ${message}`);
}

async function listRuleFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw invalid(`${dir} does not exist`);
    if (code === 'ENOTDIR') throw invalid(`${dir} is not a directory`);
    throw invalid(`${dir} cannot be read (${code ?? (error as Error).message})`);
  }
  const files: string[] = [];
  // Plain string order, whatever the locale: 10-… runs before 20-…, and before 9-….
  for (const name of names.filter(isRuleFile).sort()) {
    // stat, not the directory entry: mounted rules are often symbolic links.
    if ((await stat(path.join(dir, name))).isFile()) files.push(name);
  }
  return files;
}

async function loadRule(sandbox: Sandbox, dir: string, name: string): Promise<LoadedRule> {
  const file = path.join(dir, name);
  const outcome = await sandbox.run({ kind: 'inspect', file, required: ['onExecutePostLogin'] }, LOAD_TIME_LIMIT_MS);
  switch (outcome.status) {
    case 'returned':
      return Object.freeze({ name, file });
    case 'incomplete':
      throw invalid(`rule ${name} does not export an onExecutePostLogin function`);
    case 'timed-out':
      throw invalid(`rule ${name} could not be loaded: its top-level code ran for more than ${LOAD_TIME_LIMIT_MS} ms`);
    default:
      throw invalid(`rule ${name} could not be loaded: ${outcome.error.message}`);
  }
}

export async function loadRules(dir: string, sandbox: Sandbox): Promise<LoadedRule[]> {
  const rules: LoadedRule[] = [];
  for (const name of await listRuleFiles(dir)) rules.push(await loadRule(sandbox, dir, name));
  return rules;
}
