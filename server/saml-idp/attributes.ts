/**
 * The assertion's subject and attributes, read from the profile through the client's add-on:
 * only mapped attributes leave Tessera, each under the SAML name the operator chose.
 */
import type { Profile } from '../profiles/profile.js';
import type { SamlAddon } from './addon.js';

export type AttributeValue = string | number | boolean;

export interface SamlAttribute {
  name: string;
  /** Several for a list (roles, groups), in order. */
  values: AttributeValue[];
}

export const NAME_ID_FORMATS: Record<SamlAddon['name_id_attribute'], string> = {
  user_id: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  email: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
};

function fieldValue(profile: Profile, field: string): unknown {
  const dot = field.indexOf('.');
  if (dot < 0) return (profile as Record<string, unknown>)[field];
  const metadata = field.slice(0, dot) === 'user_metadata' ? profile.user_metadata : profile.app_metadata;
  return metadata[field.slice(dot + 1)];
}

const isScalar = (value: unknown): value is AttributeValue => ['string', 'number', 'boolean'].includes(typeof value);

/** Scalars as they are, lists item by item, anything else (an object in metadata) as its JSON. */
function values(value: unknown): AttributeValue[] {
  if (value === undefined || value === null) return [];
  if (isScalar(value)) return [value];
  if (Array.isArray(value))
    return value.filter((item) => item !== undefined && item !== null).map((item) => (isScalar(item) ? item : JSON.stringify(item)));
  return [JSON.stringify(value)];
}

/** Mapped attributes the profile has a value for; an absent value sends no attribute rather than an empty one. */
export function samlAttributes(profile: Profile, mappings: SamlAddon['mappings']): SamlAttribute[] {
  return Object.entries(mappings)
    .map(([field, name]) => ({ name, values: values(fieldValue(profile, field)) }))
    .filter((attribute) => attribute.values.length > 0);
}

/** The NameID, or undefined when the profile lacks the attribute the add-on names (a user without an email). */
export function nameIdOf(profile: Profile, addon: SamlAddon): string | undefined {
  return addon.name_id_attribute === 'email' ? profile.email : profile.user_id;
}
