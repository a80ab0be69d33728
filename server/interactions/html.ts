/**
 * A tagged template that escapes every interpolated value unless it is already SafeHtml, so a
 * page cannot forget to escape a client name or an error message.
 */
import escapeHtml from 'escape-html';

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  return new SafeHtml(strings.reduce((out, part, index) => out + part + (index < values.length ? render(values[index]) : ''), ''));
}

/** Marks markup produced by a trusted source (oidc-provider's own logout form) as safe. */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
