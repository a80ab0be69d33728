/**
 * Reads RULES_DIR once, at start-up: every `.js`, `.mjs`, `.cjs` or `.ts` file directly in
 * it, sorted by name, each exporting `onExecutePostLogin` (Auth0 Actions' name, so an
 * Action's code runs unchanged). Anything wrong stops start-up with a message naming the file.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../config.js';
import type { PostLoginEvent } from './post-login.js';
import type { PostLoginApi } from './rule-api.js';

export type OnExecutePostLogin = (event: PostLoginEvent, api: PostLoginApi) => unknown;

export interface LoadedRule {
  /** The file name, as logs and error pages show it. */
  readonly name: string;
  readonly onExecutePostLogin: OnExecutePostLogin;
}

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

type RuleModule = { onExecutePostLogin?: unknown; default?: { onExecutePostLogin?: unknown } };

async function loadRule(dir: string, name: string): Promise<LoadedRule> {
  let module: RuleModule;
  try {
    module = (await import(pathToFileURL(path.join(dir, name)).href)) as RuleModule;
  } catch (error) {
    throw invalid(`rule ${name} could not be loaded: ${(error as Error).message}`);
  }
  // A CommonJS module's exports are its default export when Node cannot list them statically.
  const onExecutePostLogin = module.onExecutePostLogin ?? module.default?.onExecutePostLogin;
  if (typeof onExecutePostLogin !== 'function') throw invalid(`rule ${name} does not export an onExecutePostLogin function`);
  return Object.freeze({ name, onExecutePostLogin: onExecutePostLogin as OnExecutePostLogin });
}

export async function loadRules(dir: string): Promise<LoadedRule[]> {
  const rules: LoadedRule[] = [];
  for (const name of await listRuleFiles(dir)) rules.push(await loadRule(dir, name));
  return rules;
}
