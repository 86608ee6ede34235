/**
 * One error model for every executable. Commands throw QmError; only src/cli turns it into an exit code.
 * Codes are stable strings (documented in docs/errors.md) so scripts can match on them.
 */

export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column?: number;
}

/** Exit statuses shared by qm and qm-quadlet (qmctl keeps upstream's own, see src/qmctl). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  invalidConfig: 3,
  hostNotReady: 4,
  commandFailed: 5,
  internal: 70,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface QmErrorOptions {
  readonly hint?: string;
  readonly exitCode?: number;
  readonly location?: SourceLocation;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

export class QmError extends Error {
  override readonly name = "QmError";
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: number;
  readonly location: SourceLocation | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, options: QmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.failure;
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
  return new QmError("QM_USAGE", message, { exitCode: ExitCode.usage, ...(hint ? { hint } : {}) });
}

/** Anything thrown that is not a QmError is a defect; wrap it so it is still reported in one shape. */
export function toQmError(error: unknown): QmError {
  if (error instanceof QmError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new QmError("QM_INTERNAL", `internal error: ${message}`, {
    exitCode: ExitCode.internal,
    hint: "this is a defect in qm; rerun with QM_DEBUG=1 for a stack trace and report it",
    cause: error,
  });
}
