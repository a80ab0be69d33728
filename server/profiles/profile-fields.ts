/**
 * The `fields` option of users.get and users.list: which top-level profile attributes to return.
 */
import { z } from 'zod';
import { type Profile, profileSchema } from './profile.js';

/** Every top-level attribute of a profile, in the profile's order. */
export const FIELD_NAMES = Object.keys(profileSchema.shape) as Array<keyof Profile>;

export const profileFields = z
  .array(z.enum(FIELD_NAMES as [keyof Profile, ...Array<keyof Profile>]))
  .min(1)
  .max(FIELD_NAMES.length);

export function pickFields(profile: Profile, fields: ReadonlyArray<keyof Profile> | undefined): Partial<Profile> {
  if (!fields) return profile;
  return Object.fromEntries(fields.filter((field) => field in profile).map((field) => [field, profile[field]])) as Partial<Profile>;
}
