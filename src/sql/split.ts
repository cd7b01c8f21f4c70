/**
 * Splits a script into statements the way PostgreSQL's lexer would: a `;`
 * ends a statement unless it is inside a string ('…', E'…' with backslash
 * escapes), a quoted identifier ("…"), a dollar-quoted string ($tag$…$tag$)
 * or a comment (-- to the end of the line, nested /* … *\/). Comments and
 * blank statements are dropped; each statement comes back trimmed.
 *
 * Used to run Prisma's rendered SQL one statement at a time over the extended
 * protocol, where the server itself refuses a query string holding more than
 * one statement: if this splitter ever disagrees with the server, the
 * statement fails instead of running something unchecked.
 */
export function splitStatements(script: string): string[] {
  const out: string[] = [];
  let current = '';
  let i = 0;
  const n = script.length;
  const isIdentChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(c);
  const push = () => {
    const text = current.trim();
    if (text) out.push(text);
    current = '';
  };
  while (i < n) {
    const c = script[i];
    const next = script[i + 1];
    if (c === '-' && next === '-') {
      // A line comment: dropped (kept as a newline so tokens do not merge).
      while (i < n && script[i] !== '\n') i++;
      current += '\n';
      continue;
    }
    if (c === '/' && next === '*') {
      i = blockCommentEnd(script, i);
      current += ' ';
      continue;
    }
    if (c === "'" || c === '"') {
      // E'…' (and e'…') strings take backslash escapes; everything quoted doubles its quote.
      const escapes = c === "'" && /[eE]/.test(script[i - 1] ?? '') && !isIdentChar(script[i - 2]);
      const j = closingQuote(script, i, escapes);
      current += script.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === '$' && !isIdentChar(script[i - 1])) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(script.slice(i));
      if (tag) {
        const end = script.indexOf(tag[0], i + tag[0].length);
        const stop = end === -1 ? n : end + tag[0].length;
        current += script.slice(i, stop);
        i = stop;
        continue;
      }
    }
    if (c === ';') {
      push();
      i++;
      continue;
    }
    current += c;
    i++;
  }
  push();
  return out;
}

/** Just past the block comment starting at `start` (PostgreSQL's comments nest), or the end of the script. */
export function blockCommentEnd(script: string, start: number): number {
  let i = start;
  let depth = 0;
  do {
    if (script[i] === '/' && script[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (script[i] === '*' && script[i + 1] === '/') {
      depth--;
      i += 2;
    } else i++;
  } while (i < script.length && depth > 0);
  return i;
}

/** Where the quoted text starting at `start` ends (its closing quote; a doubled quote is part of the text), or the end of the script. */
export function closingQuote(script: string, start: number, backslashEscapes: boolean): number {
  const quote = script[start];
  let j = start + 1;
  for (; j < script.length; j++) {
    if (backslashEscapes && script[j] === '\\') {
      j++;
      continue;
    }
    if (script[j] === quote) {
      if (script[j + 1] === quote) {
        j++;
        continue;
      }
      break;
    }
  }
  return j;
}

/**
 * `a, lower(b), (c || d)` → its parts, split at commas outside parentheses,
 * string literals and quoted identifiers; each part trimmed, empty ones left
 * out.
 */
export function splitTopLevelCommas(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(list.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(list.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}
