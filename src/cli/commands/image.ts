import { resolve } from "node:path";
import { QmError } from "../../core/errors.js";
import { loadContext } from "../../partition/context.js";
import { type LoadReport, loadImage } from "../../partition/images.js";
import type { Command } from "../app.js";
import { stringOption } from "../args.js";

function renderLoad(r: LoadReport): string {
  return [
    `loaded into the partition (container ${r.container}): ${r.images.join(", ")}`,
    ...(r.tag === undefined ? [] : [`tagged ${r.tag}`]),
  ].join("\n");
}

export const imageCommand: Command = {
  name: "image",
  summary: "put a container image into the partition's storage from a file or directory, without a registry",
  usage: "image load [--root DIR] [--tag NAME] PATH",
  description: [
    "'qm image load PATH' streams an image from the host into the running partition's own podman storage (its /var,",
    "the host's /var/qm), so that nested quadlets' Image= and 'podman run' inside the partition find it locally. PATH",
    "is what 'podman save' writes (a docker-archive or oci-archive file, compressed or not), an OCI image layout",
    "directory, or a root filesystem directory, which becomes a one-layer image named by --tag. Nothing of the",
    "host's container storage is read or written, and the partition needs no network.",
  ].join("\n"),
  options: [
    {
      name: "root",
      type: "string",
      valueName: "DIR",
      description: "the host tree qm.container and the partition live under (default /)",
    },
    {
      name: "tag",
      type: "string",
      valueName: "NAME",
      description: "name the loaded image (needed for a root filesystem directory)",
    },
  ],
  examples: [
    "podman save --format oci-archive -o radio.tar localhost/radio:1.2 && qm image load radio.tar",
    "qm image load --tag localhost/busybox:latest /srv/rootfs/busybox",
    "qm image load --tag quay.io/qm-images/kvm:latest kvm.tar    # the name a sub-package's unit expects",
  ],
  async run(ctx) {
    const [verb, path, ...extra] = ctx.args.positionals;
    if (verb !== "load" || path === undefined || extra.length > 0)
      throw new QmError("QM_USAGE", "usage: qm image load [--root DIR] [--tag NAME] PATH");
    if (process.getuid?.() !== 0)
      throw new QmError("QM_NOT_ROOT", "loading an image into the partition needs root (podman exec)", {
        hint: "rerun as root",
      });
    const root = resolve(stringOption(ctx.args, "root") ?? "/");
    const report = await loadImage(
      loadContext(root).containerName,
      resolve(path),
      stringOption(ctx.args, "tag"),
      ctx.log,
    );
    return { data: report, text: () => renderLoad(report) };
  },
};
