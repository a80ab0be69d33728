/**
 * Writes a page of exported users as text: NDJSON (one JSON object a line, as Auth0's `json`
 * format) or CSV rows under one header line. A field a user has no value for is left out of the
 * JSON line and empty in the CSV.
 */
import { stringify } from 'csv-stringify/sync';
import type { Profile } from '../profiles/profile.js';
import { type ExportFormat, type ResolvedField, readField } from './export-fields.js';

/**
 * A spreadsheet runs a cell that starts with one of these as a formula; a quote in front keeps it
 * text (OWASP's CSV injection advice, which Auth0's own CSV exports follow too).
 * @see https://owasp.org/www-community/attacks/CSV_Injection
 */
const FORMULA_START = /^[=+\-@\t\r]/;

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return typeof value === 'string' && FORMULA_START.test(text) ? `'${text}` : text;
}

const csvHeader = (fields: readonly ResolvedField[]) => fields.map(({ column }) => csvCell(column));

export interface ExportWriter {
  /** The text of one page; `first` says whether it opens the file (the CSV header). */
  page(profiles: readonly Profile[], first: boolean): string;
}

export function exportWriter(format: ExportFormat, fields: readonly ResolvedField[]): ExportWriter {
  if (format === 'json') {
    return {
      page: (profiles) =>
        profiles
          .map((profile) => {
            const line: Record<string, unknown> = {};
            for (const { column, path } of fields) {
              const value = readField(profile, path);
              if (value !== undefined) line[column] = value;
            }
            return `${JSON.stringify(line)}\n`;
          })
          .join(''),
    };
  }
  const columns = csvHeader(fields);
  return {
    page: (profiles, first) =>
      stringify(
        profiles.map((profile) => fields.map(({ path }) => csvCell(readField(profile, path)))),
        { header: first, columns },
      ),
  };
}
