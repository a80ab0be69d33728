/**
 * Tagged templates that escape every interpolated value unless it is already markup of their
 * own language, so a page or an assertion cannot forget to escape a client name, an error
 * message or a profile value. HTML (interactions/html.ts) and XML (saml-idp/xml.ts) are the two
 * languages; markup of one is text, and so escaped, in the other.
 */

/** Text already in a markup language; each language is a subclass of its own. */
export abstract class Markup {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** The template of one language: its markup goes in as it is, arrays are joined, and undefined, null and false are left out. */
export function escapingTemplate<M extends Markup>(Language: new (value: string) => M, escapeText: (text: string) => string) {
  function render(value: unknown): string {
    if (value instanceof Language) return value.value;
    if (Array.isArray(value)) return value.map(render).join('');
    if (value === undefined || value === null || value === false) return '';
    return escapeText(String(value));
  }
  return (strings: TemplateStringsArray, ...values: unknown[]): M =>
    new Language(strings.reduce((out, part, index) => out + part + (index < values.length ? render(values[index]) : ''), ''));
}
