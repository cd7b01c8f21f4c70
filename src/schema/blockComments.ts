/**
 * Prisma accepts `/* … *\/` block comments between blocks, on their own lines
 * inside a block and after a field, value or attribute (it keeps them as
 * documentation); prisma-ast, which tm uses to find the blocks and their
 * lines, does not parse them at all. tm gives prisma-ast a copy of each file
 * with every block comment blanked out by spaces, so that every line (and
 * every column before a comment's end) stays where it is in the real file:
 * errors name file:line. Prisma itself always judges the real text: where it does not
 * accept a block comment (in the middle of a field, say), its error is the
 * one reported.
 */

/**
 * The text with each `/* … *\/` comment's characters replaced by spaces,
 * newlines kept; a line that a comment ends loses its trailing spaces.
 * `/*` inside a string literal or after `//` on a line does not start a
 * comment; an unterminated one is left as it is, for Prisma to report.
 */
export function blankBlockComments(text: string): string {
  if (!text.includes('/*')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (text.startsWith('//', i)) {
      const end = lineEnd(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) return out + text.slice(i);
      // Spaces before a line break are dropped: prisma-ast's lexer reads
      // `{   \n` as one whitespace token and then misses the line break.
      let end = close + 2;
      while (text[end] === ' ' || text[end] === '\t') end += 1;
      out += text.slice(i, end).replace(/[^\n]/g, ' ');
      if (text[end] === '\n' || end === text.length) out = withoutTrailingSpaces(out);
      i = end;
    } else {
      out += char;
      i += 1;
    }
  }
  return out;
}

/** Just after the string literal opening at `start`: its closing quote, or the end of the line (Prisma strings are one line). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' && text[i + 1] !== '\n' ? 2 : 1;
  return text[i] === '"' ? i + 1 : Math.min(i, text.length);
}

function withoutTrailingSpaces(text: string): string {
  let end = text.length;
  while (end > 0 && (text[end - 1] === ' ' || text[end - 1] === '\t')) end -= 1;
  return text.slice(0, end);
}

function lineEnd(text: string, start: number): number {
  const newline = text.indexOf('\n', start);
  return newline < 0 ? text.length : newline;
}
