// pg converts query parameters with this function (Query#prepare): batch.ts binds its parameters the same way.
declare module 'pg/lib/utils.js' {
  export function prepareValue(value: unknown): string | Buffer | null;
}
