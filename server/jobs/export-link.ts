/**
 * The download link of a finished users export: `$ISSUER/exports/<secret>/<job id>.<format>.gz`.
 * The secret is an HMAC of the job id under a key derived from the sealing key, so every node
 * shows the same link in GET /jobs/{id} while the database keeps only the secret's SHA-256: a
 * copy of the database opens no file. Rotating SEALING_KEY ends the links made before.
 */
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import type { JobRow } from '../../adapters/queries/jobs.js';

export const EXPORT_PATH_PREFIX = '/exports';

/** 32 bytes as base64url. */
const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface ExportLinks {
  /** The link of a job's file; its digest is what the job row keeps. */
  linkOf(jobId: string, format: string): { url: string; digest: string };
  /** The digest a presented secret is looked up by; undefined for what cannot be a secret. */
  digestOf(secret: string): string | undefined;
}

export const digestOfSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

export function fileNameOf(jobId: string, format: string): string {
  return `${jobId}.${format}.gz`;
}

export function createExportLinks(issuer: string, sealingKey: Buffer): ExportLinks {
  // Its own key, so the links' HMAC never shares a key with the sealing of secrets.
  const linkKey = Buffer.from(hkdfSync('sha256', sealingKey, Buffer.alloc(0), 'tessera users-export download links', 32));
  const base = issuer.replace(/\/$/, '');
  return {
    linkOf(jobId, format) {
      const secret = createHmac('sha256', linkKey).update(jobId).digest('base64url');
      return { url: `${base}${EXPORT_PATH_PREFIX}/${secret}/${fileNameOf(jobId, format)}`, digest: digestOfSecret(secret) };
    },
    digestOf: (secret) => (SECRET_SHAPE.test(secret) ? digestOfSecret(secret) : undefined),
  };
}

/** GET /jobs/{id}'s `location`: a finished export's link while it lasts, nothing for any other job. */
export function exportLocation(links: ExportLinks, now: () => Date = () => new Date()) {
  return (row: JobRow): string | undefined => {
    if (row.type !== 'users_export' || row.status !== 'completed') return undefined;
    if (!row.location_expires_at || row.location_expires_at <= now()) return undefined;
    return links.linkOf(row.id, String(row.options['format'])).url;
  };
}
