/** What a benchmarked server exposes to the scenarios: its issuer, its clients and how its login form is filled. */
export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Where every benchmarked login's code is sent: nothing listens there, the code is read from the redirect. */
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

/** 'baseline' for the bare provider; a Tessera target is named for its setup ('embedded', 'postgres', 'redis'). */
export type TargetName = string;

export interface Target {
  readonly name: TargetName;
  readonly issuer: string;
  /** Used for client_credentials. */
  readonly machineClient: ClientCredentials;
  /** Used for the user login and for refresh_token. */
  readonly webClient: ClientCredentials;
  /** Values typed into every form the login shows (field names differ between the servers). */
  readonly loginForm: Readonly<Record<string, string>>;
  /** Several users' form values, for login runs that should not all update one user's row. */
  readonly loginForms?: readonly Readonly<Record<string, string>>[];
  stop(): Promise<void>;
}

export function basicAuthorization({ clientId, clientSecret }: ClientCredentials): string {
  // RFC 6749 §2.3.1: the id and secret are form-encoded before being joined.
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}
