import { QmError } from "../core/errors.js";

export { QmctlExit } from "../core/error-registry.js";

// Statuses are the registry's (src/core/error-registry.ts): upstream's own, errno values where upstream used them.

export const errors = {
  general: (message: string) => new QmError("QMCTL_ERROR", message),
  configNotFound: (path: string) =>
    new QmError("QMCTL_CONFIG_NOT_FOUND", `Configuration file ${path} not found.`),
  containerNotFound: (name: string) =>
    new QmError("QMCTL_CONTAINER_NOT_FOUND", `Container '${name}' does not exist.`),
  commandNotFound: (command: readonly string[], container: string) =>
    new QmError(
      "QMCTL_COMMAND_NOT_FOUND",
      `Command '${command.join(" ")}' not found in container '${container}'.`,
    ),
  validation: (message: string) => new QmError("QMCTL_INVALID_ARGUMENT", message),
};

/**
 * Upstream's show, execin and cp re-wrap every failure as a plain QmError: same message, exit 1.
 * Only exec keeps the specific statuses (22, 127); QM_PODMAN_UNRESPONSIVE (5) is kept everywhere.
 */
export function collapse(error: unknown): QmError {
  // Not upstream's (it waits for podman as long as podman takes): a podman that does not answer keeps its own status.
  if (error instanceof QmError && error.code === "QM_PODMAN_UNRESPONSIVE") return error;
  if (error instanceof QmError) return errors.general(error.message);
  return errors.general(error instanceof Error ? error.message : String(error));
}
