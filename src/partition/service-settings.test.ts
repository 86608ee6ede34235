import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { loadEffectiveUnitFrom } from "../quadlet/index.js";
import { memoryUnitFs } from "../unit/fs.js";
import {
  parseSize,
  parseTimespan,
  type ServiceSettings,
  serviceSettings,
  sizeBytes,
} from "./service-settings.js";

/** The settings of a qm.container whose [Service] (and [Unit]) sections hold `lines`. */
function settings(service: string, unitSection = ""): ServiceSettings {
  const text = `[Unit]\nDescription=t\n${unitSection}\n[Container]\nImage=x\n\n[Service]\n${service}\n`;
  const fs = memoryUnitFs({ "/usr/share/containers/systemd/qm.container": text });
  return serviceSettings(loadEffectiveUnitFrom(fs, "qm.container"));
}

const value = (v: string, key = "MemoryMax") => ({
  section: "Service",
  key,
  value: v,
  file: "f",
  line: 1,
  column: 1,
});

/** The message of the error `f` throws. */
function failure(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail("no error thrown");
}

describe("service settings: boundaries of every numeric key", () => {
  test("CPUWeight and IOWeight: 1 to 10000", () => {
    assert.equal(settings("CPUWeight=1").cpuWeight, 1);
    assert.equal(settings("CPUWeight=10000").cpuWeight, 10000);
    assert.equal(
      failure(() => settings("CPUWeight=0")),
      "CPUWeight=0: out of range (1..10000)",
    );
    assert.equal(
      failure(() => settings("CPUWeight=10001")),
      "CPUWeight=10001: out of range (1..10000)",
    );
    assert.equal(
      failure(() => settings("CPUWeight=high")),
      "CPUWeight=high: expected an integer from 1 to 10000",
    );
    assert.equal(settings("IOWeight=1").ioWeight, 1);
    assert.equal(settings("IOWeight=10000").ioWeight, 10000);
    assert.match(
      failure(() => settings("IOWeight=0")),
      /out of range \(1\.\.10000\)/,
    );
    assert.match(
      failure(() => settings("IOWeight=10001")),
      /out of range \(1\.\.10000\)/,
    );
  });

  test("OOMScoreAdjust: -1000 to 1000", () => {
    assert.equal(settings("OOMScoreAdjust=-1000").oomScoreAdjust, -1000);
    assert.equal(settings("OOMScoreAdjust=1000").oomScoreAdjust, 1000);
    assert.equal(settings("OOMScoreAdjust=0").oomScoreAdjust, 0);
    assert.match(
      failure(() => settings("OOMScoreAdjust=-1001")),
      /out of range \(-1000\.\.1000\)/,
    );
    assert.match(
      failure(() => settings("OOMScoreAdjust=1001")),
      /out of range/,
    );
    assert.match(
      failure(() => settings("OOMScoreAdjust=5x")),
      /expected an integer from -1000 to 1000/,
    );
    assert.match(
      failure(() => settings("OOMScoreAdjust=x5")),
      /expected an integer/,
    );
  });

  test("TasksMax: a count from 1, a percentage or infinity", () => {
    assert.deepEqual(settings("TasksMax=1").tasksMax, { value: 1 });
    assert.deepEqual(settings("TasksMax=4194304").tasksMax, { value: 2 ** 22 });
    assert.deepEqual(settings("TasksMax=12.5%").tasksMax, { percent: 12.5 });
    assert.equal(settings("TasksMax=infinity").tasksMax, "infinity");
    assert.match(
      failure(() => settings("TasksMax=0")),
      /out of range \(1\.\.4194304\)/,
    );
    assert.match(
      failure(() => settings("TasksMax=4194305")),
      /out of range/,
    );
    assert.equal(settings("").tasksMax, undefined);
  });

  test("LimitNOFILE: soft:hard, one value for both, infinity", () => {
    assert.deepEqual(settings("LimitNOFILE=0").limitNofile, { soft: 0, hard: 0 });
    assert.deepEqual(settings("LimitNOFILE=5:10").limitNofile, { soft: 5, hard: 10 });
    assert.deepEqual(settings("LimitNOFILE=10:10").limitNofile, { soft: 10, hard: 10 });
    assert.deepEqual(settings("LimitNOFILE=infinity").limitNofile, { soft: "infinity", hard: "infinity" });
    assert.deepEqual(settings("LimitNOFILE=5:infinity").limitNofile, { soft: 5, hard: "infinity" });
    assert.deepEqual(settings("LimitNOFILE=infinity:5").limitNofile, { soft: "infinity", hard: 5 });
    assert.deepEqual(settings(`LimitNOFILE=${2 ** 31}`).limitNofile, { soft: 2 ** 31, hard: 2 ** 31 });
    assert.match(
      failure(() => settings(`LimitNOFILE=${2 ** 31 + 1}`)),
      /out of range \(0\.\.2147483648\)/,
    );
    assert.match(
      failure(() => settings("LimitNOFILE=11:10")),
      /soft limit exceeds the hard limit/,
    );
  });

  test("StartLimitBurst from 0, StartLimitIntervalSec as a time span; defaults 5 and 10 s", () => {
    assert.equal(settings("", "StartLimitBurst=0").startLimitBurst, 0);
    assert.equal(settings("", "StartLimitBurst=1000000").startLimitBurst, 1_000_000);
    assert.match(
      failure(() => settings("", "StartLimitBurst=-1")),
      /out of range \(0\.\.1000000\)/,
    );
    assert.match(
      failure(() => settings("", "StartLimitBurst=1000001")),
      /out of range/,
    );
    assert.equal(settings("", "StartLimitIntervalSec=2min").startLimitIntervalSec, 120);
    const d = settings("");
    assert.equal(d.startLimitBurst, 5);
    assert.equal(d.startLimitIntervalSec, 10);
    assert.equal(d.restart, "no");
  });

  test("CPUQuota: a percentage, above 100% for several CPUs", () => {
    assert.equal(settings("CPUQuota=250%").cpuQuotaPercent, 250);
    assert.equal(settings("CPUQuota=0.5%").cpuQuotaPercent, 0.5);
    assert.equal(
      failure(() => settings("CPUQuota=50")),
      "CPUQuota=50: expected a percentage, e.g. 50% (200% is two CPUs)",
    );
    assert.equal(settings("").cpuQuotaPercent, undefined);
  });

  test("AllowedCPUs: indexes and ranges, spaces as commas", () => {
    assert.equal(settings("AllowedCPUs=0-3 6").allowedCpus, "0-3,6");
    assert.equal(settings("AllowedCPUs=1").allowedCpus, "1");
    assert.match(
      failure(() => settings("AllowedCPUs=0-")),
      /expected CPU indexes or ranges/,
    );
    assert.match(
      failure(() => settings("AllowedCPUs=a")),
      /expected CPU indexes or ranges/,
    );
  });

  test("IOReadIOPSMax and IOWriteIOPSMax: a device and base-1000 IOPS, every line kept", () => {
    const s = settings("IOReadIOPSMax=/dev/sda 2M\nIOReadIOPSMax=/dev/sdb 7\nIOWriteIOPSMax=/dev/sdc 1G");
    assert.deepEqual(s.ioReadIopsMax, [
      { device: "/dev/sda", iops: 2_000_000 },
      { device: "/dev/sdb", iops: 7 },
    ]);
    assert.deepEqual(s.ioWriteIopsMax, [{ device: "/dev/sdc", iops: 1e9 }]);
    assert.deepEqual(settings("IOReadIOPSMax=/dev/sda 3T").ioReadIopsMax, [
      { device: "/dev/sda", iops: 3e12 },
    ]);
    assert.match(
      failure(() => settings("IOReadIOPSMax=sda 5")),
      /expected 'DEVICE IOPS'/,
    );
    assert.match(
      failure(() => settings("IOWriteIOPSMax=/dev/sda")),
      /expected 'DEVICE IOPS'/,
    );
  });

  test("Restart: each value systemd knows", () => {
    for (const r of ["no", "always", "on-success", "on-failure", "on-abnormal", "on-abort", "on-watchdog"])
      assert.equal(settings(`Restart=${r}`).restart, r);
    assert.equal(
      failure(() => settings("Restart=never")),
      "Restart=never: expected one of no, always, on-success, on-failure, on-abnormal, on-abort, on-watchdog",
    );
  });

  test("Environment, empty values and the keys direct mode does not apply", () => {
    const s = settings(
      "Environment=A=1 B=2\nCPUWeight=\nManagedOOMPreference=avoid\nDevicePolicy=\nKillMode=mixed",
    );
    assert.deepEqual(s.environment, { A: "1", B: "2" });
    assert.equal(s.cpuWeight, undefined);
    assert.deepEqual(
      s.unapplied.map((v) => `${v.key}=${v.value}`),
      ["ManagedOOMPreference=avoid"],
    );
  });
});

describe("sizes and time spans", () => {
  test("parseSize: every suffix is base 1024, fractions round down, 100% is allowed", () => {
    const bytes = (v: string) => parseSize(value(v));
    assert.deepEqual(bytes("1K"), { bytes: 1024 });
    assert.deepEqual(bytes("1M"), { bytes: 1024 ** 2 });
    assert.deepEqual(bytes("1G"), { bytes: 1024 ** 3 });
    assert.deepEqual(bytes("1T"), { bytes: 1024 ** 4 });
    assert.deepEqual(bytes("1P"), { bytes: 1024 ** 5 });
    assert.deepEqual(bytes("1E"), { bytes: 1024 ** 6 });
    assert.deepEqual(bytes("1.5K"), { bytes: 1536 });
    assert.deepEqual(bytes("0.3"), { bytes: 0 });
    assert.deepEqual(bytes(" 2 K "), { bytes: 2048 });
    assert.deepEqual(bytes("100%"), { percent: 100 });
    assert.deepEqual(bytes("0.5%"), { percent: 0.5 });
    assert.equal(bytes("infinity"), "infinity");
    assert.equal(
      failure(() => bytes("100.1%")),
      "MemoryMax=100.1%: a percentage above 100%",
    );
    assert.equal(
      failure(() => bytes("1X")),
      "MemoryMax=1X: expected bytes with an optional K, M, G, T, P or E suffix, a percentage, or infinity",
    );
    assert.match(
      failure(() => bytes("K")),
      /expected bytes/,
    );
    assert.match(
      failure(() => bytes("x1K")),
      /expected bytes/,
    );
  });

  test("sizeBytes: bytes as they are, percentages of memory rounded down, infinity unbounded", () => {
    assert.equal(sizeBytes({ bytes: 7 }, 1000), 7);
    assert.equal(sizeBytes({ percent: 33 }, 1001), 330);
    assert.equal(sizeBytes("infinity", 1000), undefined);
  });

  test("parseTimespan: units from microseconds to days, summed; bare numbers are seconds", () => {
    const span = (v: string) => parseTimespan(value(v, "StartLimitIntervalSec"));
    assert.equal(span("2"), 2);
    assert.equal(span("500ms"), 0.5);
    assert.equal(span("250000us"), 0.25);
    assert.equal(span("3s"), 3);
    assert.equal(span("3sec"), 3);
    assert.equal(span("2m"), 120);
    assert.equal(span("2min"), 120);
    assert.equal(span("1h"), 3600);
    assert.equal(span("1hr"), 3600);
    assert.equal(span("1d"), 86400);
    assert.equal(span("1h 1min 1s"), 3661);
    assert.equal(span("1.5min"), 90);
    assert.equal(span("infinity"), Number.POSITIVE_INFINITY);
    assert.equal(
      failure(() => span("1 fortnight")),
      "StartLimitIntervalSec=1 fortnight: unknown time unit 'fortnight'",
    );
    assert.equal(
      failure(() => span("")),
      "StartLimitIntervalSec=: expected a time span such as 10s, 1min or 500ms",
    );
    assert.match(
      failure(() => span("5s!")),
      /expected a time span/,
    );
  });
});

describe("service settings: what is read, what is refused", () => {
  test("keys handled here or by the podman command are not reported as unapplied", () => {
    const s = settings(
      [
        "CPUQuota=10%",
        "AllowedCPUs=0",
        "IOReadIOPSMax=/dev/sda 1",
        "IOWriteIOPSMax=/dev/sda 1",
        "Delegate=yes",
        "Slice=qm.slice",
        "KillMode=mixed",
        "Type=notify",
        "NotifyAccess=all",
        "SyslogIdentifier=qm",
        "ExecStop=/bin/true",
        "ExecStopPost=/bin/true",
      ].join("\n"),
    );
    assert.deepEqual(
      s.unapplied.map((v) => v.key),
      [],
    );
  });

  test("percentages, counts and CPU lists are matched whole", () => {
    assert.deepEqual(settings("TasksMax=2.25%").tasksMax, { percent: 2.25 });
    assert.match(
      failure(() => settings("TasksMax=x5%")),
      /expected an integer/,
    );
    assert.match(
      failure(() => settings("TasksMax=5%x")),
      /expected an integer/,
    );
    assert.equal(settings("CPUQuota=12.75%").cpuQuotaPercent, 12.75);
    assert.match(
      failure(() => settings("CPUQuota=x5%")),
      /expected a percentage/,
    );
    assert.match(
      failure(() => settings("CPUQuota=5%x")),
      /expected a percentage/,
    );
    assert.deepEqual(settings("MemoryMax=12.75%").memoryMax, { percent: 12.75 });
    assert.deepEqual(settings("MemoryMax=1.25K").memoryMax, { bytes: 1280 });
    assert.match(
      failure(() => settings("MemoryMax=x5%")),
      /expected bytes/,
    );
    assert.match(
      failure(() => settings("MemoryMax=5%x")),
      /expected bytes/,
    );
    assert.equal(settings("AllowedCPUs=10-12,14,16-31").allowedCpus, "10-12,14,16-31");
    for (const bad of ["x1", "1-3x", "1,a", "1-a"])
      assert.match(
        failure(() => settings(`AllowedCPUs=${bad}`)),
        /expected CPU indexes or ranges/,
        bad,
      );
    assert.deepEqual(settings("IOReadIOPSMax=/dev/sda   2.25K").ioReadIopsMax, [
      { device: "/dev/sda", iops: 2250 },
    ]);
    assert.match(
      failure(() => settings("IOReadIOPSMax=x/dev/sda 5")),
      /expected 'DEVICE IOPS'/,
    );
    assert.match(
      failure(() => settings("IOReadIOPSMax=/dev/sda 5x")),
      /expected 'DEVICE IOPS'/,
    );
    assert.equal(parseTimespan(value("1.25s", "StartLimitIntervalSec")), 1.25);
  });

  test("an invalid value names its section, key and value", () => {
    try {
      settings("CPUWeight=0");
      assert.fail("no error");
    } catch (e) {
      assert.deepEqual((e as { details?: unknown }).details, {
        section: "Service",
        key: "CPUWeight",
        value: "0",
      });
    }
  });
});
