/**
 * The filter that finds a user's entry: the connection's template with the typed login put in
 * as a value, never as filter syntax, so `*`, `(` or `)` in a login cannot widen the search.
 * @see https://www.rfc-editor.org/rfc/rfc4515#section-3
 */
import { Filter, FilterParser } from 'ldapts';

export const LOGIN_PLACEHOLDER = '{login}';

export function userSearchFilter(template: string, login: string): string {
  const value = Filter.escape(login);
  // A replacer function, because a string replacement would give `$&` in a login a meaning.
  return template.replaceAll(LOGIN_PLACEHOLDER, () => value);
}

/** Undefined when the template makes valid filters, else why not. */
export function searchFilterProblem(template: string): string | undefined {
  if (!template.includes(LOGIN_PLACEHOLDER)) return `must contain ${LOGIN_PLACEHOLDER}`;
  try {
    FilterParser.parseString(userSearchFilter(template, 'login'));
    return undefined;
  } catch (error) {
    return `is not an LDAP filter: ${(error as Error).message}`;
  }
}
