/**
 * Markdown helpers (GitHub-flavoured) for the plan's pull-request comment.
 *
 * Every name and every value read from a database or a plan file goes through
 * one of them, so that no name can open markup: a schema called
 * `tenant_q\r<!--` must not start an HTML comment that hides the rest of the
 * comment (a bare CR is a line ending to CommonMark, and `<!--` at a line's
 * start opens an HTML block), a `|` must not split a table cell, a backtick
 * must not close a code span, `<img …>` must stay text. Control characters are
 * shown as on the terminal (`\r`, `\x1b`: src/output/terminal.ts).
 */
import { termLines, termName } from './terminal.js';

/** Text as Markdown shows it literally: emphasis, links, HTML, entities, mentions and table pipes escaped, one line. */
export function mdText(text: string): string {
  return termName(text.replace(/\r?\n/g, ' ')).replace(/[\\`*_[\]<>|&~$@]/g, (ch) => `\\${ch}`);
}

/** Inline code, whatever backticks the text holds, on one line (mdTable escapes its pipes in a table cell). */
export function mdCode(text: string): string {
  const flat = termName(text);
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = longest > 0 || flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A fenced code block whose fence is longer than any backtick run inside; a CR or ESC in a name shows, it cannot break a line. */
export function mdFence(language: string, body: string): string {
  const shown = termLines(body);
  const longest = Math.max(0, ...(shown.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${shown}\n${fence}`;
}

/** Text inside raw HTML (a `<summary>` line), where Markdown escapes do not apply: entities instead. */
export function htmlText(text: string): string {
  const entity: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  return termName(text).replace(/[&<>"']/g, (ch) => entity[ch]);
}

/**
 * A GFM table. A `|` splits a cell even inside a code span unless escaped
 * (GitHub then shows it without the backslash), so every pipe of a cell's
 * Markdown that is not escaped yet is escaped here.
 */
export function mdTable(header: string[], align: ('left' | 'right')[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((cell) => cell.replace(/(?<!\\)\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(align.map((a) => (a === 'right' ? '---:' : '---'))), ...rows.map(line)].join('\n');
}
