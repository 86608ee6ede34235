import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** sbin directories are searched too: tools like runc live there and root's PATH may lack them. */
const extraBinDirs = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The executable `name` on PATH (and, unless pathOnly, in the usual bin/sbin directories), or null. */
export function which(name: string, options: { pathOnly?: boolean } = {}): string | null {
  const path = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const dir of options.pathOnly ? path : [...path, ...extraBinDirs]) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}
