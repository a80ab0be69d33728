/**
 * The HTML template of server-rendered pages: every interpolated value is escaped unless it is
 * already SafeHtml, so a page cannot forget to escape a client name or an error message.
 */
import escapeHtml from 'escape-html';
import { escapingTemplate, Markup } from '../escaping-template.js';

export class SafeHtml extends Markup {}

export const html = escapingTemplate(SafeHtml, escapeHtml);

/** Marks markup produced by a trusted source (oidc-provider's own logout form) as safe. */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
