/**
 * Inputs of a person enrolling their own second factors (me.authenticators.enrollTotp,
 * confirmTotp). The code is checked by the TOTP rules, not here: a malformed code is a wrong code.
 */
import { z } from 'zod';
import { authenticatorIdSchema } from './authenticator-schemas.js';

export const enrollTotpInput = z.strictObject({ name: z.string().trim().min(1).max(64).optional() }).optional();

export const confirmTotpInput = z.strictObject({ authenticator_id: authenticatorIdSchema, code: z.string().max(32) });
