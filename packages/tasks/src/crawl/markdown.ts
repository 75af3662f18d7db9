import { hasChildren, isTag, isText, type AnyNode, type Element } from 'domhandler';

/*
 * Markdown written straight from the parsed tree (domhandler, cheerio's),
 * in one walk: no HTML is serialized and parsed again by a converter (node-
 * html-markdown did both, and its output buffer made it grow faster than the
 * page: 2.4-6.3 s for a real page of 7,000-10,000 elements; cut into pieces,
 * still ~240 ms for Wikipedia's 9,900-element test page). CommonMark with GFM
 * tables: `#` headings, `-` bullets, `1.` ordered lists, `_em_`, `**strong**`,
 * fenced code, `>` quotes, `[text](href)`, `![alt](src)`. Recursive on the
 * tree's depth: callers keep the tree within CRAWL_MAX_CONTENT_DEPTH first.
 * Every pattern here runs in linear time (no `\s*\n\s*`, no `\s+$`: a cell or
 * a code block of whitespace would backtrack quadratically).
 */

/** Elements rendered inside a line of text. */
const INLINE = new Set(
  (
    'a abbr acronym b bdi bdo big cite code data del dfn em font i img input ins kbd label mark q s samp small ' +
    'span strike strong sub sup time tt u var wbr br ruby rb'
  ).split(' '),
);

/** Never written: what they hold is no text of the page. */
const SKIP = new Set(['script', 'style', 'noscript', 'template', 'head', 'title', 'meta', 'link', 'svg', 'canvas']);

/** Characters that would start markdown syntax inside text. */
const SPECIAL = /[\\`*_[\]]/g;

/** Whitespace other than single spaces (a run, a tab, a line break): what `escaped` rewrites. */
const UNEVEN_SPACE = /\s\s|[^\S ]/;
/** A character {@link SPECIAL} escapes (no `g`: `test` keeps no state). */
const ANY_SPECIAL = /[\\`*_[\]]/;

/** Text as markdown: whitespace runs one space, syntax characters escaped (most text needs neither: no copy). */
function escaped(text: string): string {
  const spaced = UNEVEN_SPACE.test(text) ? text.replace(/\s+/g, ' ') : text;
  return ANY_SPECIAL.test(spaced) ? spaced.replace(SPECIAL, '\\$&') : spaced;
}

/** A line that would read as a heading, quote, list item or rule escaped at its start. */
function safeLineStart(line: string): string {
  return line.replace(/^(\s*)([#>+-]|\d+[.)])(?=\s|$)/, (_all, space: string, mark: string) =>
    /^\d/.test(mark) ? `${space}${mark.slice(0, -1)}\\${mark.slice(-1)}` : `${space}\\${mark}`,
  );
}

function attribute(element: Element, name: string): string {
  return (element.attribs[name] ?? '').trim();
}

/** `inner` wrapped in `mark` on both sides, the spaces at its ends moved outside (`** x**` is not bold). */
function wrapped(inner: string, mark: string): string {
  const trimmed = inner.trim();
  if (!trimmed) return inner;
  const before = inner.startsWith(' ') ? ' ' : '';
  const after = inner.endsWith(' ') ? ' ' : '';
  return `${before}${mark}${trimmed}${mark}${after}`;
}

/** Inline code: fenced by one backtick more than the longest run inside. */
function inlineCode(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  if (!flat.trim()) return '';
  let longest = 0;
  for (const run of flat.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** The raw text under `node`, as written (pre, code). */
function rawText(node: AnyNode): string {
  if (isText(node)) return node.data;
  if (!hasChildren(node)) return '';
  if (isTag(node) && node.name === 'br') return '\n';
  let out = '';
  for (const child of node.children) out += rawText(child);
  return out;
}

/** A link's destination written so that markdown reads it whole. */
function destination(url: string): string {
  return /[\s()<>]/.test(url) ? `<${url.replace(/[<>\s]/g, encodeURIComponent)}>` : url;
}

/** The inline markdown of `nodes` (a paragraph's content), on one logical line with `  \n` breaks. */
function inline(nodes: readonly AnyNode[]): string {
  let out = '';
  for (const node of nodes) out += inlineNode(node);
  return out;
}

function inlineNode(node: AnyNode): string {
  if (isText(node)) return escaped(node.data);
  if (!isTag(node) || SKIP.has(node.name)) return '';
  const inner = () => inline(node.children);
  switch (node.name) {
    case 'br':
      return '  \n';
    case 'strong':
    case 'b':
      return wrapped(inner(), '**');
    case 'em':
    case 'i':
    case 'cite':
    case 'dfn':
      return wrapped(inner(), '_');
    case 'del':
    case 's':
    case 'strike':
      return wrapped(inner(), '~~');
    case 'code':
    case 'kbd':
    case 'samp':
    case 'tt':
      return inlineCode(rawText(node));
    case 'img': {
      const src = attribute(node, 'src');
      return src ? `![${escaped(attribute(node, 'alt'))}](${destination(src)})` : '';
    }
    case 'a': {
      const text = inner();
      const href = attribute(node, 'href');
      if (!href || href.startsWith('#') || /^javascript:/i.test(href) || !text.trim()) return text;
      return spaced(text, href);
    }
    default:
      // Blocks inside inline content (a div in a link) read as their text on the line.
      return inner();
  }
}

/** `[text](href)` with the spaces around `text` kept outside the brackets. */
function spaced(text: string, href: string): string {
  const before = /^\s/.test(text) ? ' ' : '';
  const after = /\s$/.test(text) ? ' ' : '';
  return `${before}[${text.trim()}](${destination(href)})${after}`;
}

/** Lines of `text` each prefixed: the first with `first`, the others with `rest`. */
function indented(text: string, first: string, rest: string): string {
  return text
    .split('\n')
    .map((line, index) => (index === 0 ? first : line ? rest : rest.trimEnd()) + line)
    .join('\n');
}

function heading(element: Element): string {
  const text = inline(element.children).replace(/\s+/g, ' ').trim();
  return text ? `${'#'.repeat(Number(element.name[1]))} ${text}` : '';
}

function list(element: Element): string {
  const ordered = element.name === 'ol';
  let number = Number.parseInt(attribute(element, 'start'), 10);
  if (!Number.isFinite(number)) number = 1;
  const items: string[] = [];
  for (const child of element.children) {
    if (!isTag(child)) continue;
    // Stray text or elements straight in a list (not in an li) read as an item too.
    const content = child.name === 'li' ? blocks(child.children) : blocks([child]);
    if (!content) continue;
    const marker = ordered ? `${number++}.` : '-';
    items.push(indented(content, `${marker} `, ' '.repeat(marker.length + 1)));
  }
  return items.join('\n');
}

function codeBlock(element: Element): string {
  const code = element.children.find((child): child is Element => isTag(child) && child.name === 'code');
  const language = /(?:^|\s)(?:lang|language)-([\w+#-]+)/.exec(
    `${attribute(element, 'class')} ${code ? attribute(code, 'class') : ''}`,
  )?.[1];
  const text = rawText(element).replace(/^\n/, '').trimEnd();
  let longest = 2;
  for (const run of text.match(/^`{3,}/gm) ?? []) longest = Math.max(longest, run.length);
  const fence = '`'.repeat(longest + 1);
  return `${fence}${language ?? ''}\n${text}\n${fence}`;
}

/** Widest a table's column is padded to. */
const PAD_TO = 40;

/** Rows of a table (its own, not a nested table's): each a list of cells, the header's flagged. */
function rowsOf(table: Element): { cells: Element[]; header: boolean }[] {
  const rows: { cells: Element[]; header: boolean }[] = [];
  const visit = (parent: Element) => {
    for (const child of parent.children) {
      if (!isTag(child)) continue;
      if (child.name === 'tr') {
        const cells = child.children.filter(
          (cell): cell is Element => isTag(cell) && (cell.name === 'td' || cell.name === 'th'),
        );
        rows.push({ cells, header: parent.name === 'thead' || cells.every((cell) => cell.name === 'th') });
      } else if (child.name === 'thead' || child.name === 'tbody' || child.name === 'tfoot') visit(child);
    }
  };
  visit(table);
  return rows;
}

function table(element: Element): string {
  const rows = rowsOf(element).filter((row) => row.cells.length > 0);
  if (rows.length === 0) return '';
  const text = rows.map((row) =>
    row.cells.map((cell) => blocks(cell.children).replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim()),
  );
  const columns = text.reduce((most, row) => Math.max(most, row.length), 0);
  // A one-cell table is a layout box: its content, not a table.
  if (columns === 1 && rows.length === 1) return blocks(rows[0].cells[0].children);
  // Columns padded to line up, up to PAD_TO characters: one long cell does not widen every row of its column.
  const widths = new Array<number>(columns).fill(3);
  for (const row of text)
    row.forEach((cell, column) => (widths[column] = Math.max(widths[column], Math.min(cell.length, PAD_TO))));
  const line = (row: string[]) => `| ${widths.map((width, column) => (row[column] ?? '').padEnd(width)).join(' | ')} |`;
  // GFM needs a header row: the first row is it, whatever its cells are.
  const [head, ...body] = text;
  const rule = `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`;
  return [line(head), rule, ...body.map(line)].join('\n');
}

/** The markdown of one block-level element. */
function block(element: Element): string {
  switch (element.name) {
    case 'h1':
    case 'h2':
    case 'h3':
    case 'h4':
    case 'h5':
    case 'h6':
      return heading(element);
    case 'hr':
      return '---';
    case 'pre':
      return codeBlock(element);
    case 'blockquote': {
      const inner = blocks(element.children);
      return inner ? indented(inner, '> ', '> ') : '';
    }
    case 'ul':
    case 'ol':
    case 'menu':
      return list(element);
    case 'table':
      return table(element);
    default:
      return blocks(element.children);
  }
}

/** The markdown of a run of sibling nodes: inline runs become paragraphs, blocks their own; joined by blank lines. */
function blocks(nodes: readonly AnyNode[]): string {
  const out: string[] = [];
  let run: AnyNode[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const text = inline(run)
      .split('\n')
      .map((line) => safeLineStart(line.replace(/^ +/, '')))
      .join('\n')
      .trim();
    if (text) out.push(text);
    run = [];
  };
  for (const node of nodes) {
    if (isTag(node) && SKIP.has(node.name)) continue;
    if (!isTag(node) || INLINE.has(node.name)) {
      run.push(node);
      continue;
    }
    flush();
    const text = block(node);
    if (text.trim()) out.push(text);
  }
  flush();
  return out.join('\n\n');
}

/** Markdown of `root` and everything under it. */
export function toMarkdown(root: AnyNode): string {
  const text = hasChildren(root) && !isTag(root) ? blocks(root.children) : blocks([root]);
  return text.replace(/\n{3,}/g, '\n\n').trim();
}
