/**
 * A small strict XML parser for tests: enough of XML 1.0 to check that our SVGs are well formed
 * (one root, matched tags, quoted unique attributes, only the five predefined entities and
 * character references, no stray `<` or `&`) and to query the element tree.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][\w.:-]*/;

export function parseXml(source: string): XmlElement {
  let at = 0;
  const fail = (message: string): never => {
    const line = source.slice(0, at).split('\n').length;
    throw new SyntaxError(`XML: ${message} at line ${line}`);
  };
  const decode = (raw: string): string => {
    if (/<|&(?!(?:lt|gt|amp|quot|apos|#\d+|#x[\da-fA-F]+);)/.test(raw)) fail(`stray < or & in ${JSON.stringify(raw.slice(0, 40))}`);
    return raw.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[\da-fA-F]+);/g, (_, e: string) =>
      e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)) : ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[e]!,
    );
  };
  const skipMisc = () => {
    for (;;) {
      const ws = /^\s*/.exec(source.slice(at))![0];
      at += ws.length;
      if (source.startsWith('<?', at)) {
        const end = source.indexOf('?>', at);
        if (end < 0) fail('unterminated processing instruction');
        at = end + 2;
      } else if (source.startsWith('<!--', at)) {
        const end = source.indexOf('-->', at);
        if (end < 0) fail('unterminated comment');
        at = end + 3;
      } else return;
    }
  };
  const element = (): XmlElement => {
    if (source[at] !== '<') fail('expected <');
    at++;
    const name = NAME.exec(source.slice(at))?.[0] ?? fail('expected an element name');
    at += name.length;
    const node: XmlElement = { name, attributes: {}, children: [], text: '' };
    for (;;) {
      const ws = /^\s*/.exec(source.slice(at))![0];
      at += ws.length;
      if (source.startsWith('/>', at)) {
        at += 2;
        return node;
      }
      if (source[at] === '>') {
        at++;
        break;
      }
      if (ws.length === 0) fail(`expected whitespace before an attribute of <${name}>`);
      const attr = NAME.exec(source.slice(at))?.[0] ?? fail(`bad attribute in <${name}>`);
      at += attr.length;
      const m = /^\s*=\s*("([^"]*)"|'([^']*)')/.exec(source.slice(at)) ?? fail(`attribute ${attr} of <${name}> needs a quoted value`);
      at += m[0].length;
      if (attr in node.attributes) fail(`duplicate attribute ${attr} in <${name}>`);
      node.attributes[attr] = decode(m[2] ?? m[3] ?? '');
    }
    for (;;) {
      const next = source.indexOf('<', at);
      if (next < 0) fail(`<${name}> is not closed`);
      node.text += decode(source.slice(at, next));
      at = next;
      if (source.startsWith('</', at)) {
        const m = /^<\/([A-Za-z_:][\w.:-]*)\s*>/.exec(source.slice(at)) ?? fail('bad end tag');
        if (m[1] !== name) fail(`</${m[1]}> closes <${name}>`);
        at += m[0].length;
        return node;
      }
      if (source.startsWith('<!--', at)) {
        const end = source.indexOf('-->', at);
        if (end < 0) fail('unterminated comment');
        at = end + 3;
        continue;
      }
      node.children.push(element());
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (at !== source.length) fail('content after the root element');
  return root;
}

/** Every element in the tree (depth first) whose name is `name`. */
export function findAll(root: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (node: XmlElement) => {
    if (node.name === name) out.push(node);
    node.children.forEach(walk);
  };
  walk(root);
  return out;
}
