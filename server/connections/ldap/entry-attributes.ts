/**
 * A directory entry as an UpstreamUser's attributes and id. The password hash is dropped (a
 * user may read their own), so no mapping or mapper can copy it into a profile.
 */
import { isUtf8 } from 'node:buffer';
import type { Entry } from 'ldapts';

const SECRET_ATTRIBUTES = new Set(['userpassword', 'unicodepwd', 'authpassword']);

/** LDAP attribute names are case-insensitive; an entry carries them as the directory spells them. */
function findAttribute(entry: Entry, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return Object.keys(entry).find((key) => key.toLowerCase() === wanted);
}

function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) if (text.charCodeAt(index) < 0x20) return true;
  return false;
}

/** Textual ids (uid, entryUUID) as they are; binary ones (Active Directory's objectGUID) in hex. */
function idText(value: Buffer): string {
  return isUtf8(value) && !hasControlCharacter(value.toString('utf8')) ? value.toString('utf8') : value.toString('hex');
}

export function entryAttributes(entry: Entry, idAttribute: string): { id: string | undefined; attributes: Record<string, unknown> } {
  const attributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(entry)) {
    if (!SECRET_ATTRIBUTES.has(name.toLowerCase())) attributes[name] = value;
  }
  const key = findAttribute(entry, idAttribute);
  const raw = key === undefined ? undefined : entry[key];
  const first = Array.isArray(raw) ? raw[0] : raw;
  const id = first === undefined ? undefined : Buffer.isBuffer(first) ? idText(first) : first;
  if (key !== undefined && id !== undefined && Object.hasOwn(attributes, key)) attributes[key] = id;
  return { id: id || undefined, attributes };
}
