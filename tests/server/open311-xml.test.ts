import fc from 'fast-check';
import { SaxesParser } from 'saxes';
import { describe, expect, it } from 'vitest';
import { escapeXml, toXml } from '../../server/http/open311-xml';

// The Open311 XML writer: the spec's element names for lists, and text that no citizen's
// input can turn into markup or into a document a parser refuses.

/** The text of every element, in document order, read back by a real XML parser (throws on malformed XML). */
function texts(xml: string): string[] {
  const out: string[] = [];
  const parser = new SaxesParser();
  let current = '';
  parser.on('opentag', () => (current = ''));
  parser.on('text', (t) => (current += t));
  parser.on('closetag', () => {
    out.push(current);
    current = '';
  });
  parser.write(xml).close();
  return out;
}

/** Any UTF-16 code unit, the markup characters, controls, lone surrogate halves and a pair weighted in. */
const CHAR = fc.oneof(fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), fc.constantFrom('<', '>', '&', '"', "'", '\r', '\n', '\u0000', '\u0001', '\ud800', '\udc00', '\ufffe', '😀', '中'));

describe('toXml', () => {
  it('writes lists with the spec’s item elements and null as an empty element', () => {
    expect(toXml('service_requests', [{ service_request_id: 'a', lat: null }])).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<service_requests><request><service_request_id>a</service_request_id><lat/></request></service_requests>\n');
    expect(toXml('errors', [{ code: 404, description: 'x' }])).toContain('<errors><error><code>404</code>');
    expect(toXml('service_request_updates', [{ update_id: '1' }])).toContain('<request_update><update_id>1</update_id></request_update>');
    expect(toXml('discovery', { endpoints: [{ formats: ['text/xml'] }] })).toContain('<endpoints><endpoint><formats><format>text/xml</format></formats></endpoint></endpoints>');
  });

  it('escapes markup', () => {
    expect(escapeXml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
  });

  it('writes any text as well-formed XML that reads back as the text, less what XML cannot carry (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: CHAR, maxLength: 40 }), (s) => {
        const [got] = texts(toXml('request', { description: s }));
        const carriable = s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '');
        // A parser normalises line ends (CR LF and lone CR become LF).
        expect(got).toBe(carriable.replace(/\r\n?/g, '\n'));
      }),
      { numRuns: 300 },
    );
  });
});
