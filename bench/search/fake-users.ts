/**
 * Deterministic, realistic users for the search benchmark: a seeded PRNG drives names,
 * emails, connections, metadata and sign-up times spread over three years in sign-up order.
 */

export const CONNECTIONS = [
  { id: 'con_database', name: 'Username-Password-Authentication', strategy: 'database', provider: 'database', share: 0.62 },
  { id: 'con_google', name: 'google-oauth2', strategy: 'oidc', provider: 'google-oauth2', share: 0.25 },
  { id: 'con_github', name: 'github', strategy: 'oidc', provider: 'github', share: 0.09 },
  { id: 'con_saml', name: 'corp-saml', strategy: 'saml', provider: 'samlp', share: 0.04 },
] as const;

export type BenchConnection = (typeof CONNECTIONS)[number];

export const PLANS = ['free', 'pro', 'team', 'enterprise'] as const;
const PLAN_SHARES = [0.7, 0.2, 0.08, 0.02];

const FIRST = `James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan
  Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Margaret Mark Sandra
  Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Dorothy
  George Melissa Timothy Deborah Ronald Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob Kathleen
  Gary Amy Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda Larry Pamela Justin Emma Scott Nicole Brandon
  Helen Benjamin Samantha Samuel Katherine Gregory Christine Alexander Debra Frank Rachel Patrick Carolyn Raymond Janet
  Jack Catherine Dennis Maria Jerry Heather Tyler Diane Aaron Ruth Jose Julie Adam Olivia Nathan Joyce Henry Virginia
  Zachary Victoria Douglas Kelly Peter Lauren Kyle Christina Noah Joan Ethan Evelyn Jeremy Judith Walter Megan Christian
  Andrea Keith Cheryl Roger Hannah Terry Jacqueline Austin Martha Sean Gloria Gerald Teresa Carl Ann Harold Sara Dylan
  Madison Arthur Frances Lawrence Kathryn Jordan Janice Jesse Jean Bryan Abigail Billy Alice Bruce Judy Gabriel Sophia
  Joe Grace Logan Denise Alan Amber Juan Doris Albert Marilyn Willie Danielle Elijah Beverly Wayne Isabella Randy Theresa
  Vincent Diana Mason Natalie Roy Brittany Ralph Charlotte Bobby Marie Russell Kayla Bradley Alexis Philip Lori Eugene`.split(/\s+/);

const LAST = `Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson
  Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker
  Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter
  Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers
  Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez
  Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell
  Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan
  Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran
  Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells
  Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw
  Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills
  Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer`.split(/\s+/);

const DOMAINS = ['gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.com', 'icloud.com', 'proton.me', 'acme.io', 'globex.com', 'initech.net'];
const LOCALES = ['en', 'en', 'en', 'en-US', 'en-GB', 'fr', 'de', 'es', 'pt-BR', 'ja', 'it', 'nl'];
const SOURCES = ['web', 'web', 'ios', 'android', 'referral', 'partner'];
export const TEAMS = 20_000;
const TENANTS = 500;

export const DAY_MS = 86_400_000;
const SPAN_MS = 3 * 365 * DAY_MS;
// Fixed, so that two runs load the same rows whatever day they run.
export const EPOCH_END = Date.UTC(2026, 0, 1);
export const EPOCH_START = EPOCH_END - SPAN_MS;

/** mulberry32: small, fast and good enough to make fake data. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface FakeIdentity {
  connection: BenchConnection;
  externalId: string;
  profileData: Record<string, unknown>;
}

export interface FakeUser {
  id: string;
  email: string;
  emailVerified: boolean;
  username: string | null;
  phoneNumber: string | null;
  name: string;
  nickname: string;
  givenName: string;
  familyName: string;
  picture: string | null;
  locale: string;
  userMetadata: Record<string, unknown>;
  appMetadata: Record<string, unknown>;
  blocked: boolean;
  loginsCount: number;
  lastLogin: Date | null;
  lastIp: string | null;
  /** ISO text with microseconds, as PostgreSQL will store it. */
  createdAt: string;
  updatedAt: Date;
  identities: FakeIdentity[];
}

export function createFakeUsers(count: number, seed = 20_240_601) {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const weighted = <T>(items: readonly T[], shares: readonly number[]): T => {
    let roll = random();
    for (const [index, share] of shares.entries()) {
      roll -= share;
      if (roll < 0) return items[index] as T;
    }
    return items[items.length - 1] as T;
  };
  const digits = (length: number) => Array.from({ length }, () => Math.floor(random() * 10)).join('');
  const hex = (length: number) => Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join('');

  function identity(connection: BenchConnection, email: string, name: string, username: string | null, index: number): FakeIdentity {
    // The index in every external id keeps (connection, external id) unique.
    const externalId =
      connection.strategy === 'database'
        ? `${index.toString(16).padStart(8, '0')}${hex(16)}`
        : connection.provider === 'github'
          ? String(10_000_000 + index)
          : `${digits(13)}${String(index).padStart(8, '0')}`;
    const profileData =
      connection.strategy === 'database' ? { email, ...(username ? { username } : {}) } : { email, name, email_verified: true };
    return { connection, externalId, profileData };
  }

  return function fakeUser(index: number): FakeUser {
    const connection = weighted(
      CONNECTIONS,
      CONNECTIONS.map((candidate) => candidate.share),
    );
    const givenName = pick(FIRST);
    const familyName = pick(LAST);
    // The index keeps emails unique, as the database connection's unique index requires.
    const email = `${givenName}.${familyName}${index}@${pick(DOMAINS)}`.toLowerCase();
    const username = connection.strategy === 'database' && random() < 0.5 ? `${givenName}${familyName}${index}`.toLowerCase() : null;
    const name = `${givenName} ${familyName}`;
    const created = EPOCH_START + (index / count) * SPAN_MS + Math.floor(random() * 60_000);
    const createdAt = `${new Date(created).toISOString().slice(0, 23)}${digits(3)}Z`;
    const sinceCreated = EPOCH_END - created;
    const hasLoggedIn = random() < 0.85;
    const primary = identity(connection, email, name, username, index);
    const linked = random() < 0.08 && connection.strategy === 'database' ? [identity(CONNECTIONS[1], email, name, null, index)] : [];
    return {
      id: `${connection.provider}|${primary.externalId}`,
      email,
      emailVerified: random() < 0.8,
      username,
      phoneNumber: random() < 0.3 ? `+1555${digits(7)}` : null,
      name,
      nickname: givenName.toLowerCase(),
      givenName,
      familyName,
      picture: random() < 0.7 ? `https://s.gravatar.com/avatar/${hex(32)}?s=480` : null,
      locale: pick(LOCALES),
      userMetadata: {
        plan: weighted(PLANS, PLAN_SHARES),
        signup_source: pick(SOURCES),
        preferences: { theme: random() < 0.4 ? 'dark' : 'light', newsletter: random() < 0.3 },
        ...(random() < 0.3 ? { team_id: `team_${Math.floor(random() * TEAMS)}` } : {}),
        ...(random() < 0.4 ? { crm_id: `CRM-${index + 1_000_000}` } : {}),
      },
      appMetadata: {
        roles: random() < 0.02 ? ['user', 'admin'] : ['user'],
        tenant: `tenant-${Math.floor(random() * TENANTS)}`,
        ...(random() < 0.25 ? { stripe_customer_id: `cus_${hex(14)}` } : {}),
      },
      blocked: random() < 0.01,
      loginsCount: hasLoggedIn ? 1 + Math.floor(-Math.log(1 - random()) * 20) : 0,
      lastLogin: hasLoggedIn ? new Date(created + Math.floor(random() * sinceCreated)) : null,
      lastIp: hasLoggedIn
        ? `${10 + Math.floor(random() * 200)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`
        : null,
      createdAt,
      updatedAt: new Date(created + Math.floor(random() * sinceCreated * 0.5)),
      identities: [primary, ...linked],
    };
  };
}
