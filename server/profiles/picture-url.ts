/**
 * Which `picture` values a profile may hold. Apps put the picture in an <img> or a link, so a
 * `javascript:` or `data:` URL would run or render whatever its author chose there (stored
 * XSS): only web addresses, and plain http only on this machine, for development.
 */
import { z } from 'zod';

const LOCAL_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isSafePictureUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname));
}

export const pictureSchema = z.string().max(2048).refine(isSafePictureUrl, 'must be an https: URL (http: only for localhost or 127.0.0.1)');
