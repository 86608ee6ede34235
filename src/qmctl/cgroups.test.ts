import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../../test/helpers.js";
import {
  containerIdOf,
  findContainerCgroups,
  locateCgroup,
  nodeCgroupFs,
  parseBlkio,
  parseIoStat,
  parseMountinfo,
  parseProcCgroup,
  readUsage,
} from "./cgroups.js";

const fixture = (name: string) => nodeCgroupFs(join(repoRoot, "test/fixtures/qmctl", name));
const V1_ID = "f8b8250337ec2760c093d25a67030efad3d9013517ac17caf4e1497d931eba28";
const V1_NESTED = "aaaaaaaa2497425e130872c9d1fec6d8915e9dfbace82332df4d70d1b9af5f91";

function locate(fs: ReturnType<typeof fixture>, pid: number) {
  return locateCgroup(
    parseMountinfo(fs.read("/proc/self/mountinfo") ?? ""),
    parseProcCgroup(fs.read(`/proc/${pid}/cgroup`) ?? ""),
  );
}

describe("qmctl cgroup readers", () => {
  it("parses v1 and v2 mounts from mountinfo", () => {
    const mounts = parseMountinfo(fixture("cgroup-v1").read("/proc/self/mountinfo") ?? "");
    assert.deepEqual(
      mounts.find((m) => m.mountPoint === "/sys/fs/cgroup/cpuacct"),
      { version: 1, root: "/", mountPoint: "/sys/fs/cgroup/cpuacct", controllers: ["cpuacct"] },
    );
    assert.deepEqual(mounts.find((m) => m.version === 2)?.mountPoint, "/sys/fs/cgroup/unified");
    assert.deepEqual(mounts.find((m) => m.mountPoint === "/sys/fs/cgroup/systemd")?.controllers, [
      "name=systemd",
    ]);
  });

  it("locates a hybrid (v1 + empty cgroup2) process and reads v1 counters", () => {
    const fs = fixture("cgroup-v1");
    const { location, layout } = locate(fs, 4242);
    assert.equal(layout, "hybrid");
    assert.equal(location.path, `/libpod_parent/libpod-${V1_ID}`);
    assert.equal(location.v1.memory, `/sys/fs/cgroup/memory/libpod_parent/libpod-${V1_ID}`);
    assert.deepEqual(readUsage(fs, location), {
      cpuUsageNs: 204618051,
      memoryBytes: 1007616,
      memoryLimitBytes: null,
      tasks: 2,
      tasksMax: 2048,
      ioReadBytes: 0,
      ioWriteBytes: 0,
    });
    assert.deepEqual(readUsage(fs, location, `libpod-${V1_NESTED}`), {
      cpuUsageNs: 2738354,
      memoryBytes: 204800,
      memoryLimitBytes: 67108864,
      tasks: 1,
      tasksMax: 20,
      ioReadBytes: 0,
      ioWriteBytes: 0,
    });
    assert.deepEqual(findContainerCgroups(fs, location, V1_ID), [
      { relative: `libpod-${V1_NESTED}`, id: V1_NESTED },
    ]);
  });

  it("reads pure v2 counters and finds nested containers once", () => {
    const fs = fixture("cgroup-v2");
    const { location, layout } = locate(fs, 5151);
    assert.equal(layout, "v2");
    const payload = location.path.split("/").at(-1) ?? "";
    assert.match(payload, /^libpod-payload-/);
    const usage = readUsage(fs, location);
    assert.equal(usage.cpuUsageNs, 5_100_000_000);
    assert.equal(usage.memoryBytes, 100663296);
    assert.equal(usage.memoryLimitBytes, null);
    assert.equal(usage.tasks, 40);
    assert.equal(usage.tasksMax, null);
    assert.equal(usage.ioReadBytes, 7340032);
    const nested = findContainerCgroups(fs, location);
    assert.equal(nested.length, 1, JSON.stringify(nested));
    assert.match(nested[0]?.relative ?? "", /^machine\.slice\/libpod-9e8d[0-9a-f]+\.scope$/);
    const inner = readUsage(fs, location, nested[0]?.relative);
    assert.equal(inner.memoryLimitBytes, 536870912);
    assert.equal(inner.tasksMax, 100);
  });

  it("reports metrics a hierarchy lacks as absent", () => {
    const fs = nodeCgroupFs("/nonexistent-root");
    assert.deepEqual(readUsage(fs, { path: "/x", v1: {}, v2: "/sys/fs/cgroup/x" }), {});
  });

  it("sums IO over devices in both formats", () => {
    assert.deepEqual(parseBlkio("8:0 Read 100\n8:0 Write 5\n8:16 Read 1\n8:0 Total 105\nTotal 106\n"), {
      read: 101,
      write: 5,
    });
    assert.deepEqual(parseIoStat("8:0 rbytes=10 wbytes=2 rios=1\n253:0 rbytes=5 wbytes=0\n"), {
      read: 15,
      write: 2,
    });
  });

  it("recognises container cgroup names", () => {
    const id = "a".repeat(64);
    assert.equal(containerIdOf(`libpod-${id}`), id);
    assert.equal(containerIdOf(`libpod-${id}.scope`), id);
    assert.equal(containerIdOf(id), id);
    assert.equal(containerIdOf(`libpod-conmon-${id}.scope`), undefined);
    assert.equal(containerIdOf("system.slice"), undefined);
  });
});
