/**
 * Manifests are written by sub-package authors. Whatever a manifest holds, parsing ends in a Manifest or a QmError,
 * and an accepted manifest yields a .deb control file and an RPM spec whose structure is fixed: its text can fill
 * values, never add a field, a tag, a section or a directive.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { fuzz, hostileString } from "../../test/fuzz.js";
import { QmError } from "../core/errors.js";
import { type Manifest, parseManifest } from "./manifest.js";
import { debControl, rpmSpec, scriptlet } from "./metadata.js";
import type { DropinPackage } from "./package.js";

/** Mostly well-formed values, so that many manifests are accepted, with hostile text mixed into every field. */
const valid = <T>(a: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 9, arbitrary: a }, { weight: 1, arbitrary: hostile });
const text = hostileString();
/** Prose with the characters rpm and dpkg care about in the middle of lines: accepted, and must stay inert. */
const prose = fc
  .array(
    fc.constantFrom("word", " ", "%", "%%", "%{x}", "%(id)", "Provides: qm", ":", "'", '"', "\\", "\n", "."),
    {
      minLength: 1,
      maxLength: 8,
    },
  )
  .map((a) => `x${a.join("")}`);
const path = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "/etc/qm/containers/systemd/a.container",
      "/etc/containers/systemd/qm.container.d/x.conf",
    ),
  },
  fc
    .array(fc.oneof(text, fc.constantFrom("etc", "qm", "a.conf")), { minLength: 1, maxLength: 4 })
    .map((p) => `/${p.join("/")}`),
  text,
);
const mode = valid(fc.constantFrom("0644", "0755", "0600", "0666", "0777", "644", "1777", "0o644"), text);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const manifestValue = fc.record(
  {
    name: valid(fc.constantFrom("kvm", "evil", "ttyUSB0"), text),
    package: maybe(valid(fc.constantFrom("qm-evil"), text)),
    version: maybe(valid(fc.constantFrom("1.0", "0.1.0+git1"), text)),
    summary: valid(prose, text),
    description: maybe(
      valid(
        fc.array(fc.oneof(prose, fc.constant("")), { maxLength: 4 }).map((l) => l.join("\n")),
        text,
      ),
    ),
    files: maybe(
      fc.array(
        fc.record({ source: valid(fc.constantFrom("a.conf"), text), destination: path, mode: maybe(mode) }),
        { maxLength: 3 },
      ),
    ),
    directories: maybe(fc.array(fc.record({ path, mode: maybe(mode) }), { maxLength: 2 })),
    requires: maybe(fc.array(valid(fc.constantFrom("qm-oci-hooks"), text), { maxLength: 2 })),
    host: maybe(
      fc.record({
        devices: fc.array(valid(fc.constantFrom("/dev/kvm", "/dev/snd/*"), path), { maxLength: 2 }),
        hooks: fc.array(valid(fc.constantFrom("oci-qm-device-manager"), text), { maxLength: 2 }),
        partitionPackages: fc.array(valid(fc.constantFrom("espeak-ng", "python3-PyYAML"), text), {
          maxLength: 2,
        }),
      }),
    ),
    hooks: maybe(fc.oneof(fc.boolean(), text)),
  },
  { requiredKeys: ["name", "summary"] },
);

/** Also raw JSON of any shape, and texts that are not JSON at all. */
const manifestText = fc.oneof(
  { weight: 6, arbitrary: manifestValue.map((m) => JSON.stringify(m)) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: hostileString() },
);

function pkgOf(manifest: Manifest): DropinPackage {
  return {
    manifest,
    version: manifest.version ?? "0.1.0",
    origin: "/fuzz",
    files: manifest.files.map((f) => ({
      destination: f.destination,
      mode: f.mode,
      content: Buffer.from(""),
      kind: "file" as const,
      origin: f.source,
      lineOffset: 0,
    })),
  };
}

const CONTROL_FIELDS = new Set([
  "Package",
  "Version",
  "Architecture",
  "Maintainer",
  "Installed-Size",
  "Depends",
  "Section",
  "Priority",
  "Description",
]);
const SPEC_TAGS = new Set(["Name", "Version", "Release", "Summary", "License", "BuildArch", "Requires"]);
const SPEC_SECTIONS = new Set(["%description", "%install", "%files", "%post", "%postun"]);

function checkControl(control: string): void {
  const fields = control
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith(" "))
    .map((l) => l.slice(0, l.indexOf(":")));
  for (const f of fields) assert.ok(CONTROL_FIELDS.has(f), `control field ${JSON.stringify(f)}`);
  assert.equal(new Set(fields).size, fields.length, "a control field appears twice");
}

function checkSpec(spec: string): void {
  let section = "";
  for (const line of spec.split("\n")) {
    // rpm reads directives wherever a line starts with % (after blanks): only the spec's own may appear.
    if (/^\s*%/.test(line)) {
      const word = line.trim().split(/[\s(]/)[0] as string;
      if (SPEC_SECTIONS.has(word)) section = word;
      else
        assert.ok(
          (section === "%files" && /^%(dir|attr)\b/.test(word)) ||
            (section === "%install" && line.startsWith("mkdir")),
          `spec directive ${JSON.stringify(line)} in ${section || "the preamble"}`,
        );
      continue;
    }
    if (section === "") {
      if (line === "") continue;
      const tag = line.slice(0, line.indexOf(":"));
      assert.ok(SPEC_TAGS.has(tag), `spec tag ${JSON.stringify(tag)}`);
    }
  }
}

test("any manifest text: a Manifest or a QmError; accepted ones make fixed-shape packages", (t) => {
  let accepted = 0;
  fuzz(
    t,
    "manifests",
    manifestText,
    (raw) => {
      let manifest: Manifest;
      try {
        manifest = parseManifest(raw, "/fuzz/dropin.json");
      } catch (error) {
        assert.ok(error instanceof QmError, `not a QmError: ${String(error)}`);
        assert.ok(error.location?.file === "/fuzz/dropin.json", "the error names the manifest");
        return;
      }
      accepted++;
      const pkg = pkgOf(manifest);
      checkControl(debControl(pkg, 1));
      checkSpec(rpmSpec(pkg));
      for (const s of [scriptlet(pkg, "installed", "true"), scriptlet(pkg, "removed", "true")])
        for (const l of s.split("\n").filter((x) => x.startsWith("  echo ")))
          assert.match(l, /^ {2}echo '[^\n']*(?:'\\''[^\n']*)*'$/, "one quoted echo per message");
    },
    { minRuns: 10_000, budgetMs: 3_000, caseLimitMs: 2_000 },
  );
  t.diagnostic(`accepted manifests: ${accepted}`);
  assert.ok(
    accepted > 100,
    `too few accepted manifests (${accepted}) to say anything about the generated files`,
  );
});
