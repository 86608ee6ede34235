/**
 * Every error code qm's executables throw, with the exit status it ends in and what it means. The one place a code's
 * status is decided: throw sites name a code, src/cli and src/bin turn it into a status through this table.
 * docs/errors.md is generated from it (`node scripts/errors-doc.mjs`).
 */

/** Exit statuses shared by qm and qm-quadlet (qmctl keeps upstream's own, see the QMCTL_ codes). */
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

/** Upstream qmctl's exit statuses (errno values where upstream used them). */
export const QmctlExit = {
  general: 1,
  usage: 2,
  fileNotFound: 2,
  invalidArgument: 22,
  commandNotFound: 127,
} as const;

export interface ErrorSpec {
  /** The exit status the error ends in. */
  readonly status: number;
  /** When it is raised: one line, the words of docs/errors.md. */
  readonly summary: string;
  /** What the person should do, where the error's own hint does not say it better. */
  readonly action?: string;
  /** Another status the code ends in, and when: chosen by src/cli, where a documented contract needs it. */
  readonly also?: { readonly status: number; readonly when: string };
}

const E = ExitCode;
const Q = QmctlExit;

export const ERRORS = {
  // Everywhere
  QM_USAGE: {
    status: E.usage,
    summary: "bad command line: unknown command or option, missing or invalid value",
  },
  QM_INTERNAL: {
    status: E.internal,
    summary: "an unexpected exception (a defect in qm)",
    action: "rerun with QM_DEBUG=1 for a stack trace and report it",
  },
  QM_NOT_ROOT: {
    status: E.failure,
    summary: "a command that changes the host or runs the partition was run without root",
  },
  QM_COMMAND_NOT_FOUND: {
    status: E.hostNotReady,
    summary: "a program qm needs is not installed (podman, systemctl, dpkg-deb, rpmbuild, ...)",
    action: "install it; 'qm doctor' lists what the host lacks",
  },
  QM_COMMAND_FAILED: {
    status: E.commandFailed,
    summary:
      "a program qm ran exited non-zero or was killed; the message quotes it and the end of its stderr",
  },
  QM_CGROUP: {
    status: E.failure,
    summary: "a cgroup could not be created or a cgroup file could not be written",
  },
  QM_MOUNTS_LEFT: {
    status: E.failure,
    summary: "mounts below a directory qm is about to remove could not be unmounted; nothing is removed",
  },
  QM_UNSAFE_PATH: {
    status: E.invalidConfig,
    summary:
      "a path below a root holds a symbolic link where none may be (below the partition's `/etc/qm`, `/var/qm`, or a sub-package directory), '..', a FIFO or device where a file belongs, or a file over the size qm reads (docs/security.md)",
  },
  QM_UNSAFE_TEXT: {
    status: E.invalidConfig,
    summary:
      "text that would go into a generated file holds a newline or control character, or a description line starts with `%`",
  },

  // Unit files and the quadlet generator
  QM_UNIT_SYNTAX: { status: E.invalidConfig, summary: "a unit file or drop-in does not parse (located)" },
  QM_UNIT_VALUE: {
    status: E.invalidConfig,
    summary: "a unit file value has the wrong form, such as a boolean (located)",
  },
  QM_UNIT_EDIT: { status: E.usage, summary: "a value to write into a unit file holds a newline" },
  QM_QUADLET_LOAD: {
    status: E.invalidConfig,
    summary: "a quadlet unit or drop-in cannot be read or does not parse (located)",
  },
  QM_QUADLET_INVALID: {
    status: E.invalidConfig,
    summary:
      "a quadlet unit parses but cannot be turned into a service, as quadlet would refuse it (located)",
  },
  QM_QUADLET_UNSUPPORTED_KEY: {
    status: E.invalidConfig,
    summary: "a quadlet unit uses a key quadlet does not support (located)",
  },
  QM_QUADLET_NOT_FOUND: {
    status: E.invalidConfig,
    summary: "`qm.container` is not in the quadlet search path",
  },

  // The partition
  QM_CONFIG_INVALID: {
    status: E.invalidConfig,
    summary: "a [Service] value or the generated `ExecStart` of `qm.service` cannot be applied (located)",
    action: "run 'qm config check'",
  },
  QM_START_FAILED: {
    status: E.commandFailed,
    summary:
      "the partition could not be started (podman or systemctl failed, or no quadlet generator is installed)",
    action: "run 'qm config check' and 'qm doctor'",
  },
  QM_PODMAN_UNRESPONSIVE: {
    status: E.commandFailed,
    summary:
      "podman did not answer within QM_PODMAN_TIMEOUT seconds (30 by default): the partition's state is unknown",
    action:
      "find the process that holds podman's storage lock ('lslocks'), end it, and run the command again",
  },
  QM_START_TIMEOUT: {
    status: E.commandFailed,
    summary: "the partition was started but its systemd did not finish booting within the timeout",
    action: "see 'qm status' and 'qm logs'; 'qm stop' stops it",
  },
  QM_STOP_INCOMPLETE: {
    status: E.failure,
    summary: "processes of the partition are still alive after `qm stop`",
  },
  QM_NOT_RUNNING: {
    status: E.hostNotReady,
    summary: "`qm ffi run` and `qm image load` need a running partition",
  },
  QM_IMAGE_SOURCE: {
    status: E.failure,
    summary: "the PATH of `qm image load` cannot be read, or is neither a file nor a directory",
  },
  QM_IMAGE_LOAD: {
    status: E.commandFailed,
    summary:
      "podman inside the partition refused the image (not an archive it reads), or --tag was ambiguous",
  },
  QM_DOCTOR_SNAPSHOT: {
    status: E.invalidConfig,
    summary: "the file of `qm doctor --snapshot FILE` is not a valid snapshot (located)",
    also: { status: E.failure, when: "FILE cannot be read" },
  },

  // qm setup
  QM_SETUP_ROOT: { status: E.failure, summary: "`--root DIR` does not exist or cannot be written" },
  QM_SETUP_SOURCE: {
    status: E.usage,
    summary:
      "`--from-tar` or `--from-dir` names nothing usable, or the suite to build cannot be told (no `--suite`)",
  },
  QM_SETUP_HOSTNAME: {
    status: E.usage,
    summary: "`--hostname` (or this host's name) is not an RFC 1123 host name",
  },
  QM_SETUP_SHARE: { status: E.failure, summary: "a file qm ships is missing", action: "reinstall qm" },
  QM_SETUP_SELINUX: {
    status: E.hostNotReady,
    summary: "SELinux is active but the tools or policy headers that install qm's policy module are missing",
    action:
      "install selinux-policy-dev, semodule-utils and policycoreutils (Debian, Ubuntu), then run 'qm setup' again",
  },
  QM_SETUP_BUILDER_MISSING: {
    status: E.hostNotReady,
    summary: "the program that builds the partition tree (mmdebstrap, dnf) is not installed",
    action: "install it, or use --from-tar FILE / --from-dir DIR",
  },
  QM_SETUP_BUILD_FAILED: {
    status: E.commandFailed,
    summary: "building the partition tree failed; the partial tree is discarded",
  },
  QM_SETUP_BUSY: { status: E.failure, summary: "another `qm setup` is building the same tree" },
  QM_SETUP_ROOTFS_BUSY: {
    status: E.failure,
    summary: "the partition tree has mounts below it (the partition is running)",
    action: "stop the partition first (qm stop)",
  },
  QM_SETUP_VAR: {
    status: E.failure,
    summary:
      "the bounded /var (`--var-size`) cannot be made or changed: a smaller size, the partition running while its /var is converted, files hidden by the mount, or its content does not fit",
    action: "read the message: it names the image, the directory and what to do",
  },
  QM_VAR_MOUNT: {
    status: E.commandFailed,
    summary: "the partition's bounded /var could not be mounted (or unmounted); the partition is not started",
    action: "check the image named in the message with 'e2fsck -f IMAGE'",
  },
  QM_SETUP_ROOTFS_FOREIGN: {
    status: E.failure,
    summary: "the partition tree exists and was not built by `qm setup`; it is never replaced",
  },
  QM_SETUP_STATE: {
    status: E.invalidConfig,
    summary:
      "`setup-state.json` does not parse or names a path setup cannot have created below the root; nothing is removed (located)",
  },
  QM_SETUP_BLUECHI: {
    status: E.usage,
    summary:
      "`--bluechi-from` names no BlueChi agent build (a staged install, `.deb` or `.rpm` with the agent's files)",
  },
  QM_SETUP_BLUECHI_CONTROLLER: {
    status: E.usage,
    summary: "`--bluechi-controller` is neither an absolute socket path nor `HOST[:PORT]`",
  },
  QM_SETUP_AGENT_CONF: {
    status: E.invalidConfig,
    summary: "the host's BlueChi `agent.conf` does not parse (located)",
  },
  QM_SETUP_START: { status: E.commandFailed, summary: "`systemctl start qm.service` failed after setup" },
  QM_SETUP_NOT_DONE: { status: E.failure, summary: "`qm setup bluechi-agent` before `qm setup`" },

  // Sub-packages (qm dropin)
  QM_DROPIN_STATE: {
    status: E.invalidConfig,
    summary: "`/var/lib/qm/dropins.json` does not parse or holds a path that is not normalized (located)",
  },
  QM_DROPIN_MANIFEST: {
    status: E.invalidConfig,
    summary: "a sub-package manifest does not parse or validate (located)",
  },
  QM_DROPIN_SYNTAX: {
    status: E.invalidConfig,
    summary: "a file of a sub-package (containers.conf, OCI hook configuration) does not parse (located)",
  },
  QM_DROPIN_INVALID: {
    status: E.invalidConfig,
    summary: "a file of a sub-package would not be read where it is installed (located)",
  },
  QM_DROPIN_UNKNOWN_SECTION: {
    status: E.invalidConfig,
    summary: "a `qm.container` drop-in of a sub-package has a section quadlet does not read (located)",
  },
  QM_DROPIN_SOURCE: {
    status: E.invalidConfig,
    summary: "a file a sub-package manifest names (or a qm bundle it ships) does not exist",
  },
  QM_DROPIN_PACKAGE: {
    status: E.invalidConfig,
    summary: "a .deb or .rpm holds an entry that is not a regular file",
  },
  QM_DROPIN_UNKNOWN: {
    status: E.usage,
    summary:
      "no sub-package of that name in the catalog, no manifest in the directory, or no such package file",
  },
  QM_DROPIN_EXISTS: {
    status: E.failure,
    summary: "`qm dropin new` would write into a directory that exists",
  },
  QM_DROPIN_CONFLICT: {
    status: E.failure,
    summary: "a file of the sub-package exists and belongs to something else",
  },
  QM_DROPIN_DEPENDENCY: {
    status: E.failure,
    summary: "a sub-package needs one that is not installed, or another installed one needs it",
  },
  QM_DROPIN_INSTALLED: {
    status: E.failure,
    summary: "the sub-package is already installed the other way (directly or through dpkg/rpm)",
  },
  QM_DROPIN_NOT_INSTALLED: {
    status: E.failure,
    summary: "`qm dropin remove` named a sub-package that is not installed",
  },
  QM_DROPIN_NOT_SUBPACKAGE: {
    status: E.failure,
    summary: "`qm dropin remove` named a dpkg/rpm package that does not depend on qm",
  },

  // qmctl: upstream's statuses and messages; qmctl prints only the message, the code names the case
  QMCTL_ERROR: {
    status: Q.general,
    summary:
      "any failure of `qmctl show`, `execin` or `cp` (upstream collapses them), except a podman that does not answer (QM_PODMAN_UNRESPONSIVE)",
  },
  QMCTL_CONFIG_NOT_FOUND: {
    status: Q.fileNotFound,
    summary: "`qmctl show container`: the configuration file is missing",
  },
  QMCTL_CONTAINER_NOT_FOUND: { status: Q.commandNotFound, summary: "the QM container does not exist" },
  QMCTL_COMMAND_NOT_FOUND: {
    status: Q.commandNotFound,
    summary: "`qmctl exec`: the command is not in the partition",
  },
  QMCTL_INVALID_ARGUMENT: {
    status: Q.invalidArgument,
    summary: "arguments argparse accepts but qmctl refuses",
  },
  QMCTL_NO_OUTPUT: { status: Q.general, summary: "a command qmctl ran in the partition printed nothing" },
  QMCTL_PODMAN: { status: Q.general, summary: "podman could not be run" },
} as const satisfies Readonly<Record<string, ErrorSpec>>;

export type ErrorCode = keyof typeof ERRORS;

/** The exit status an error with `code` ends in. */
export function statusOf(code: ErrorCode): number {
  return ERRORS[code].status;
}
