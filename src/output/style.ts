/**
 * Colour, only where a person reads it: on a terminal, never with NO_COLOR
 * (https://no-color.org: set and not empty) or TERM=dumb; FORCE_COLOR (not 0)
 * turns it on elsewhere. Renderers produce plain text (golden files, plan
 * files, CI logs and pipes never see escape codes); the CLI paints what it
 * writes to a terminal.
 */
import { createColors } from 'picocolors';

export type Paint = (text: string) => string;

export interface Style {
  enabled: boolean;
  green: Paint;
  yellow: Paint;
  red: Paint;
  cyan: Paint;
  bold: Paint;
  dim: Paint;
}

/** Whether output to this stream gets colour. */
export function colorEnabled(stream: { isTTY?: boolean } | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return Boolean(stream?.isTTY) && env.TERM !== 'dumb';
}

export function createStyle(enabled: boolean): Style {
  const c = createColors(enabled);
  return { enabled, green: c.green, yellow: c.yellow, red: c.red, cyan: c.cyan, bold: c.bold, dim: c.dim };
}

export function styleFor(stream: { isTTY?: boolean } | undefined, env: NodeJS.ProcessEnv = process.env): Style {
  return createStyle(colorEnabled(stream, env));
}

/**
 * Paints a plan as renderPlanText prints it (src/output/planText.ts), line by
 * line: `+` lines green, `~` yellow, `-` red, hazard and outlier lines
 * (`!`) red or yellow, DATA_LOSS flags red, cohort headers and the summary bold.
 */
export function paintPlanText(text: string, style: Style): string {
  if (!style.enabled) return text;
  return text
    .split('\n')
    .map((line) => {
      const step = /^( {2})([+~-])( .*)$/.exec(line);
      if (step) {
        const paint = step[2] === '+' ? style.green : step[2] === '~' ? style.yellow : style.red;
        const [object, flags] = splitFlags(step[3]);
        return `${step[1]}${paint(`${step[2]}${object}`)}${flags ? paintFlags(flags, style) : ''}`;
      }
      if (/^ {6}! DATA_LOSS:/.test(line)) return style.red(line);
      if (/^ {6}! /.test(line) || /^ {2}! Outlier/.test(line) || /^! /.test(line)) return style.yellow(line);
      if (/^Cohort \S+: /.test(line)) return style.bold(line);
      if (/^(Plan: |No changes\.)/.test(line)) return style.bold(line);
      return line;
    })
    .join('\n');
}

/** `create table "T"  [DATA_LOSS, INDEX_BUILD]` → [`create table "T"`, `  [DATA_LOSS, INDEX_BUILD]`]. */
function splitFlags(text: string): [string, string] {
  const at = text.lastIndexOf('  [');
  return at >= 0 && text.endsWith(']') ? [text.slice(0, at), text.slice(at)] : [text, ''];
}

function paintFlags(flags: string, style: Style): string {
  return flags.replace(/[A-Z_]+/g, (type) => (type === 'DATA_LOSS' ? style.red(style.bold(type)) : style.yellow(type)));
}

/** Apply and migrate progress lines: ✓ green, ✗ and ! red, = and ~ dim. */
export function paintApplyLine(line: string, style: Style): string {
  if (!style.enabled) return line;
  const mark = /^(\s*)([✓✗=!~])( .*)$/s.exec(line);
  if (!mark) return /^Apply complete: /.test(line) ? style.bold(line) : line;
  const paint = mark[2] === '✓' ? style.green : mark[2] === '✗' || mark[2] === '!' ? style.red : style.dim;
  return `${mark[1]}${paint(mark[2])}${mark[3]}`;
}
