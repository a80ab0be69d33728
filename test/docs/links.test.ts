/**
 * The front page and the reference in docs/ link to each other by relative paths: every one must
 * name a file of the repository, and an #anchor a heading of that file, as GitHub renders them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

function markdownFiles(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => path.join(ROOT, 'docs', name));
  return [path.join(ROOT, 'README.md'), ...docs];
}

function withoutCode(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's heading ids: lower case, punctuation dropped, spaces as hyphens. */
function headingIds(file: string): Set<string> {
  const headings = withoutCode(readFileSync(file, 'utf8')).match(/^#+ .*$/gm) ?? [];
  return new Set(
    headings.map((heading) =>
      heading
        .replace(/^#+ /, '')
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\- _]/gu, '')
        .replace(/_/g, '')
        .replace(/ /g, '-'),
    ),
  );
}

function brokenLinks(file: string): string[] {
  const targets = [...withoutCode(readFileSync(file, 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '');
  return targets
    .filter((target) => !/^[a-z]+:/i.test(target))
    .filter((target) => {
      const [relative = '', anchor] = target.split('#');
      const resolved = relative ? path.resolve(path.dirname(file), relative) : file;
      if (!existsSync(resolved)) return true;
      return anchor !== undefined && (statSync(resolved).isDirectory() || !headingIds(resolved).has(anchor));
    })
    .map((target) => `${path.relative(ROOT, file)}: ${target}`);
}

describe('documentation links', () => {
  it('names an existing file, and an existing heading for an anchor, in every relative link of README.md and docs/', () => {
    const files = markdownFiles();
    expect(files.length).toBeGreaterThan(10);
    expect(files.flatMap(brokenLinks)).toEqual([]);
  });

  it('has a page in docs/ for each reference topic, listed in docs/README.md', () => {
    const index = readFileSync(path.join(ROOT, 'docs', 'README.md'), 'utf8');
    const topics = [
      'configuration',
      'connecting-an-application',
      'management-api',
      'connections',
      'post-login-rules',
      'saml-identity-provider',
      'security',
      'running-several-nodes',
      'benchmarks',
      'metrics',
      'layout',
      'contract',
    ];
    for (const topic of topics) {
      expect(existsSync(path.join(ROOT, 'docs', `${topic}.md`)), topic).toBe(true);
      expect(index, topic).toContain(`](${topic}.md)`);
    }
  });
});
