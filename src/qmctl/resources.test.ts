import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../../test/helpers.js";
import { nodeCgroupFs } from "./cgroups.js";
import {
  computeRows,
  formatBytes,
  formatTable,
  resolveTarget,
  type Sample,
  takeSample,
} from "./resources.js";

const fixture = (name: string) => nodeCgroupFs(join(repoRoot, "test/fixtures/qmctl", name));
const V2_ID = "3f1c2a9e7b4d5c6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e";

describe("qmctl resources", () => {
  it("widens the partition to qm.service when the unit is an ancestor (systemd host, v2)", () => {
    const target = resolveTarget(fixture("cgroup-v2"), "qm", 5151, V2_ID);
    assert.equal(target?.unit, "qm.service");
    assert.equal(target?.location.path, "/system.slice/qm.service");
    assert.equal(target?.location.v2, "/sys/fs/cgroup/system.slice/qm.service");
    const sample = takeSample(fixture("cgroup-v2"), target as NonNullable<typeof target>, 0n);
    assert.deepEqual(
      sample.rows.map((r) => r.name),
      [
        "qm.service",
        `qm.service/libpod-payload-${V2_ID}/machine.slice/libpod-9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d.scope`,
      ],
      "the partition's own payload cgroup is not a nested container",
    );
  });

  it("uses the container's own cgroup when there is no unit (direct host, v1)", () => {
    const target = resolveTarget(fixture("cgroup-v1"), "qm", 4242);
    assert.equal(target?.layout, "hybrid");
    assert.match(target?.location.path ?? "", /^\/libpod_parent\/libpod-f8b8/);
    assert.equal(resolveTarget(fixture("cgroup-v1"), "qm", 999), undefined);
  });

  it("turns two samples into rates", () => {
    const before: Sample = {
      atNs: 0n,
      rows: [
        { name: "qm.service", path: "/q", usage: { cpuUsageNs: 1e9, ioReadBytes: 0, ioWriteBytes: 100 } },
      ],
    };
    const after: Sample = {
      atNs: 500_000_000n,
      rows: [
        {
          name: "qm.service",
          path: "/q",
          usage: {
            cpuUsageNs: 1.25e9,
            ioReadBytes: 2048,
            ioWriteBytes: 100,
            tasks: 3,
            memoryBytes: 1536,
            memoryLimitBytes: null,
          },
        },
        { name: "qm.service/libpod-x", path: "/q/libpod-x", id: "x", usage: { cpuUsageNs: 5 } },
      ],
    };
    const [root, nested] = computeRows(before, after);
    assert.equal(root?.cpu_percent, 50);
    assert.equal(root?.cpu_usage_seconds, 1.25);
    assert.equal(root?.io_read_bytes_per_second, 4096);
    assert.equal(root?.io_write_bytes_per_second, 0);
    assert.equal(root?.memory_limit_bytes, null);
    assert.equal(root?.container_id, null);
    assert.equal(nested?.cpu_percent, null, "no earlier reading, no rate");
    assert.equal(nested?.container_id, "x");
    const table = formatTable([root, nested].filter((r) => r !== undefined));
    assert.match(table, /^Control Group\s+Tasks\s+%CPU\s+Memory\s+Input\/s\s+Output\/s\n/);
    assert.match(table, /\nqm\.service\s+3\s+50\.0\s+1\.5K\s+4\.0K\s+0B\n/);
  });

  it("formats sizes like systemd-cgtop", () => {
    assert.equal(formatBytes(null), "-");
    assert.equal(formatBytes(512), "512B");
    assert.equal(formatBytes(100663296), "96.0M");
  });
});
