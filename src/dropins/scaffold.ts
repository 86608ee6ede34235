/**
 * `qm dropin new NAME`: a directory holding a manifest, a qm.container drop-in and, on request, a nested
 * quadlet, ready for `qm dropin build ./NAME` and `qm dropin install ./NAME`.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { QmError } from "../core/errors.js";
import { devicePathProblem } from "../core/text.js";
import { defaultPackageName, NAME_PATTERN } from "./manifest.js";
import { MANIFEST } from "./package.js";

export interface ScaffoldOptions {
  readonly name: string;
  /** Parent directory; the package goes to PARENT/NAME. */
  readonly parent: string;
  /** Also create NAME.container, run by the partition's own systemd. */
  readonly nestedUnit: boolean;
  readonly devices: readonly string[];
}

export interface ScaffoldReport {
  readonly dir: string;
  readonly files: readonly string[];
}

export function scaffoldFiles(options: ScaffoldOptions): Record<string, string> {
  const { name } = options;
  const dropinName = `qm_dropin_${name.replaceAll("-", "_")}.conf`;
  const devices = options.devices.map((d) => `AddDevice=-${d}`);
  const dropin = [
    `# ${name}: what the QM partition gets from the host. Every key of qm.container's [Container] and`,
    "# [Service] sections may be used; a key with an empty value (Key=) clears a list such as",
    "# DropCapability= before new values are added. Changes apply on the next 'qm restart'.",
    "[Container]",
    ...(devices.length > 0
      ? ["# A leading - makes the device optional: it is passed only when it exists on the host.", ...devices]
      : [
          "# Examples:",
          "# AddDevice=-/dev/video1",
          "# Annotation=org.containers.qm.device.input=true",
          "# Volume=/run/ipc/:/run/ipc/",
        ]),
    "",
  ].join("\n");
  const files: Record<string, string> = { [dropinName]: dropin };
  const manifestFiles = [
    { source: dropinName, destination: `/etc/containers/systemd/qm.container.d/${dropinName}`, mode: "0644" },
  ];
  if (options.nestedUnit) {
    files[`${name}.container`] = [
      `# ${name}: a container run inside the QM partition by its own systemd.`,
      "[Unit]",
      `Description=${name} container in the QM partition`,
      "",
      "[Container]",
      `ContainerName=${name}`,
      "Image=registry.example.com/your/image:latest",
      "Exec=sleep infinity",
      ...options.devices.map((d) => `AddDevice=-${d}`),
      "",
      "[Install]",
      "WantedBy=multi-user.target",
      "",
    ].join("\n");
    manifestFiles.push({
      source: `${name}.container`,
      destination: `/etc/qm/containers/systemd/${name}.container`,
      mode: "0644",
    });
  }
  const manifest = {
    name,
    package: defaultPackageName(name),
    version: "0.1.0",
    summary: `${name} drop-in for the QM partition`,
    description: `Describe what ${name} gives the QM partition and why.`,
    files: manifestFiles,
    requires: [],
    host: { devices: options.devices, hooks: [], partitionPackages: [] },
  };
  files[MANIFEST] = `${JSON.stringify(manifest, null, 2)}\n`;
  return files;
}

export function scaffold(options: ScaffoldOptions): ScaffoldReport {
  if (!NAME_PATTERN.test(options.name))
    throw new QmError("QM_USAGE", `qm dropin new: '${options.name}' is not a valid name`, {
      hint: "use letters, digits and _ . + - (it becomes the package qm-NAME)",
    });
  for (const d of options.devices) {
    const problem = devicePathProblem(d);
    if (problem)
      throw new QmError("QM_USAGE", `--device ${JSON.stringify(d)} ${problem}`, {
        hint: "give a device path under /dev, e.g. --device /dev/video0",
      });
  }
  const dir = resolve(join(options.parent, options.name));
  if (existsSync(dir))
    throw new QmError("QM_DROPIN_EXISTS", `${dir} already exists`, {
      hint: "choose another name or --output directory; nothing was written",
    });
  const files = scaffoldFiles(options);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o644 });
  return { dir, files: Object.keys(files).sort() };
}
