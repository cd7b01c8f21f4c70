/**
 * Connection strings as tm shows them: every password replaced by ***, in
 * either form libpq accepts, however the value is written. A password is
 * masked whole even when it holds spaces, quotes, backslashes, `@`, `/` or
 * `#` (which URL parsers disagree about): too much masked is harmless, a
 * tail of a password left on screen is not.
 */

const MASK = '***';

/** `scheme://`: the URL form (postgresql://user:password@host/db?password=…). */
const URL_START = /^\s*[a-z][a-z0-9+.-]*:\/\//i;

/** The URL or key=value connection string with any password replaced by ***, for display. */
export function maskUrl(url: string): string {
  return URL_START.test(url) ? maskUrlForm(url) : maskKeyValueForm(url);
}

/**
 * user:password@host: the user information runs to the last `@` (WHATWG's
 * reading; libpq stops at the first `@` or `/`, which only masks less), the
 * password from the first `:` in it. Query parameters password= and
 * sslpassword= run to the next `&`.
 */
function maskUrlForm(url: string): string {
  const start = url.indexOf('://') + 3;
  const at = url.lastIndexOf('@');
  let masked = url;
  if (at > start) {
    const colon = url.indexOf(':', start);
    if (colon >= 0 && colon < at) masked = url.slice(0, colon + 1) + MASK + url.slice(at);
  }
  return masked.replace(/([?&](?:ssl)?password=)[^&]*/gi, `$1${MASK}`);
}

/**
 * key=value pairs (libpq): a value is either single-quoted, with \' and \\
 * inside, or a run of non-space characters where a backslash escapes the
 * next one (`password=SECRET\ PART` is one value). URLs inside are masked too.
 */
function maskKeyValueForm(text: string): string {
  const value = String.raw`'(?:[^'\\]|\\[\s\S])*'?|(?:[^\s\\]|\\[\s\S])+`;
  const pair = new RegExp(String.raw`(^|\s)((?:ssl)?password)(\s*=\s*)(?:${value})?`, 'gi');
  return maskEmbeddedUrls(text).replace(pair, (_all, before: string, key: string, equals: string) => `${before}${key}${equals}${MASK}`);
}

/** Masks the password of any URL inside a message (user:password@). */
export function maskEmbeddedUrls(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@]*@/gi, `$1${MASK}@`);
}
