/**
 * A user's second factors as the management API and the account page show them, and the inputs
 * that name one. Every kind of factor (server/mfa/authenticators.ts) answers in this shape.
 */
import { z } from 'zod';
import { userIdSchema } from '../users/user-schemas.js';

export const AUTHENTICATOR_TYPES = ['totp', 'webauthn', 'recovery-code'] as const;

export const authenticatorSchema = z.object({
  id: z.string(),
  type: z.enum(AUTHENTICATOR_TYPES),
  /** What the person called it, or what Tessera did ("Authenticator app", "Recovery codes"). */
  name: z.string(),
  /** Recovery codes only: how many are still unused. */
  remaining: z.number().int().optional(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
});
export type Authenticator = z.infer<typeof authenticatorSchema>;
export type AuthenticatorType = Authenticator['type'];

export const authenticatorIdSchema = z.string().min(1).max(128);

export const ownAuthenticatorInput = z.strictObject({ authenticator_id: authenticatorIdSchema });
export const userAuthenticatorsInput = z.strictObject({ id: userIdSchema });
export const userAuthenticatorInput = z.strictObject({ id: userIdSchema, authenticator_id: authenticatorIdSchema });
