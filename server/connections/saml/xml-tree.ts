/**
 * Reading the xml2js trees node-saml parses SAML into (prefixes stripped, children as arrays,
 * attributes under `$`, text under `_`) without trusting their shape.
 */
import { parseXml2JsFromString } from '@node-saml/node-saml/lib/xml.js';

export type XmlNode = Record<string, unknown>;

function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  const value = node?.[name];
  return Array.isArray(value) ? value.filter(isNode) : [];
}

export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  return children(node, name)[0];
}

export function attribute(node: XmlNode | undefined, name: string): string | undefined {
  const attributes = node?.['$'];
  const value = isNode(attributes) ? attributes[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

export function text(node: XmlNode | undefined): string | undefined {
  const value = node?.['_'];
  return typeof value === 'string' ? value : undefined;
}

/** The root element's node (`Response`, `Assertion`), or undefined when the tree is something else. */
export function root(tree: unknown, name: string): XmlNode | undefined {
  return isNode(tree) && isNode(tree[name]) ? tree[name] : undefined;
}

/** The unverified response as posted, for what node-saml does not read from it; undefined if it is not XML. */
export async function parseResponse(samlResponse: string): Promise<XmlNode | undefined> {
  try {
    return root(await parseXml2JsFromString(Buffer.from(samlResponse, 'base64').toString('utf8')), 'Response');
  } catch {
    return undefined;
  }
}
