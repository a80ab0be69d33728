/**
 * The kinds of message Tessera sends and the values each one's templates may use: the one
 * source the templates are checked against at start and the later flows are typed against.
 */

/** Values every message has, whatever its kind. */
export const COMMON_VARIABLES = ['app_name', 'email'] as const;

export const MESSAGE_KINDS = {
  verify_email: ['link'],
  reset_password: ['link'],
  password_changed: [],
  /** Someone tried to register an address that already has an account (no account enumeration). */
  signup_attempt_existing: ['link'],
  welcome: [],
} as const satisfies Record<string, readonly string[]>;

export type MessageKind = keyof typeof MESSAGE_KINDS;

/** The values a message of `kind` is rendered with, besides app_name (the mailer's) and email (the recipient). */
export type MessageValues<K extends MessageKind> = { readonly [V in (typeof MESSAGE_KINDS)[K][number]]: string };

export function variablesOf(kind: MessageKind): readonly string[] {
  return [...COMMON_VARIABLES, ...MESSAGE_KINDS[kind]];
}
