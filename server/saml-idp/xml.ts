/**
 * The XML template of the SAML IdP: every interpolated value is escaped unless it is already
 * Xml, so a profile value or an operator's attribute name cannot add elements to a signed
 * assertion.
 */
import { escapingTemplate, Markup } from '../escaping-template.js';

export class Xml extends Markup {}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char] ?? char);
}

export const xml = escapingTemplate(Xml, escapeXml);
