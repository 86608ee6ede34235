// Every key whose podman option podman 4.3.1 lacks, one warning each, in the key table's order.
import assert from "node:assert/strict";
import { test } from "node:test";
import { memoryUnitFs } from "../unit/fs.js";
import { parsePodmanVersion, podmanCompat } from "./compat.js";
import { generateServiceFrom } from "./generate.js";

function warnings(name: string, text: string): readonly string[] {
  const s = generateServiceFrom(memoryUnitFs({ [`/units/${name}`]: text }), name, {
    env: { QUADLET_UNIT_DIRS: "/units" },
  });
  return podmanCompat(s.file, name, s.type, parsePodmanVersion("4.3.1")).warnings;
}

const w = (unit: string, key: string, option: string): string =>
  `Warning: ${unit}: ${key}= needs podman 4.4 or later (podman 4.3.1 has no ${option})`;

test("a warning for each health key podman 4.3.1 lacks", () => {
  const keys = [
    ["HealthLogDestination", "/l"],
    ["HealthMaxLogCount", "3"],
    ["HealthMaxLogSize", "100"],
    ["HealthStartupCmd", "/bin/true"],
    ["HealthStartupInterval", "3s"],
    ["HealthStartupRetries", "4"],
    ["HealthStartupSuccess", "5"],
    ["HealthStartupTimeout", "6s"],
  ];
  const text = `[Container]\nImage=docker.io/library/x:1\nHealthCmd=/bin/true\n${keys.map(([k, v]) => `${k}=${v}\n`).join("")}`;
  assert.deepEqual(warnings("h.container", text), [
    w("h.container", "HealthLogDestination", "--health-log-destination"),
    w("h.container", "HealthMaxLogCount", "--health-max-log-count"),
    w("h.container", "HealthMaxLogSize", "--health-max-log-size"),
    w("h.container", "HealthStartupCmd", "--health-startup-cmd"),
    w("h.container", "HealthStartupInterval", "--health-startup-interval"),
    w("h.container", "HealthStartupRetries", "--health-startup-retries"),
    w("h.container", "HealthStartupSuccess", "--health-startup-success"),
    w("h.container", "HealthStartupTimeout", "--health-startup-timeout"),
  ]);
  for (const [key, value] of keys) {
    assert.equal(
      warnings("h.container", `[Container]\nImage=docker.io/library/x:1\n${key}=${value}\n`).length,
      1,
      key,
    );
    assert.deepEqual(warnings("h.container", `[Container]\nImage=docker.io/library/x:1\n${key}=\n`), [], key);
  }
});

test("kube, network and image keys podman 4.3.1 lacks; KubeDownForce with either value", () => {
  assert.deepEqual(
    warnings(
      "k.kube",
      "[Kube]\nYaml=/k.yaml\nExitCodePropagation=all\nPublishPort=80:80\nKubeDownForce=false\n",
    ),
    [
      w("k.kube", "PublishPort", "--publish"),
      w("k.kube", "ExitCodePropagation", "--service-exit-code-propagation"),
      w("k.kube", "KubeDownForce", "kube down --force"),
    ],
  );
  assert.deepEqual(warnings("k.kube", "[Kube]\nYaml=/k.yaml\nExitCodePropagation=\nPublishPort=\n"), []);
  assert.deepEqual(warnings("n.network", "[Network]\nDNS=1.1.1.1\nDNS=\n"), []);
  assert.deepEqual(warnings("n.network", "[Network]\nDNS=\nDNS=1.1.1.1\n"), [w("n.network", "DNS", "--dns")]);
  assert.deepEqual(warnings("i.image", "[Image]\nImage=docker.io/library/x:1\nDecryptionKey=/k\n"), [
    w("i.image", "DecryptionKey", "--decryption-key"),
  ]);
  assert.deepEqual(warnings("i.image", "[Image]\nImage=docker.io/library/x:1\nDecryptionKey=\n"), []);
});

test("parsePodmanVersion: up to six digits per part", () => {
  assert.deepEqual(parsePodmanVersion("10.12.3"), { major: 10, minor: 12, patch: 3 });
  assert.deepEqual(parsePodmanVersion("123456.1"), { major: 123456, minor: 1, patch: 0 });
  assert.equal(parsePodmanVersion("1234567.1"), undefined);
});
