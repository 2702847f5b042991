/**
 * A strict reader of the XML subset an SVG badge is written in (elements,
 * double- or single-quoted attributes, text, the five predefined entities and
 * numeric ones; no comments, CDATA or doctype). Throws on anything not
 * well-formed, so a test that reads a badge through it also proves the badge
 * is XML an image viewer accepts.
 */

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly (XmlElement | string)[];
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string, where: string): string {
  if (text.includes('<')) throw new Error(`raw "<" in ${where}`);
  return text.replace(/&([^;]*);?/g, (whole, name: string) => {
    if (!whole.endsWith(';')) throw new Error(`unterminated entity ${JSON.stringify(whole)} in ${where}`);
    const numeric = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(name);
    if (numeric) return String.fromCodePoint(Number(name.startsWith('#x') ? `0${name.slice(1)}` : name.slice(1)));
    const known = ENTITIES[name];
    if (known === undefined) throw new Error(`unknown entity &${name}; in ${where}`);
    return known;
  });
}

const TAG = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
const ATTRIBUTE = /([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** Parses one document with a single root element; throws when it is not well-formed. */
export function parseXml(text: string): XmlElement {
  const stack: { name: string; attributes: Record<string, string>; children: (XmlElement | string)[] }[] = [];
  let root: XmlElement | undefined;
  const attach = (element: XmlElement) => {
    const parent = stack.at(-1);
    if (parent) parent.children.push(element);
    else if (root) throw new Error('a second root element');
    else root = element;
  };
  let at = 0;
  while (at < text.length) {
    const lt = text.indexOf('<', at);
    const chunk = text.slice(at, lt === -1 ? text.length : lt);
    if (chunk !== '') {
      const parent = stack.at(-1);
      if (parent) parent.children.push(decodeEntities(chunk, `text at ${at}`));
      else if (chunk.trim() !== '') throw new Error(`text outside the root element at ${at}`);
    }
    if (lt === -1) break;
    TAG.lastIndex = lt;
    const m = TAG.exec(text);
    if (!m) throw new Error(`malformed tag at ${lt}: ${JSON.stringify(text.slice(lt, lt + 40))}`);
    const [whole, closing, name, attrs, selfClosing] = m as unknown as [string, string, string, string, string];
    at = lt + whole.length;
    if (closing) {
      const open = stack.pop();
      if (!open || open.name !== name)
        throw new Error(`</${name}> at ${lt} closes ${open ? `<${open.name}>` : 'nothing'}`);
      attach(open);
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const a of attrs.matchAll(ATTRIBUTE)) {
      const key = a[1] as string;
      if (key in attributes) throw new Error(`attribute ${key} twice in <${name}>`);
      attributes[key] = decodeEntities(a[2] ?? a[3] ?? '', `attribute ${key} of <${name}>`);
    }
    if (selfClosing) attach({ name, attributes, children: [] });
    else stack.push({ name, attributes, children: [] });
  }
  if (stack.length > 0) throw new Error(`<${stack.at(-1)?.name}> is never closed`);
  if (!root) throw new Error('no root element');
  return root;
}

/** Every element named `name`, depth first. */
export function findAll(element: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = element.name === name ? [element] : [];
  for (const child of element.children) if (typeof child !== 'string') out.push(...findAll(child, name));
  return out;
}

/** The text inside an element, its descendants' included. */
export function textOf(element: XmlElement): string {
  return element.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}
