/**
 * What a browser sends back from a WebAuthn ceremony (the JSON @simplewebauthn/browser makes of
 * navigator.credentials.create and .get), bounded so that nothing larger than a real
 * authenticator's answer reaches the verifier, and the inputs of me.passkeys.*.
 * @see https://w3c.github.io/webauthn/#dictdef-registrationresponsejson
 */
import { z } from 'zod';

/**
 * Bounds in base64url characters, with room for post-quantum keys: Chromium prefers ML-DSA-44
 * when the server offers it (@simplewebauthn/server does), whose signature is 2,420 bytes and
 * public key 1,312.
 */
const base64url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*$/, 'must be base64url');

const credentialFields = {
  id: base64url(1024).min(1),
  rawId: base64url(1024).min(1),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  // Checked to be an object and passed on empty: the verifier reads none of it.
  clientExtensionResults: z
    .custom<object>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), 'must be an object')
    .transform(() => ({})),
  type: z.literal('public-key'),
};

export const registrationResponseSchema = z.object({
  ...credentialFields,
  response: z.object({
    clientDataJSON: base64url(4096),
    attestationObject: base64url(16_384),
    authenticatorData: base64url(4096).optional(),
    transports: z.array(z.string().max(32)).max(10).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url(8192).optional(),
  }),
});

export const authenticationResponseSchema = z.object({
  ...credentialFields,
  response: z.object({
    clientDataJSON: base64url(4096),
    authenticatorData: base64url(4096),
    signature: base64url(8192),
    userHandle: base64url(256).optional(),
  }),
});

export type RegistrationResponse = z.infer<typeof registrationResponseSchema>;
export type AuthenticationResponse = z.infer<typeof authenticationResponseSchema>;

/** A sign-in answer posted as a form field (its JSON text); undefined when it is not one. */
export function parseAuthenticationResponse(text: string): AuthenticationResponse | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = authenticationResponseSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

export const PASSKEY_NAME_MAX = 64;

export const registerPasskeyInput = z.strictObject({
  response: registrationResponseSchema,
  /** What the person calls it ("Work laptop"); "Passkey" when left out. */
  name: z.string().trim().min(1).max(PASSKEY_NAME_MAX).optional(),
});
