/**
 * What saving an edited `user_metadata` or `app_metadata` will send and change. users.update
 * merges at the top level and removes a key given null, so the patch holds the keys whose
 * values differ and null for each key the operator deleted; keys left alone are not sent.
 */
export type Metadata = Record<string, unknown>;

export interface MetadataChange {
  key: string;
  kind: 'added' | 'changed' | 'removed';
  value?: unknown;
}

export type ParsedMetadata = { ok: true; value: Metadata } | { ok: false; message: string };

/** Reads the editor's text: a JSON object, or the reason it is not one. */
export function parseMetadata(text: string): ParsedMetadata {
  let value: unknown;
  try {
    value = JSON.parse(text.trim() === '' ? '{}' : text);
  } catch (error) {
    return { ok: false, message: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'must be a JSON object, such as {"plan": "pro"}' };
  }
  const nulls = Object.entries(value).filter(([, field]) => field === null);
  if (nulls.length > 0) {
    return { ok: false, message: `"${nulls[0]?.[0]}" is null: delete the key instead, or give it a value` };
  }
  return { ok: true, value: value as Metadata };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function metadataChanges(before: Metadata, after: Metadata): MetadataChange[] {
  const changes: MetadataChange[] = [];
  for (const [key, value] of Object.entries(after)) {
    if (!(key in before)) changes.push({ key, kind: 'added', value });
    else if (!sameJson(before[key], value)) changes.push({ key, kind: 'changed', value });
  }
  for (const key of Object.keys(before)) if (!(key in after)) changes.push({ key, kind: 'removed' });
  return changes;
}

/** The users.update field for these changes: new values, and null for each removed key. */
export function metadataPatch(changes: readonly MetadataChange[]): Record<string, unknown> {
  return Object.fromEntries(changes.map((change) => [change.key, change.kind === 'removed' ? null : change.value]));
}
