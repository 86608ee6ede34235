/**
 * One error model for every executable. Commands throw QmError with a code of the registry
 * (src/core/error-registry.ts), which decides its exit status; only src/cli and src/bin turn it into one.
 * Codes are stable strings (docs/errors.md, generated from the registry) so scripts can match on them.
 */
import { ERRORS, type ErrorCode } from "./error-registry.js";

export { type ErrorCode, ExitCode, type ExitCodeValue } from "./error-registry.js";

export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column?: number;
}

export interface QmErrorOptions {
  readonly hint?: string;
  /**
   * Only in src/cli, and only the registry's `also` status for the code (a documented contract); everywhere else
   * the status is the registry's.
   */
  readonly exitCode?: number;
  readonly location?: SourceLocation;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

export class QmError extends Error {
  override readonly name = "QmError";
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: number;
  readonly location: SourceLocation | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: QmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ERRORS[code].status;
    this.location = options.location;
    this.details = options.details;
  }

  /** "file:line:column: message" when the error points into a file. */
  located(): string {
    const at = this.location;
    if (!at) return this.message;
    return `${formatLocation(at)}: ${this.message}`;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.location === undefined ? {} : { location: this.location }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export function formatLocation(at: SourceLocation): string {
  return at.column === undefined ? `${at.file}:${at.line}` : `${at.file}:${at.line}:${at.column}`;
}

export function usageError(message: string, hint?: string): QmError {
  return new QmError("QM_USAGE", message, hint ? { hint } : {});
}

/** Anything thrown that is not a QmError is a defect; wrap it so it is still reported in one shape. */
export function toQmError(error: unknown): QmError {
  if (error instanceof QmError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new QmError("QM_INTERNAL", `internal error: ${message}`, {
    hint: "this is a defect in qm; rerun with QM_DEBUG=1 for a stack trace and report it",
    cause: error,
  });
}
