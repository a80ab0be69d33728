/**
 * The HTML and XML templates: every interpolated value escaped, the template's own markup kept,
 * and the other language's markup treated as text.
 */
import { describe, expect, it } from 'vitest';
import { html, trusted } from '../../server/interactions/html.js';
import { xml } from '../../server/saml-idp/xml.js';

describe('escaping templates', () => {
  it('escapes an interpolated value in HTML and in XML, each with its own entities', () => {
    const value = `<b a="1">Tom & Jerry's</b>`;
    expect(html`<p>${value}</p>`.value).toBe('<p>&lt;b a=&quot;1&quot;&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;</p>');
    expect(xml`<v>${value}</v>`.value).toBe('<v>&lt;b a=&quot;1&quot;&gt;Tom &amp; Jerry&apos;s&lt;/b&gt;</v>');
  });

  it('keeps markup of its own language, joins arrays and leaves out undefined, null and false', () => {
    const items = ['a<', 'b'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>${undefined}${null}${false}${trusted('<br>')}${0}`.value).toBe('<ul><li>a&lt;</li><li>b</li></ul><br>0');
    expect(xml`<a>${xml`<b>${'&'}</b>`}</a>`.value).toBe('<a><b>&amp;</b></a>');
  });

  it('escapes the other language’s markup as text', () => {
    expect(html`${xml`<b/>`}`.value).toBe('&lt;b/&gt;');
    expect(xml`${trusted('<br>')}`.value).toBe('&lt;br&gt;');
  });
});
