import assert from "node:assert/strict";
import { test } from "node:test";
import {
  cpuRatio,
  inPartition,
  type MemoryTrial,
  median,
  memoryVerdict,
  mqueueVerdict,
  oomVictims,
  reportPassed,
  schedulerVerdict,
  setattrVerdict,
  summarize,
} from "./model.js";

const ok = (policy: string) => ({ policy, code: 0, output: "" });
const enosys = (policy: string) => ({
  policy,
  code: 1,
  output: "chrt: failed to set pid 0's policy: Function not implemented",
});
const eperm = (policy: string) => ({
  policy,
  code: 1,
  output: "chrt: failed to set pid 0's policy: Operation not permitted",
});

test("scheduler: OTHER/BATCH/IDLE allowed and FIFO/RR ENOSYS passes", () => {
  const v = schedulerVerdict([
    ok("SCHED_OTHER"),
    ok("SCHED_BATCH"),
    ok("SCHED_IDLE"),
    enosys("SCHED_FIFO"),
    enosys("SCHED_RR"),
  ]);
  assert.deepEqual(v, { status: "PASS", reason: "" });
});

test("scheduler: EPERM for FIFO is the kernel's RT group answer, not seccomp: fails", () => {
  const v = schedulerVerdict([ok("SCHED_OTHER"), eperm("SCHED_FIFO"), enosys("SCHED_RR")]);
  assert.equal(v.status, "FAIL");
  assert.match(v.reason, /SCHED_FIFO refused without ENOSYS/);
});

test("scheduler: a granted FIFO or a refused BATCH fails", () => {
  assert.match(schedulerVerdict([ok("SCHED_FIFO")]).reason, /SCHED_FIFO was granted/);
  assert.match(schedulerVerdict([eperm("SCHED_BATCH")]).reason, /SCHED_BATCH refused/);
});

test("sched_setattr: EPERM passes; success or another errno fails", () => {
  assert.equal(setattrVerdict(eperm("SCHED_DEADLINE")).status, "PASS");
  assert.match(setattrVerdict(ok("SCHED_DEADLINE")).reason, /was granted/);
  assert.match(setattrVerdict({ ...enosys("SCHED_DEADLINE") }).reason, /not with EPERM/);
});

test("mqueue: exactly the limit, then ENOSPC, host unaffected", () => {
  const good = {
    sysctl: "4",
    limit: 4,
    created: 4,
    refusal: "touch: cannot touch '/dev/mqueue/qm-ffi-5': No space left on device",
    hostCreated: 10,
    hostAttempted: 10,
  };
  assert.equal(mqueueVerdict(good).status, "PASS");
  assert.match(
    mqueueVerdict({ ...good, sysctl: "64", created: 6, refusal: "" }).reason,
    /queues_max is 64.*created 6/,
  );
  assert.match(mqueueVerdict({ ...good, hostCreated: 7 }).reason, /host created 7 of 10/);
  assert.match(mqueueVerdict({ ...good, refusal: "Permission denied" }).reason, /not refused with ENOSPC/);
});

test("cpu ratio uses medians", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.equal(median([]), 0);
  assert.equal(cpuRatio([100, 100], [99, 97]), 0.98);
  assert.equal(cpuRatio([], [1]), 0);
});

// Two messages of a real kernel's log around one OOM kill (this host, a partition under a temporary root).
const KMSG = [
  "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/qm-c788ee9b.service/libpod-ee4a6f89,task=dd,pid=6145,uid=0",
  "Out of memory: Killed process 6145 (dd) total-vm:20485628kB, anon-rss:19493888kB, file-rss:72kB, shmem-rss:0kB, UID:0 pgtables:38200kB oom_score_adj:750",
];

test("OOM victims are read from the kernel log, with their memory cgroup", () => {
  assert.deepEqual(oomVictims(["unrelated", ...KMSG]), [
    { pid: 6145, command: "dd", oomScoreAdj: 750, memcg: "/qm-c788ee9b.service/libpod-ee4a6f89" },
  ]);
  // The oom-kill summary is rate-limited by the kernel; the victim is still counted, its cgroup unknown.
  assert.deepEqual(oomVictims([KMSG[1] as string]), [
    { pid: 6145, command: "dd", oomScoreAdj: 750, memcg: null },
  ]);
  assert.equal(inPartition("/qm-c788ee9b.service/libpod-x", "/qm-c788ee9b.service"), true);
  assert.equal(inPartition("/qm-c788ee9b.service", "/qm-c788ee9b.service"), true);
  assert.equal(inPartition("/qm-c788ee9b.serviceX", "/qm-c788ee9b.service"), false);
  assert.equal(inPartition(null, "/qm.service"), false);
});

const SERVICE = "/qm-c788ee9b.service";
const trial = (over: Partial<MemoryTrial> = {}): MemoryTrial => ({
  trial: 1,
  hogs: 5,
  hogBytes: 10e9,
  seconds: 3,
  hogRun: "exit 137",
  asilAlive: true,
  asilRssBytes: 8e9,
  oomKills: 1,
  victims: oomVictims(KMSG),
  ...over,
});

test("memory: every trial needs an OOM kill, only in the partition, and the ASIL resident", () => {
  assert.equal(memoryVerdict(8e9, SERVICE, [trial(), trial({ trial: 2 })]).status, "PASS");
  assert.match(
    memoryVerdict(8e9, SERVICE, [trial({ oomKills: 0, victims: [] })]).reason,
    /no OOM kill happened \(the hogs' container: exit 137\)/,
  );
  assert.match(memoryVerdict(8e9, SERVICE, [trial({ asilAlive: false })]).reason, /ASIL stand-in died/);
  assert.match(memoryVerdict(8e9, SERVICE, [trial({ asilRssBytes: 4e9 })]).reason, /lost memory/);
  const asil = { pid: 77, command: "node", oomScoreAdj: 0, memcg: "/" };
  assert.match(
    memoryVerdict(8e9, SERVICE, [trial({ oomKills: 2, victims: [...oomVictims(KMSG), asil] })]).reason,
    /chose node \(pid 77, oom_score_adj 0\) in \/, outside the partition/,
  );
  assert.match(memoryVerdict(8e9, SERVICE, [trial({ oomKills: 2 })]).reason, /1 OOM kill\(s\) missing/);
  assert.match(
    memoryVerdict(8e9, SERVICE, [trial({ victims: [{ ...asil, memcg: null }] })]).reason,
    /in an unknown cgroup, outside/,
  );
  assert.match(memoryVerdict(8e9, SERVICE, []).reason, /no trial ran/);
});

test("summary counts and the run verdict", () => {
  const s = summarize([{ status: "PASS" }, { status: "SKIP" }, { status: "PASS" }] as unknown as Parameters<
    typeof summarize
  >[0]);
  assert.deepEqual(s, { PASS: 2, FAIL: 0, SKIP: 1, ERROR: 0 });
  assert.equal(reportPassed({ summary: s }), true);
  assert.equal(reportPassed({ summary: { ...s, ERROR: 1 } }), false);
  assert.equal(reportPassed({ summary: { ...s, FAIL: 1 } }), false);
});

test("failure reasons quote what was seen, trimmed, or say that nothing was", () => {
  const refused = (output: string) => ({ policy: "SCHED_BATCH", code: 3, output });
  assert.equal(schedulerVerdict([refused("chrt: no\n")]).reason, "SCHED_BATCH refused (chrt: no)");
  assert.equal(schedulerVerdict([refused(" \n")]).reason, "SCHED_BATCH refused (exit 3)");
  assert.equal(
    schedulerVerdict([eperm("SCHED_RR"), eperm("SCHED_FIFO")]).reason,
    "SCHED_RR refused without ENOSYS, so not by the seccomp profile (chrt: failed to set pid 0's policy: Operation not permitted); " +
      "SCHED_FIFO refused without ENOSYS, so not by the seccomp profile (chrt: failed to set pid 0's policy: Operation not permitted)",
  );
  assert.equal(
    schedulerVerdict([{ policy: "SCHED_FIFO", code: 1, output: "Invalid argument\n" }]).reason,
    "SCHED_FIFO refused without ENOSYS, so not by the seccomp profile (Invalid argument)",
  );
  assert.equal(
    setattrVerdict({ policy: "SCHED_DEADLINE", code: 1, output: "Invalid argument\n" }).reason,
    "refused, but not with EPERM: Invalid argument",
  );
  const queues = { sysctl: "4", limit: 4, created: 4, hostCreated: 1, hostAttempted: 1 };
  assert.equal(
    mqueueVerdict({ ...queues, refusal: "Permission denied\n" }).reason,
    "queue 5 was not refused with ENOSPC (Permission denied)",
  );
  assert.equal(
    mqueueVerdict({ ...queues, refusal: "\n" }).reason,
    "queue 5 was not refused with ENOSPC (no error)",
  );
  assert.equal(
    memoryVerdict(8e9, SERVICE, [trial({ trial: 3, oomKills: 0, victims: [], hogRun: "" })]).reason,
    "trial 3: no OOM kill happened (the hogs' container: no output)",
  );
});

test("memory: the ASIL stand-in keeps 95% of its memory resident, no less", () => {
  assert.equal(memoryVerdict(100, SERVICE, [trial({ asilRssBytes: 95 })]).status, "PASS");
  assert.equal(
    memoryVerdict(100, SERVICE, [trial({ asilRssBytes: 94 })]).reason,
    "trial 1: the ASIL stand-in lost memory (resident 94 of 100 bytes)",
  );
});

test("OOM victims: the memory cgroup comes only from a line that starts with oom-kill:", () => {
  const quoted = `printk: ${KMSG[0]}`;
  assert.deepEqual(oomVictims([quoted, KMSG[1] as string]), [
    { pid: 6145, command: "dd", oomScoreAdj: 750, memcg: null },
  ]);
});
