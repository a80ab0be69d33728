/**
 * Turning a strategy's JSON Schema (connections.optionForms) into form fields and the fields'
 * text back into options: strings, numbers, booleans and choices get their own input; nested
 * objects are flattened to dotted names; anything richer (mappings, lists) is edited as JSON.
 */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
}

export type FieldKind = 'text' | 'url' | 'number' | 'boolean' | 'choice' | 'json' | 'secret';

export interface Field {
  /** Dotted path into the options, e.g. `password_policy.min_length`. */
  name: string;
  kind: FieldKind;
  required: boolean;
  choices?: string[];
  schema: JsonSchema;
}

function kindOf(schema: JsonSchema, secret: boolean): FieldKind {
  if (secret) return 'secret';
  if (schema.enum) return 'choice';
  if (schema.type === 'boolean') return 'boolean';
  if (schema.type === 'integer' || schema.type === 'number') return 'number';
  if (schema.type === 'string') return schema.format === 'uri' ? 'url' : 'text';
  return 'json';
}

export function fieldsOf(schema: JsonSchema, secrets: readonly string[], prefix = '', parentRequired = true): Field[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).flatMap(([key, property]) => {
    const name = prefix ? `${prefix}.${key}` : key;
    const isRequired = parentRequired && required.has(key);
    if (property.type === 'object' && property.properties) return fieldsOf(property, secrets, name, isRequired);
    const kind = kindOf(property, secrets.includes(name));
    return [{ name, kind, required: isRequired, schema: property, ...(property.enum ? { choices: property.enum.map(String) } : {}) }];
  });
}

function read(options: Record<string, unknown>, name: string): unknown {
  return name
    .split('.')
    .reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), options);
}

/** The form's text for each field: the stored value, else the schema's default, else empty (and never a secret). */
export function initialValues(fields: readonly Field[], options: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    fields.map((field) => {
      if (field.kind === 'secret') return [field.name, ''];
      const value = read(options, field.name) ?? field.schema.default;
      if (value === undefined) return [field.name, ''];
      if (field.kind === 'json') return [field.name, JSON.stringify(value, null, 2)];
      return [field.name, String(value)];
    }),
  );
}

export type BuiltOptions = { ok: true; options: Record<string, unknown> } | { ok: false; field: string; message: string };

/** Options from the form's text; an empty field is left out, so the API fills in its default (or keeps a stored secret). */
export function buildOptions(fields: readonly Field[], values: Record<string, string>): BuiltOptions {
  const options: Record<string, unknown> = {};
  for (const field of fields) {
    const text = (values[field.name] ?? '').trim();
    if (text === '') continue;
    let value: unknown = text;
    if (field.kind === 'number') {
      value = Number(text);
      if (!Number.isFinite(value)) return { ok: false, field: field.name, message: 'must be a number' };
    } else if (field.kind === 'boolean') {
      value = text === 'true';
    } else if (field.kind === 'json') {
      try {
        value = JSON.parse(text);
      } catch {
        return { ok: false, field: field.name, message: 'must be valid JSON' };
      }
    }
    const path = field.name.split('.');
    let target = options;
    for (const key of path.slice(0, -1)) {
      target[key] = (target[key] as Record<string, unknown> | undefined) ?? {};
      target = target[key] as Record<string, unknown>;
    }
    target[path.at(-1) ?? field.name] = value;
  }
  return { ok: true, options };
}
