/**
 * The kinds of application an operator picks from when creating one, as Auth0's dashboard offers
 * them, each a set of clients.create fields; and the kind an existing client's fields describe.
 */
export type ApplicationKind = 'regular_web' | 'spa' | 'native' | 'machine';

export interface Preset {
  kind: ApplicationKind;
  label: string;
  description: string;
  grant_types: Array<'authorization_code' | 'refresh_token' | 'client_credentials'>;
  token_endpoint_auth_method: 'client_secret_basic' | 'none';
}

export const PRESETS: readonly Preset[] = [
  {
    kind: 'regular_web',
    label: 'Regular web application',
    description: 'A server-side app that keeps a secret: authorization code with PKCE and a client secret.',
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'client_secret_basic',
  },
  {
    kind: 'spa',
    label: 'Single-page application',
    description: 'JavaScript in the browser, which cannot keep a secret: authorization code with PKCE, no secret.',
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'none',
  },
  {
    kind: 'native',
    label: 'Native application',
    description: 'A mobile or desktop app: authorization code with PKCE, no secret.',
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'none',
  },
  {
    kind: 'machine',
    label: 'Machine to machine',
    description: 'A service calling the management API with its own credentials (client_credentials).',
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
  },
];

export function describeKind(client: { grant_types: readonly string[]; token_endpoint_auth_method: string }): string {
  if (client.grant_types.includes('client_credentials') && !client.grant_types.includes('authorization_code')) return 'Machine to machine';
  return client.token_endpoint_auth_method === 'none' ? 'Public (SPA or native)' : 'Regular web application';
}

/** One URI per line in the form; blank lines ignored. */
export function linesOf(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}
