import { QmError } from "../core/errors.js";
import { parseUnit } from "../unit/syntax.js";

/**
 * A size-bounded /var for the partition without repartitioning: an ext4 filesystem in an image file whose blocks
 * are reserved up front (fallocate), loop-mounted on the partition's /var (RWVARFS) with nodev,nosuid. One mount
 * unit describes it for both modes: systemd mounts it before qm.service (RequiresMountsFor= in a drop-in), and
 * `qm start` mounts it in direct mode. Pure: sizes, names and file texts.
 */

/** Where setup puts the image (in-root). */
export const VAR_IMAGE = "/var/lib/qm/var.img";
/** The directory where systemd and qm start find the mount unit (in-root). */
export const MOUNT_UNIT_DIR = "/etc/systemd/system";
/** First line of every mount unit qm setup writes: qm start mounts only units carrying it. */
export const MOUNT_UNIT_MARKER =
  "# Written by qm setup: the QM partition's /var, a filesystem of fixed size.";
export const VAR_MOUNT_OPTIONS = "loop,nodev,nosuid";
const MIB = 1024 * 1024;
/** Below this the tree's own /var (package database, nested podman's storage) leaves no room to work. */
export const MIN_VAR_SIZE = 256 * MIB;
const UNITS: Readonly<Record<string, number>> = { M: MIB, G: 1024 * MIB, T: 1024 * 1024 * MIB };

/** `--var-size`: whole MiB, GiB or TiB ("512M", "10G", "1T"; "GiB" and "GB" mean the same); at least 256M. */
export function parseVarSize(text: string): number {
  const m = /^([1-9]\d{0,9})([MGT])(?:i?B)?$/i.exec(text.trim());
  if (!m)
    throw new QmError("QM_USAGE", `--var-size ${JSON.stringify(text)}: not a size`, {
      hint: "give a whole number with a unit M, G or T, e.g. --var-size 4G",
    });
  const bytes = Number(m[1]) * (UNITS[(m[2] as string).toUpperCase()] as number);
  if (bytes < MIN_VAR_SIZE)
    throw new QmError("QM_USAGE", `--var-size ${text}: the partition's /var needs at least 256M`, {
      hint: "e.g. --var-size 4G",
    });
  if (!Number.isSafeInteger(bytes)) throw new QmError("QM_USAGE", `--var-size ${text}: too large`);
  return bytes;
}

/** A size as --var-size takes it: the largest unit that divides it. */
export function formatSize(bytes: number): string {
  for (const unit of ["T", "G", "M"] as const) {
    const n = UNITS[unit] as number;
    if (bytes >= n && bytes % n === 0) return `${bytes / n}${unit}`;
  }
  return `${bytes}B`;
}

/** Paths go into unit files as they are: only plain ones (no spaces, specifiers, escapes or quotes). */
export function checkUnitPath(path: string, what: string): void {
  if (!/^(\/[A-Za-z0-9._+-]+)+$/.test(path) || path.split("/").some((p) => p === "." || p === ".."))
    throw new QmError(
      "QM_USAGE",
      `${what} ${JSON.stringify(path)}: a bounded /var needs a plain absolute path`,
      {
        hint: "use letters, digits and . _ + - between slashes",
      },
    );
}

/** systemd's unit name for a mount point (systemd-escape --path --suffix=mount). */
export function mountUnitName(path: string): string {
  const trimmed = path.replace(/\/+/g, "/").replace(/^\/|\/$/g, "");
  if (trimmed === "") return "-.mount";
  let out = "";
  for (const [i, ch] of [...trimmed].entries()) {
    if (ch === "/") out += "-";
    else if (/[A-Za-z0-9:_]/.test(ch) || (ch === "." && i > 0)) out += ch;
    else out += [...Buffer.from(ch, "utf8")].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("");
  }
  return `${out}.mount`;
}

/** The mount unit: the image on the partition's /var. */
export function mountUnitText(image: string, where: string, sizeBytes: number): string {
  checkUnitPath(image, "image");
  checkUnitPath(where, "--rwvarfs");
  return [
    MOUNT_UNIT_MARKER,
    "[Unit]",
    `Description=QM partition /var (${formatSize(sizeBytes)}, ext4 in ${image})`,
    `RequiresMountsFor=${image.replace(/\/[^/]+$/, "") || "/"}`,
    "",
    "[Mount]",
    `What=${image}`,
    `Where=${where}`,
    "Type=ext4",
    `Options=${VAR_MOUNT_OPTIONS}`,
    "",
  ].join("\n");
}

/** The drop-in for qm.container: qm.service needs the partition's /var mounted first. */
export function dropInText(where: string): string {
  checkUnitPath(where, "--rwvarfs");
  return [
    `# Written by qm setup: the partition's /var is a filesystem of its own (${mountUnitName(where)}).`,
    "[Unit]",
    `RequiresMountsFor=${where}`,
    "",
  ].join("\n");
}

export interface VarMount {
  readonly what: string;
  readonly where: string;
  readonly type: string;
  readonly options: string;
}

/** A mount unit qm setup wrote; null for any other (qm mounts only its own). */
export function parseVarMountUnit(text: string, file: string): VarMount | null {
  if (!text.startsWith(`${MOUNT_UNIT_MARKER}\n`)) return null;
  const doc = parseUnit(text, file);
  const get = (key: string): string | undefined => {
    for (const line of doc.lines)
      if (line.kind === "entry" && line.section === "Mount" && line.key === key) return line.value;
    return undefined;
  };
  const [what, where, type, options] = ["What", "Where", "Type", "Options"].map(get);
  if (!what || !where || type !== "ext4" || options !== VAR_MOUNT_OPTIONS) return null;
  checkUnitPath(what, `What= in ${file}`);
  checkUnitPath(where, `Where= in ${file}`);
  return { what, where, type, options };
}
