import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addDevices, parseQuadlet } from "./quadlet.js";

const SAMPLE = `# comment before any section
Ignored=before section
[Unit]
Description=QM

[Container]
Image=localhost/qm:latest
# AddDevice=/dev/commented
Environment=DISPLAY=:0
Volume = /tmp:/tmp:rw
Volume=/var/qm:/var
AddDevice=-/dev/kvm
AddDevice=/dev/fuse
ReadOnlyTmpfs
[Unit]
After=network.target
`;

describe("qmctl quadlet parsing", () => {
  it("builds sections, splitting on the first '=' and stripping", () => {
    const s = parseQuadlet(SAMPLE);
    assert.deepEqual(Object.keys(s), ["Unit", "Container"]);
    assert.equal(s.Container?.Image, "localhost/qm:latest");
    assert.equal(s.Container?.Environment, "DISPLAY=:0");
    assert.equal(s.Container?.ReadOnlyTmpfs, true);
    assert.equal(s.Unit?.Ignored, undefined);
  });

  it("keeps repeated keys as a list and continues a repeated section", () => {
    const s = parseQuadlet(SAMPLE);
    assert.deepEqual(s.Container?.Volume, ["/tmp:/tmp:rw", "/var/qm:/var"]);
    assert.deepEqual(s.Container?.AddDevice, ["-/dev/kvm", "/dev/fuse"]);
    assert.deepEqual(s.Unit, { Description: "QM", After: "network.target" });
  });

  it("lists AddDevice= devices without the optional '-' and skips comments", () => {
    assert.deepEqual(addDevices(SAMPLE), ["/dev/kvm", "/dev/fuse"]);
    assert.deepEqual(addDevices("[Container]\nImage=x\n"), []);
  });
});
