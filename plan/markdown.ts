/** Small Markdown helpers for the plan: tables, code spans, numbers, as GitHub renders them. */

/** A table cell: `|` escaped and line breaks as `<br>`, so a value never breaks the table. */
export function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** Free text of a declaration (a description) as Markdown text: `<` and `>` as entities, so GitHub never takes them for HTML. */
export function prose(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A GitHub table; every cell is escaped with {@link cell}. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${headers.map(cell).join(' | ')} |`,
    `|${headers.map(() => ' --- ').join('|')}|`,
    ...rows.map(row => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

/** Inline code (a path, a glob, a command); backticks inside would end it, so they are dropped. */
export function code(text: string): string {
  return `\`${text.replace(/`/g, '')}\``;
}

/** An integer with thousands separators, the same on every machine (no locale): `10,240`. */
export function thousands(n: number): string {
  const digits = String(Math.round(Math.abs(n)));
  const groups: string[] = [];
  for (let end = digits.length; end > 0; end -= 3) groups.unshift(digits.slice(Math.max(0, end - 3), end));
  return `${n < 0 ? '-' : ''}${groups.join(',')}`;
}

/** `count` with its noun, singular or plural: `1 service`, `3 services`. */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${thousands(count)} ${count === 1 ? noun : pluralNoun}`;
}

/** A fenced code block: its language and its lines with their 1-based line numbers. */
export interface FencedBlock {
  readonly language: string;
  readonly lines: ReadonlyArray<{ readonly text: string; readonly line: number }>;
}

/** The fenced code blocks of a Markdown text (``` or ~~~, indented or not, e.g. inside a list item). */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  let open: { fence: string; language: string; lines: Array<{ text: string; line: number }> } | undefined;
  markdown.split('\n').forEach((raw, index) => {
    const text = raw.replace(/\r$/, '');
    const fence = /^\s*(`{3,}|~{3,})\s*([\w+-]*)/.exec(text);
    if (open === undefined) {
      if (fence) open = { fence: fence[1], language: fence[2], lines: [] };
      return;
    }
    if (fence && fence[1].startsWith(open.fence) && text.trim() === fence[1]) {
      blocks.push({ language: open.language, lines: open.lines });
      open = undefined;
      return;
    }
    open.lines.push({ text, line: index + 1 });
  });
  return blocks;
}
