import { QmError } from "../core/errors.js";

/** Upstream qmctl's exit statuses (errno values where upstream used them). */
export const QmctlExit = {
  general: 1,
  usage: 2,
  fileNotFound: 2,
  invalidArgument: 22,
  commandNotFound: 127,
} as const;

function qmctlError(code: string, message: string, exitCode: number): QmError {
  return new QmError(code, message, { exitCode });
}

export const errors = {
  general: (message: string) => qmctlError("QMCTL_ERROR", message, QmctlExit.general),
  configNotFound: (path: string) =>
    qmctlError("QMCTL_CONFIG_NOT_FOUND", `Configuration file ${path} not found.`, QmctlExit.fileNotFound),
  containerNotFound: (name: string) =>
    qmctlError("QMCTL_CONTAINER_NOT_FOUND", `Container '${name}' does not exist.`, QmctlExit.commandNotFound),
  commandNotFound: (command: readonly string[], container: string) =>
    qmctlError(
      "QMCTL_COMMAND_NOT_FOUND",
      `Command '${command.join(" ")}' not found in container '${container}'.`,
      QmctlExit.commandNotFound,
    ),
  validation: (message: string) => qmctlError("QMCTL_INVALID_ARGUMENT", message, QmctlExit.invalidArgument),
};

/**
 * Upstream's show, execin and cp re-wrap every failure as a plain QmError: same message, exit 1.
 * Only exec keeps the specific statuses (22, 127).
 */
export function collapse(error: unknown): QmError {
  if (error instanceof QmError) return errors.general(error.message);
  return errors.general(error instanceof Error ? error.message : String(error));
}
