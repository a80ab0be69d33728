/**
 * The admin client's secret is sent by `curl -u` in the docs' own examples, which puts it in
 * HTTP Basic as it is; Basic credentials are form-urlencoded (RFC 6749 §2.3.1), so a base64 `+`
 * reads as a space and the client is refused, for about half of all base64 secrets. Every
 * recipe the docs and the configuration error give for ADMIN_CLIENT_SECRET must make a secret
 * that needs no encoding.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

function operatorFiles(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => path.join('docs', name));
  return ['README.md', 'docker-compose.yml', ...docs];
}

/** Each `openssl rand` recipe given for ADMIN_CLIENT_SECRET, as "file: command". */
function adminSecretRecipes(): string[] {
  return operatorFiles().flatMap((file) =>
    readFileSync(path.join(ROOT, file), 'utf8')
      .split('\n')
      .flatMap((line) => {
        // A line may give SEALING_KEY's recipe too: only the recipe after ADMIN_CLIENT_SECRET counts.
        const after = line.split('ADMIN_CLIENT_SECRET')[1];
        const recipe = after === undefined ? undefined : /openssl rand -\w+ \d+/.exec(after.split('SEALING_KEY')[0] ?? '')?.[0];
        return recipe ? [`${file}: ${recipe}`] : [];
      }),
  );
}

describe('recipes for the admin client secret', () => {
  it('make a secret that HTTP Basic carries as it is, in every file that gives one', () => {
    const recipes = adminSecretRecipes();
    expect(recipes.length).toBeGreaterThanOrEqual(3);
    expect(recipes.filter((recipe) => !recipe.endsWith('openssl rand -hex 32'))).toEqual([]);
  });

  it('make one in the configuration error for a short secret too', () => {
    expect(() => loadConfig({ ADMIN_CLIENT_ID: 'admin', ADMIN_CLIENT_SECRET: 'short' })).toThrow(/`openssl rand -hex 32`/);
  });
});
