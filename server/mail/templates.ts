/**
 * Loads the message templates (built-in, each part overridable by a file in MAIL_TEMPLATES_DIR
 * named `<kind>.subject|.txt|.html`) and renders them. Every placeholder is checked against the
 * catalogue at load, so a typo or an unreadable file stops start-up instead of a later send.
 * Values are escaped in the HTML part only; the subject is kept on one line.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import escapeHtml from 'escape-html';
import { BUILTIN_TEMPLATES, type TemplateSource } from './builtin-templates.js';
import { MESSAGE_KINDS, type MessageKind, variablesOf } from './catalogue.js';

export class MailTemplateError extends Error {
  override name = 'MailTemplateError';
}

export interface RenderedMessage {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export type Templates = {
  render(kind: MessageKind, values: Readonly<Record<string, string>>): RenderedMessage;
};

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;
const PARTS = [
  ['subject', 'subject'],
  ['text', 'txt'],
  ['html', 'html'],
] as const;

async function readOverride(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MailTemplateError(`mail template ${file} cannot be read: ${(error as Error).message}`);
  }
}

function check(kind: MessageKind, part: string, source: string, where: string): void {
  const allowed = variablesOf(kind);
  for (const [, name] of source.matchAll(PLACEHOLDER)) {
    if (!allowed.includes(name as string)) {
      throw new MailTemplateError(`mail template ${where} (${kind} ${part}) uses {{${name}}}; ${kind} has only ${allowed.join(', ')}`);
    }
  }
}

export async function loadTemplates(templatesDir: string | undefined): Promise<Templates> {
  const sources = {} as Record<MessageKind, TemplateSource>;
  for (const kind of Object.keys(MESSAGE_KINDS) as MessageKind[]) {
    const source: Record<string, string> = { ...BUILTIN_TEMPLATES[kind] };
    for (const [part, extension] of PARTS) {
      const file = templatesDir ? path.join(templatesDir, `${kind}.${extension}`) : undefined;
      const override = file ? await readOverride(file) : undefined;
      if (override !== undefined) source[part] = override;
      check(kind, part, source[part] ?? '', override !== undefined && file ? file : 'built-in');
    }
    sources[kind] = source as unknown as TemplateSource;
  }
  return {
    render(kind, values) {
      const fill = (source: string, encode: (value: string) => string) =>
        source.replace(PLACEHOLDER, (_match, name: string) => {
          const value = values[name];
          if (value === undefined) throw new MailTemplateError(`mail ${kind} rendered without {{${name}}}`);
          return encode(value);
        });
      const source = sources[kind];
      return {
        subject: fill(source.subject, (value) => value)
          .replace(/\s+/g, ' ')
          .trim(),
        text: fill(source.text, (value) => value),
        html: fill(source.html, escapeHtml),
      };
    },
  };
}
