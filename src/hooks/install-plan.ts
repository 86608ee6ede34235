/**
 * Where the hooks are installed, as data: `qm setup` (partition rootfs) and the qm-oci-hooks
 * sub-package (host) apply the same plan with a different root.
 */
import { posix } from "node:path";

export const HOOK_EXECUTABLE_DIR = "/usr/libexec/oci/hooks.d";
export const HOOK_CONFIG_DIR = "/usr/share/containers/oci/hooks.d";

/** Executables (bundled to dist/<name>.cjs) and the hook configurations that point at them. */
export const HOOK_EXECUTABLES = ["oci-qm-device-manager", "oci-qm-wayland-client-devices"] as const;
export const HOOK_CONFIGS = [
  "oci-qm-device-manager.json",
  "oci-qm-seat-manager.json",
  "oci-qm-wayland-client-devices.json",
] as const;

export interface HookInstallFile {
  /** Relative to the qm package root (share/... or dist/...). */
  readonly source: string;
  /** Absolute path on the target, already joined to the root. */
  readonly destination: string;
  readonly mode: number;
}

export interface HookInstallOptions {
  /** "/" for the host; the partition's rootfs (e.g. /usr/lib/qm/rootfs) to install inside QM. */
  readonly root?: string;
}

/**
 * The files to install. The executables keep upstream's extension-less names (hook.path in the
 * JSON); the bundles are CommonJS, which every Node.js runs from an extension-less file.
 */
export function hookInstallPlan(options: HookInstallOptions = {}): HookInstallFile[] {
  const root = options.root ?? "/";
  if (!posix.isAbsolute(root)) throw new Error(`install root must be an absolute path: ${root}`);
  const at = (path: string): string => posix.join(root, path);
  return [
    ...HOOK_EXECUTABLES.map((name) => ({
      source: `dist/${name}.cjs`,
      destination: at(`${HOOK_EXECUTABLE_DIR}/${name}`),
      mode: 0o755,
    })),
    ...HOOK_CONFIGS.map((name) => ({
      source: `share/oci/hooks.d/${name}`,
      destination: at(`${HOOK_CONFIG_DIR}/${name}`),
      mode: 0o644,
    })),
  ];
}
