/** Small Markdown helpers (GitHub-flavoured), shared by the plan and drift views. */

/** Text as Markdown shows it literally: emphasis, links, HTML and table pipes escaped. */
export function mdText(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, (ch) => `\\${ch}`).replace(/\r?\n/g, ' ');
}

/** Inline code, whatever backticks the text holds; pipes escaped so it is safe in a table cell too. */
export function mdCode(text: string): string {
  const flat = text.replace(/\r?\n/g, ' ');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = longest > 0 || flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat.replace(/\|/g, '\\|')}${pad}${fence}`;
}

/** A fenced code block whose fence is longer than any backtick run inside. */
export function mdFence(language: string, body: string): string {
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${body}\n${fence}`;
}

export function mdTable(header: string[], align: ('left' | 'right')[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(align.map((a) => (a === 'right' ? '---:' : '---'))), ...rows.map(line)].join('\n');
}
