/**
 * Edits that make a generated service work with a podman older than 4.4 (Debian 12's 4.3.1), for hosts
 * where qm-quadlet stands in for the quadlet those podman versions lack. Pure: a service in, a copy with
 * the edits and the warnings out. Without a target version (or for 4.4 and later) nothing changes, so the
 * default output stays podman 5.4's quadlet's, byte for byte.
 *
 * What podman 4.3.1 does differently, measured (docs/quadlet.md, "Podman before 4.4"):
 * - `podman rm --cidfile` and `podman pod rm --pod-id-file` leave the file behind (so does a failed
 *   `pod create`), and the next `podman run --cidfile` / `pod create --pod-id-file` refuses to start while
 *   it exists;
 * - `volume create` and `network create` have no `--ignore`;
 * - a few options that keys produce do not exist (UNSUPPORTED): warned about, left as they are.
 */
import { equalFold } from "../unit/gostr.js";
import type { UnitFile } from "../unit/unitfile.js";
import { ARGS_FLAGS, escapeWords, trySplit } from "../unit/words.js";
import type { UnitType } from "./convert.js";

export interface PodmanVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/**
 * "4.3.1", "4.3", "4.3.1-rc2", "4.3.1+ds1" or `podman --version`'s "podman version 4.3.1"; undefined for
 * anything else.
 */
export function parsePodmanVersion(text: string): PodmanVersion | undefined {
  const m = /^(?:podman version )?(\d{1,6})\.(\d{1,6})(?:\.(\d{1,6}))?(?:[-+~][0-9A-Za-z.+~-]*)?$/.exec(
    text.trim(),
  );
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}

/** Whether podman `v` is older than 4.4, the first version with quadlet (and the one the edits are for). */
export const beforeQuadlet = (v: PodmanVersion): boolean => v.major < 4 || (v.major === 4 && v.minor < 4);

const SERVICE = "Service";

/**
 * How the converter reads a key (keys.ts): `one` emits the last value when not empty, `all` every value after
 * the last empty assignment, `bool` any assignment.
 */
type Reading = "one" | "all" | "bool";

/** Options some keys produce that podman 4.3.1 rejects ("unknown flag"), by unit type. */
const UNSUPPORTED: Readonly<Partial<Record<UnitType, readonly (readonly [string, string, Reading])[]>>> = {
  container: [
    ["HealthLogDestination", "--health-log-destination", "one"],
    ["HealthMaxLogCount", "--health-max-log-count", "one"],
    ["HealthMaxLogSize", "--health-max-log-size", "one"],
    ["HealthStartupCmd", "--health-startup-cmd", "one"],
    ["HealthStartupInterval", "--health-startup-interval", "one"],
    ["HealthStartupRetries", "--health-startup-retries", "one"],
    ["HealthStartupSuccess", "--health-startup-success", "one"],
    ["HealthStartupTimeout", "--health-startup-timeout", "one"],
  ],
  network: [["DNS", "--dns", "all"]],
  kube: [
    ["PublishPort", "--publish", "all"],
    ["ExitCodePropagation", "--service-exit-code-propagation", "one"],
    ["KubeDownForce", "kube down --force", "bool"],
  ],
  image: [["DecryptionKey", "--decryption-key", "one"]],
};

const GROUP: Readonly<Record<UnitType, string>> = {
  container: "X-Container",
  volume: "X-Volume",
  network: "X-Network",
  pod: "X-Pod",
  kube: "X-Kube",
  image: "X-Image",
  build: "X-Build",
};

/** Whether the converter emitted an option for the key. */
function keyUsed(service: UnitFile, group: string, key: string, reading: Reading): boolean {
  if (reading === "bool") return service.hasKey(group, key);
  if (reading === "all") return service.lookupAll(group, key).length > 0;
  return (service.lookup(group, key) ?? "") !== "";
}

/**
 * `sh -c SCRIPT sh N NAME ARGV...`: runs `ARGV[0..N) KIND exists NAME` (podman and its global options) and,
 * when the object does not exist, ARGV (the create command without `--ignore`). The object's name and the
 * podman words stay separate arguments, so systemd expands them as it expanded the original command and the
 * shell never parses them.
 */
const existsOrCreateScript = (kind: string): string =>
  `n=$1 v=$2; shift 2; e() { m=$#; for a do [ $# -ge $((m + n)) ] || set -- "$@" "$a"; done; shift $m; "$@" ${kind} exists "$v"; }; e "$@" || exec "$@"`;

/** systemd expands `$` in command lines: `$$` passes one on. */
const systemdDollars = (s: string): string => s.replace(/\$/g, () => "$$");

function indexOfRun(words: readonly string[], run: readonly string[]): number {
  for (let i = 0; i + run.length <= words.length; i++) if (run.every((w, j) => words[i + j] === w)) return i;
  return -1;
}

const lastWords = (service: UnitFile, key: string): string[] | undefined => {
  const line = service.lastLine(SERVICE, key);
  return line === undefined ? undefined : trySplit(line.value, ARGS_FLAGS);
};

/**
 * For the file given as `FLAG=FILE` in the command of `key`: `ExecStopPost=-/bin/rm -f FILE` last, so a stop
 * removes it as podman 4.4 does, and `ExecStartPre=-/bin/rm -f FILE` first, for the file a failed start or stop
 * left (systemd skips the rest of ExecStopPost= after a failing `pod rm`). The create commands say `--replace`:
 * the file is the unit's own.
 */
function removeStaleFile(service: UnitFile, key: string, flag: string): void {
  const word = lastWords(service, key)?.find((w) => w.startsWith(`${flag}=`));
  if (word === undefined) return;
  const rm = ["-/bin/rm", "-f", word.slice(flag.length + 1)];
  service.addCmdline(SERVICE, "ExecStopPost", rm);
  service.prependLine(SERVICE, "ExecStartPre", escapeWords(rm));
}

/** Replace `KIND create --ignore ... NAME` by a create that runs only when `KIND exists NAME` fails. */
function createUnlessExists(service: UnitFile, kind: string): void {
  const line = service.lastLine(SERVICE, "ExecStart");
  const words = line === undefined ? undefined : trySplit(line.value, ARGS_FLAGS);
  if (line === undefined || words === undefined) return;
  const at = indexOfRun(words, [kind, "create", "--ignore"]);
  if (at < 1 || words.length < at + 4) return;
  const create = [...words.slice(0, at + 2), ...words.slice(at + 3)];
  const name = create[create.length - 1] as string;
  const prefix = escapeWords([
    "/bin/sh",
    "-c",
    systemdDollars(existsOrCreateScript(kind)),
    "sh",
    String(at),
    name,
  ]);
  line.value = `${prefix} ${escapeWords(create)}`;
}

export interface CompatResult {
  /** The service to write: the one given when nothing changed, otherwise an edited copy. */
  readonly service: UnitFile;
  /** Warnings in quadlet's style ("Warning: NAME ..."), one per option the target podman lacks. */
  readonly warnings: readonly string[];
}

/**
 * The service `service` (generated from `unitName`, of type `type`) for podman `target`; unchanged when
 * `target` is undefined or 4.4 or later.
 */
export function podmanCompat(
  service: UnitFile,
  unitName: string,
  type: UnitType,
  target: PodmanVersion | undefined,
): CompatResult {
  if (target === undefined || !beforeQuadlet(target)) return { service, warnings: [] };
  const copy = service.dup();
  copy.path = service.path;
  const version = `${target.major}.${target.minor}.${target.patch}`;
  const warnings: string[] = [];
  const group = GROUP[type];
  for (const [key, option, reading] of UNSUPPORTED[type] ?? []) {
    if (keyUsed(copy, group, key, reading)) {
      warnings.push(
        `Warning: ${unitName}: ${key}= needs podman 4.4 or later (podman ${version} has no ${option})`,
      );
    }
  }
  if (type === "container") {
    const notify = copy.lookup(group, "Notify");
    if (
      notify !== undefined &&
      equalFold(notify, "healthy") &&
      lastWords(copy, "ExecStart")?.includes("--sdnotify=healthy")
    ) {
      warnings.push(
        `Warning: ${unitName}: Notify=healthy needs podman 4.4 or later (podman ${version} has no --sdnotify=healthy)`,
      );
    }
    removeStaleFile(copy, "ExecStart", "--cidfile");
  } else if (type === "pod") {
    removeStaleFile(copy, "ExecStartPre", "--pod-id-file");
  } else if (type === "volume" || type === "network") {
    createUnlessExists(copy, type);
  }
  return { service: copy, warnings };
}
