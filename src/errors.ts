/**
 * An error tm expects and explains: printed as one line (plus what to do
 * next), never with a stack trace, and exits 1. Anything else that escapes is
 * a bug and is printed with its stack.
 */
export class TmError extends Error {
  constructor(
    message: string,
    /** What the user should do next, printed after the message. */
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'TmError';
  }
}

export function isTmError(error: unknown): error is TmError {
  return error instanceof TmError;
}
