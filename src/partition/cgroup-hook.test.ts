import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { distBin } from "../../test/helpers.js";
import { partitionCgroupsHook } from "./cgroup-hook.js";

// As podman 4.3 writes it for the partition: uint64 rlimits and a memory limit beyond 2^53.
const spec =
  '{"ociVersion":"1.0.2-dev","process":{"rlimits":[{"type":"RLIMIT_NOFILE","hard":18446744073709551615,"soft":18446744073709551615}]},' +
  '"mounts":[{"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["rprivate","nosuid","ro"]},' +
  '{"destination":"/sys/fs/cgroup/systemd","type":"bind","source":"/sys/fs/cgroup/systemd","options":["bind"]}],' +
  '"linux":{"resources":{"memory":{"limit":9223372036854771712,"swap":-9223372036854775808}}}}';
const expected =
  '{"ociVersion":"1.0.2-dev","process":{"rlimits":[{"type":"RLIMIT_NOFILE","hard":18446744073709551615,"soft":18446744073709551615}]},' +
  '"mounts":[{"destination":"/sys/fs/cgroup","type":"cgroup","source":"cgroup","options":["rprivate","nosuid","rw"]}],' +
  '"linux":{"resources":{"memory":{"limit":9223372036854771712,"swap":-9223372036854775808}}}}';

test("oci-qm-partition-cgroups keeps integers beyond 2^53 exactly as written", () => {
  const r = spawnSync(process.execPath, [distBin("oci-qm-partition-cgroups")], {
    input: spec,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, expected);
});

test("the partition cgroup hook passes anything it cannot edit through byte for byte", () => {
  for (const input of [
    "",
    "not json",
    '{"mounts":[null,1,{"type":"cgroup"}],"x":1.0}',
    "[1,2]",
    '{"a":1} ',
  ]) {
    const out = partitionCgroupsHook(input);
    if (input.includes("mounts")) assert.equal(out, '{"mounts":[null,1,{"type":"cgroup"}],"x":1}');
    else assert.equal(out, input);
  }
  assert.equal(partitionCgroupsHook(`${"[".repeat(100_000)}${"]".repeat(100_000)}`).length, 200_000);
});
