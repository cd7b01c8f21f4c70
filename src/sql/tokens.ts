/**
 * A statement cut into PostgreSQL's tokens, enough to tell names from
 * keywords, string literals and punctuation: what src/plan/stepCheck.ts reads
 * a plan's steps with. Comments are dropped. It follows the same quoting
 * rules as splitStatements (split.ts): '…', E'…' with backslash escapes,
 * "…", $tag$…$tag$, -- and nested /* … *\/ comments.
 */

import { blockCommentEnd, closingQuote } from './split.js';

export type TokenKind = 'word' | 'ident' | 'string' | 'number' | 'punct' | 'op';

export interface Token {
  kind: TokenKind;
  /** word: lower-cased (PostgreSQL folds unquoted names); ident: the name without its quotes; others: the text. */
  value: string;
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const OP_CHAR = /[+\-*/<>=~!@#%^&|`?:]/;

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && next === '-') {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      i = blockCommentEnd(sql, i);
    } else if ((c === 'u' || c === 'U') && next === '&' && (sql[i + 2] === '"' || sql[i + 2] === "'")) {
      // U&"…" / U&'…' (Unicode escapes): the quoted text that follows is its own token; the marker tells the reader.
      out.push({ kind: 'op', value: 'U&' });
      i += 2;
    } else if (c === "'" || ((c === 'e' || c === 'E') && next === "'")) {
      const escapes = c !== "'";
      const start = escapes ? i + 1 : i;
      const end = closingQuote(sql, start, escapes);
      out.push({ kind: 'string', value: sql.slice(i, end + 1) });
      i = end + 1;
    } else if (c === '"') {
      const end = closingQuote(sql, i, false);
      out.push({ kind: 'ident', value: sql.slice(i + 1, end).replace(/""/g, '"') });
      i = end + 1;
    } else if (c === '$' && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(sql.slice(i, i + 64))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i))![0];
      const end = sql.indexOf(tag, i + tag.length);
      const stop = end === -1 ? n : end + tag.length;
      out.push({ kind: 'string', value: sql.slice(i, stop) });
      i = stop;
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < n && WORD_CHAR.test(sql[j])) j++;
      out.push({ kind: 'word', value: sql.slice(i, j).toLowerCase() });
      i = j;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(next ?? ''))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(sql.slice(i))!;
      out.push({ kind: 'number', value: m[0] });
      i += m[0].length;
    } else if ('(),;.[]'.includes(c)) {
      out.push({ kind: 'punct', value: c });
      i++;
    } else if (OP_CHAR.test(c)) {
      let j = i + 1;
      while (j < n && OP_CHAR.test(sql[j]) && !(sql[j] === '-' && sql[j + 1] === '-') && !(sql[j] === '/' && sql[j + 1] === '*')) j++;
      out.push({ kind: 'op', value: sql.slice(i, j) });
      i = j;
    } else {
      // Anything else ($1 parameters, stray characters): its own token, never a name.
      out.push({ kind: 'op', value: c });
      i++;
    }
  }
  return out;
}

/** A word or a quoted identifier: something that can name an object. */
export function isName(token: Token | undefined): boolean {
  return token !== undefined && (token.kind === 'word' || token.kind === 'ident');
}
