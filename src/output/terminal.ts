/**
 * Text from outside tm (schema, table and column names found in a database,
 * server messages, anything read from a plan file) as a terminal may show it.
 * PostgreSQL names can hold any character but NUL: an ESC starts a control
 * sequence (`ESC[8m` hides what follows, others move the cursor or set the
 * window title), a bare CR returns to the line's start and overwrites it, a
 * bidirectional override reorders what is read. They are printed in a
 * visible, unambiguous-enough form instead: `\r`, `\x1b`, `\u202e`.
 *
 * Renderers (src/output/*Text.ts, describe.ts) print names through termName
 * and pass their whole text through termLines; colour is painted afterwards,
 * so tm's own escape codes are the only ones a terminal sees.
 */

/** C0 controls, DEL, C1 controls, and the Unicode bidirectional embeddings, overrides and isolates. */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** The same, newlines and tabs left alone. */
const CONTROLS_BUT_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A character in its visible form: \r, \n, \t, \x1b, \u202e. */
export function visibleControl(ch: string): string {
  const code = ch.charCodeAt(0);
  return NAMED[ch] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** A name (or any one-line value) with every control character visible, newlines included: it stays on its line. */
export function termName(text: string): string {
  return text.replace(CONTROLS, visibleControl);
}

/** Multi-line text (a whole rendered report, SQL, a server message): newlines and tabs kept, every other control character visible. */
export function termLines(text: string): string {
  return text.replace(CONTROLS_BUT_LAYOUT, visibleControl);
}
