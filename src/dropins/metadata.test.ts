import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { VERSION } from "../core/version.js";
import type { Manifest } from "./manifest.js";
import {
  afterMessages,
  debControl,
  debScripts,
  dependencies,
  packageFileName,
  rpmSpec,
  scriptlet,
} from "./metadata.js";
import type { DropinPackage } from "./package.js";

const manifest: Manifest = {
  name: "radio",
  package: "qm-dropin-radio",
  version: "1.2",
  summary: "Radio at 100% for the partition",
  description: "First paragraph.\n\nIt's the second one.",
  files: [],
  hooks: false,
  directories: [{ path: "/etc/qm/radio", mode: 0o750 }],
  requires: ["alsa-utils"],
  host: { devices: [], hooks: ["qm-device-manager"], partitionPackages: ["pipewire"] },
  upstream: undefined,
};
const pkg = (over: Partial<Manifest> = {}): DropinPackage => ({
  manifest: { ...manifest, ...over },
  version: "1.2",
  origin: "/src/radio",
  files: [
    {
      destination: "/etc/containers/systemd/qm.container.d/qm_dropin_radio.conf",
      mode: 0o644,
      content: Buffer.from(""),
      kind: "qm-dropin",
      origin: "/src/radio/radio.conf",
      lineOffset: 1,
    },
    {
      destination: "/usr/libexec/qm/tool 50%",
      mode: 0o755,
      content: Buffer.from(""),
      kind: "file",
      origin: "/src/radio/tool",
      lineOffset: 0,
    },
  ],
});

/** The maintainer script for `when`, literally. */
const script = (when: string, messages: string[]) =>
  [
    "#!/bin/sh",
    "# qm-dropin-radio: re-read qm.container and its drop-ins, then say how to apply the change.",
    "set -e",
    `if ${when}; then`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    '  if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then',
    "    systemctl daemon-reload || true",
    "  fi",
    ...messages.map((m) => `  echo ${m}`),
    "fi",
    "exit 0",
    "",
  ].join("\n");
const installed = [
  "'qm-dropin-radio installed; restart the QM partition to apply it: qm restart (systemd hosts: systemctl restart qm)'",
  "'qm-dropin-radio: add pipewire to the partition'\\''s OS tree: qm setup --package pipewire'",
  "'qm-dropin-radio: needs the qm-device-manager OCI hook on the host (qm dropin install oci-hooks)'",
];
const removed = [
  "'qm-dropin-radio removed; restart the QM partition to apply it: qm restart (systemd hosts: systemctl restart qm)'",
];

describe("sub-package metadata, literally", () => {
  test("names and dependencies", () => {
    assert.equal(packageFileName(pkg(), "deb"), "qm-dropin-radio_1.2_all.deb");
    assert.equal(packageFileName(pkg(), "rpm"), "qm-dropin-radio-1.2-1.noarch.rpm");
    assert.deepEqual(dependencies(pkg()), ["qm", "alsa-utils"]);
  });

  test("debian/control: qm of this version or newer first, the description folded with ' .'", () => {
    assert.equal(
      debControl(pkg(), 12),
      [
        "Package: qm-dropin-radio",
        "Version: 1.2",
        "Architecture: all",
        "Maintainer: qm maintainers <qm-maintainers@example.org>",
        "Installed-Size: 12",
        `Depends: qm (>= ${VERSION}), alsa-utils`,
        "Section: admin",
        "Priority: optional",
        "Description: Radio at 100% for the partition",
        " First paragraph.",
        " .",
        " It's the second one.",
        "",
      ].join("\n"),
    );
    assert.match(debControl(pkg({ requires: [] }), 1), new RegExp(`^Depends: qm \\(>= ${VERSION}\\)$`, "m"));
  });

  test(".deb scripts: after configure; after remove or purge, never on upgrade", () => {
    assert.deepEqual(debScripts(pkg()), {
      postinst: script('[ "$1" = configure ]', installed),
      postrm: script('[ "$1" = remove ] || [ "$1" = purge ]', removed),
    });
  });

  test("rpm spec: % escaped, modes as four octal digits, scriptlets on install and final erase", () => {
    const spec = rpmSpec(pkg());
    assert.equal(
      spec,
      [
        "Name: qm-dropin-radio",
        "Version: 1.2",
        "Release: 1",
        "Summary: Radio at 100%% for the partition",
        "License: GPL-2.0-only",
        "BuildArch: noarch",
        `Requires: qm >= ${VERSION}`,
        "Requires: alsa-utils",
        "",
        "%description",
        "First paragraph.\n\nIt's the second one.",
        "",
        "%install",
        "mkdir -p %{buildroot}",
        "cp -a %{_sourcedir}/tree/. %{buildroot}/",
        "",
        "%files",
        '%dir %attr(0750,root,root) "/etc/qm/radio"',
        '%attr(0644,root,root) "/etc/containers/systemd/qm.container.d/qm_dropin_radio.conf"',
        '%attr(0755,root,root) "/usr/libexec/qm/tool 50%%"',
        "",
        "%post",
        script('[ "$1" -ge 1 ]', installed),
        "%postun",
        script('[ "$1" -eq 0 ]', removed),
      ].join("\n"),
    );
  });

  test("messages: one line each; removal names no packages or hooks", () => {
    assert.deepEqual(
      afterMessages(pkg({ host: { devices: [], hooks: [], partitionPackages: [] } }), "installed"),
      [
        "qm-dropin-radio installed; restart the QM partition to apply it: qm restart (systemd hosts: systemctl restart qm)",
      ],
    );
    const unsafe = (what: string) => (e: unknown) =>
      e instanceof Error && (e as { code?: string }).code === "QM_UNSAFE_TEXT" && e.message.startsWith(what);
    assert.throws(
      () =>
        afterMessages(pkg({ host: { devices: [], hooks: ["a\nb"], partitionPackages: [] } }), "installed"),
      unsafe("maintainer script message "),
    );
    assert.throws(
      () => scriptlet(pkg({ package: "x\ny" }), "removed", "true"),
      unsafe("maintainer script message "),
    );
    assert.throws(() => debControl(pkg({ summary: "two\nlines" }), 1), unsafe("summary "));
    assert.throws(() => rpmSpec(pkg({ description: "ok\n%include /x" })), unsafe("description line 2 "));
  });

  test("descriptions: blank lines around are dropped, blank lines inside become ' .'", () => {
    const control = debControl(pkg({ description: "\n  \nFirst.\n   \nSecond.\n\n" }), 1);
    assert.ok(
      control.endsWith("Description: Radio at 100% for the partition\n First.\n .\n Second.\n"),
      JSON.stringify(control),
    );
    assert.match(rpmSpec(pkg({ description: "\nFirst.\n \n" })), /\n%description\nFirst\.\n\n%install\n/);
  });
});
