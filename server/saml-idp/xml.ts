/**
 * A tagged template for XML that escapes every interpolated value unless it is already Xml,
 * so a profile value or an operator's attribute name cannot add elements to a signed assertion.
 */
export class Xml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}

function render(value: unknown): string {
  if (value instanceof Xml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeXml(String(value));
}

export function xml(strings: TemplateStringsArray, ...values: unknown[]): Xml {
  return new Xml(strings.reduce((out, part, index) => out + part + (index < values.length ? render(values[index]) : ''), ''));
}
