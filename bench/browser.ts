/** A minimal browser for logins: a cookie jar, manual redirects, and forms submitted as the served HTML defines them. */
import { parse, type HTMLElement } from 'node-html-parser';

export interface Page {
  url: string;
  status: number;
  html: string;
  document: HTMLElement;
}

export type Visit = Page | { redirect: string };

export function isPage(visit: Visit): visit is Page {
  return 'html' in visit;
}

const MAX_REDIRECTS = 20;

export class Browser {
  private readonly cookies = new Map<string, string>();

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

  private async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(response);
    return response;
  }

  /**
   * Follows redirects until a page is served, or until a Location starts with stopAt (the
   * relying party's redirect_uri, which nothing listens on), returned unvisited.
   */
  async navigate(url: string, stopAt: string, init: RequestInit = {}): Promise<Visit> {
    let current = url;
    let response = await this.request(current, init);
    for (let hops = 0; hops < MAX_REDIRECTS; hops += 1) {
      const location = response.headers.get('location');
      if (!(response.status >= 300 && response.status < 400 && location)) break;
      const next = new URL(location, current).toString();
      if (next.startsWith(stopAt)) return { redirect: next };
      current = next;
      response = await this.request(current);
    }
    const html = await response.text();
    return { url: current, status: response.status, html, document: parse(html) };
  }

  /** Fills the page's first form with values on top of its own inputs and submits it. */
  async submit(page: Page, values: Readonly<Record<string, string>>, stopAt: string): Promise<Visit> {
    const form = page.document.querySelector('form');
    if (!form) throw new Error(`no form on ${page.url} (${page.status}): ${page.html.slice(0, 300)}`);
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
