/**
 * The schema's own qualifier (`tenant_acme.`, `"Acme".`) in the texts
 * PostgreSQL prints (defaults, types, constraint, index and view
 * definitions): removed on the client (stripSchemaQualifier) so that every
 * tenant in one state has the same model, and exchanged for a marker on the
 * server where signatures are computed (markQualifierOutsideLiteralsSql).
 *
 * A qualifier is a qualifier only in SQL, never inside a string literal: a
 * tenant named `www` keeps the `www.` of `'https://www.example.com'::text`.
 * The one literal that holds SQL names is a constant of an object-reference
 * type (`'tenant_acme."User_id_seq"'::regclass`, as a serial column's
 * default prints): its qualifier is removed like any other.
 *
 * Both sides cut a text into the same tokens with one regular expression
 * (TOKEN, valid in JavaScript and in PostgreSQL's regular expressions alike):
 * a string literal with its `::reg…` cast if any, a quoted identifier with the
 * dot after it, a run of other characters, a stray quote.
 */

/** See the top of this module. The literal's `''` and the identifier's `""` are escaped quotes. */
const TOKEN = `'(?:[^']|'')*'(?:::reg[a-z]+)?|"(?:[^"]|"")*"\\.?|[^'"]+|['"]`;

/** A string literal that is no object reference: its text is data, never changed. */
function isPlainLiteral(token: string): boolean {
  return token.startsWith("'") && !/::reg[a-z]+$/.test(token);
}

function tokens(text: string): string[] {
  return text.match(new RegExp(TOKEN, 'g')) ?? [];
}

/** A character that continues an unquoted name: a qualifier right after one is the tail of a longer name. */
const NAME_CHARACTER = /[A-Za-z0-9_$"\u0080-\uffff]/;

/**
 * Removes the schema's own qualifier from a text PostgreSQL printed, e.g.
 * `'USER'::tenant_acme."Role"` → `'USER'::"Role"`, so that every tenant in the
 * same state prints the same text. Only a qualifier that starts a name (not
 * the tail of a longer identifier, not inside a quoted identifier or a string
 * literal) is removed.
 */
export function stripSchemaQualifier(text: string, prefix: string): string {
  if (!text.includes(prefix)) return text;
  let out = '';
  for (const token of tokens(text)) {
    const before = out.length === 0 ? '' : out[out.length - 1];
    if (isPlainLiteral(token)) out += token;
    else if (token.startsWith("'")) out += referenceWithoutQualifier(token, prefix);
    else if (token.startsWith('"')) out += token === prefix && !NAME_CHARACTER.test(before) ? '' : token;
    else out += stripInRun(token, prefix, before);
  }
  return out;
}

/** `'tenant_acme."T_id_seq"'::regclass` → `'"T_id_seq"'::regclass`: the literal's SQL text, its quotes undoubled, stripped as SQL. */
function referenceWithoutQualifier(token: string, prefix: string): string {
  const close = token.lastIndexOf("'");
  const sql = token.slice(1, close).replace(/''/g, "'");
  return `'${stripSchemaQualifier(sql, prefix).replace(/'/g, "''")}'${token.slice(close + 1)}`;
}

/** A run of characters without quotes: every qualifier that does not follow a name character. */
function stripInRun(run: string, prefix: string, before: string): string {
  let out = '';
  let from = 0;
  for (let at = run.indexOf(prefix); at !== -1; at = run.indexOf(prefix, at + 1)) {
    const previous = at === 0 ? before : run[at - 1];
    if (NAME_CHARACTER.test(previous)) continue;
    out += run.slice(from, at);
    from = at + prefix.length;
  }
  return out + run.slice(from);
}

/**
 * Whether the qualifier shows anywhere but in a plain string literal: in a
 * model's text after stripSchemaQualifier, a place the server's marker
 * (markQualifierOutsideLiteralsSql) covered and the client did not remove, so that
 * schemas with equal signatures could still differ there.
 */
export function holdsQualifier(text: string, prefix: string): boolean {
  return text.includes(prefix) && tokens(text).some((token) => !isPlainLiteral(token) && token.includes(prefix));
}

/** SQL: doubles any byte equal to the marker's first, so that equal marked texts mean equal texts. */
const escapeMarkerSql = (text: string) => `replace(${text}, E'\\x01', E'\\x01\\x01')`;

/**
 * SQL: a printed text that holds no string literal (a type's name, as
 * format_type prints it) with the schema's qualifier `prefix` (SQL
 * expressions both) replaced by a marker: equal results mean equal texts with
 * one qualifier exchanged for the other.
 */
export function markQualifierSql(text: string, prefix: string): string {
  return `replace(${escapeMarkerSql(text)}, ${prefix}, E'\\x01\\x02')`;
}

/**
 * SQL: the same for any printed text (a default, a view's query), outside
 * plain string literals, as stripSchemaQualifier removes it. Only a text
 * holding both the qualifier and a plain literal (an enum default such as
 * `'USER'::tenant_acme."Role"`) is cut into tokens: a text without quotes, or
 * whose only literal is a `::reg…` one (a serial column's nextval default),
 * is one replace(). `offset 0` keeps the text a value computed once: the
 * planner would otherwise inline the printing call (pg_get_expr) into every
 * place the text is used.
 */
export function markQualifierOutsideLiteralsSql(text: string, prefix: string): string {
  const marker = `E'\\x01\\x02'`;
  return `(select case
      when strpos(tm_q.t, tm_q.q) = 0 then tm_q.t
      when strpos(tm_q.t, '''') = 0
        or (strpos(tm_q.t, '''::reg') > strpos(tm_q.t, '''') and length(tm_q.t) - length(replace(tm_q.t, '''', '')) = 2)
        then replace(tm_q.t, tm_q.q, ${marker})
      else (select string_agg(case when tm_tok.m[1] ~ '^''' and tm_tok.m[1] !~ '::reg[a-z]+$' then tm_tok.m[1]
                                   else replace(tm_tok.m[1], tm_q.q, ${marker}) end, '' order by tm_tok.n)
            from regexp_matches(tm_q.t, $tm_re$${TOKEN}$tm_re$, 'g') with ordinality as tm_tok(m, n))
    end
    from (select ${escapeMarkerSql(text)} as t, ${prefix} as q offset 0) tm_q)`;
}
