/**
 * The CLI's `import <file>`: the users import the jobs run, from a file on disk, with a progress
 * bar on stderr (when it is a terminal) and a summary: how many were imported and updated, and
 * each refused line with its reasons.
 */
import { readFile } from 'node:fs/promises';
import { Presets, SingleBar } from 'cli-progress';
import { DomainError } from '../errors.js';
import type { BatchFailure } from './import-batch.js';
import { ImportFileRefused } from './import-file.js';
import type { ImportSummary, UsersImport } from './users-import.js';

export interface ImportReport extends ImportSummary {
  /** `line`: the NDJSON line, or the element's number in an array, from 1. */
  failures: Array<{ line: number; user: unknown; errors: BatchFailure['errors'] }>;
}

export async function importFromFile(
  usersImport: UsersImport,
  file: string,
  options: { connectionId: string; upsert: boolean; callerScopes: ReadonlySet<string> },
): Promise<ImportReport> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new DomainError('input.invalid', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const bar = new SingleBar(
    { stream: process.stderr, format: 'importing [{bar}] {percentage}% | {total_users} users, {failed} failed' },
    Presets.shades_classic,
  );
  bar.start(100, 0, { total_users: 0, failed: 0 });
  const failures: ImportReport['failures'] = [];
  try {
    const summary = await usersImport.importUsers(text, options, async ({ summary: counts, done, failures: refused }) => {
      for (const { position, user, errors } of refused) failures.push({ line: position + 1, user, errors });
      bar.update(Math.floor(done * 100), { total_users: counts.total, failed: counts.failed });
    });
    return { ...summary, failures };
  } catch (error) {
    if (error instanceof ImportFileRefused) throw new DomainError('input.invalid', `${file} was not imported: ${error.message}`);
    throw error;
  } finally {
    bar.stop();
  }
}
