/**
 * A minimal browser for protocol tests: a cookie jar, manual redirects, and form submission
 * read from the served HTML, so tests drive the login page exactly as a person would.
 */
import { type HTMLElement, parse } from 'node-html-parser';

export interface Page {
  url: string;
  status: number;
  /** The response's headers, when the page came from a request. */
  headers?: Headers;
  html: string;
  document: HTMLElement;
}

export class Browser {
  private readonly cookies = new Map<string, string>();

  /** `headers` go with every request, e.g. an X-Forwarded-For to stand for a client behind a proxy. */
  constructor(private readonly headers: Record<string, string> = {}) {}

  private store(response: Response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key, val] = attribute.trim().split('=');
        return key?.toLowerCase() === 'expires' && val !== undefined && Date.parse(val) < Date.now();
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  clearCookies() {
    this.cookies.clear();
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(this.headers)) headers.set(name, value);
    if (this.cookies.size) headers.set('cookie', this.cookieHeader());
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(response);
    return response;
  }

  /**
   * Follows redirects from url until a page is served, or until a Location starts with
   * stopAt (the relying party's redirect_uri), which is returned unvisited.
   */
  async navigate(url: string, stopAt?: string, init: RequestInit = {}): Promise<Page | { redirect: string }> {
    let current = url;
    let response = await this.request(current, init);
    for (let hops = 0; hops < 20; hops += 1) {
      const location = response.headers.get('location');
      if (!(response.status >= 300 && response.status < 400 && location)) break;
      const next = new URL(location, current).toString();
      if (stopAt && next.startsWith(stopAt)) return { redirect: next };
      current = next;
      response = await this.request(current);
    }
    const html = await response.text();
    return { url: current, status: response.status, headers: response.headers, html, document: parse(html) };
  }

  /** Fills the page's first form with values and submits it to the form's action. */
  async submit(page: Page, values: Record<string, string>, stopAt?: string) {
    const form = page.document.querySelector('form');
    if (!form) throw new Error(`no form on ${page.url}: ${page.html.slice(0, 300)}`);
    const body = new URLSearchParams();
    for (const input of form.querySelectorAll('input')) {
      const name = input.getAttribute('name');
      if (name) body.set(name, input.getAttribute('value') ?? '');
    }
    for (const [name, value] of Object.entries(values)) body.set(name, value);
    const action = new URL(form.getAttribute('action') ?? page.url, page.url).toString();
    return this.navigate(action, stopAt, {
      method: (form.getAttribute('method') ?? 'get').toUpperCase(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
  }
}

/** Where a navigation ended: on a page, or at a redirect to the stop address. */
export type Visit = Page | { redirect: string };

export function isPage(result: Visit): result is Page {
  return 'html' in result;
}
