import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { QmError } from "../core/errors.js";
import { controllerAgentConf, controllerDropIn, parseControllerAddress } from "./agent-conf.js";
import { controllerVerdict, parseAgentProbe, renderBluechi } from "./bluechi-status.js";

describe("--bluechi-controller", () => {
  test("socket paths and TCP addresses", () => {
    assert.deepEqual(parseControllerAddress("/run/bluechi/bluechi.sock"), {
      kind: "unix",
      socket: "/run/bluechi/bluechi.sock",
    });
    for (const [text, host, port] of [
      ["127.0.0.1", "127.0.0.1", 842],
      ["192.0.2.10:8420", "192.0.2.10", 8420],
      ["controller.example", "controller.example", 842],
      ["car-1:1", "car-1", 1],
      ["ctl:65535", "ctl", 65535],
      ["::1", "::1", 842],
      ["[::1]", "::1", 842],
      ["[fd00::10]:842", "fd00::10", 842],
      ["fd00::a:b", "fd00::a:b", 842],
    ] as const) {
      assert.deepEqual(parseControllerAddress(text), { kind: "tcp", host, port }, text);
    }
  });

  test("anything that could break a generated line is refused, naming the option", () => {
    for (const text of [
      "",
      "/bluechi.sock",
      "/run/blue chi/b.sock",
      "/run/bluechi/../etc/passwd",
      "/run/bluechi/",
      "/run/a:b/bluechi.sock",
      "/run/%h/bluechi.sock",
      "/run/bluechi/bluechi.sock\nVolume=/:/host",
      "host\nControllerPort=1",
      "host=1",
      "ctl:0",
      "ctl:65536",
      "ctl:08",
      "ctl:",
      "ctl:x",
      "[::1]:",
      "[not-v6]:842",
      "[1.2.3.4]:842",
      ":::1",
      "fe80::1%eth0",
      "[fe80::1%25eth0]:842",
      "-bad",
      "a..b",
    ]) {
      assert.throws(
        () => parseControllerAddress(text),
        (e: unknown) =>
          e instanceof QmError &&
          e.code === "QM_SETUP_BLUECHI_CONTROLLER" &&
          e.message.startsWith(`--bluechi-controller ${JSON.stringify(text)}: `),
        JSON.stringify(text),
      );
    }
  });

  test("the agent's settings and the partition's mount", () => {
    const unix = parseControllerAddress("/run/bluechi/bluechi.sock");
    assert.equal(
      controllerAgentConf(unix),
      "# Written by qm setup --bluechi-controller.\n[bluechi-agent]\nControllerAddress=unix:path=/run/bluechi-controller/bluechi.sock\n",
    );
    assert.equal(
      controllerDropIn(unix),
      "# Written by qm setup --bluechi-controller: the controller's socket directory, read-only.\n[Container]\nVolume=/run/bluechi:/run/bluechi-controller:ro\n",
    );
    const tcp = parseControllerAddress("[fd00::10]:8420");
    assert.equal(
      controllerAgentConf(tcp),
      "# Written by qm setup --bluechi-controller.\n[bluechi-agent]\nControllerHost=fd00::10\nControllerPort=8420\n",
    );
    assert.equal(
      controllerDropIn(tcp),
      "# Written by qm setup --bluechi-controller: the controller is reached over TCP, nothing to mount.\n",
    );
  });
});

describe("qm status: the partition as a BlueChi node", () => {
  test("the partition's answer is read as hostile text", () => {
    const conf = "[bluechi-agent]\nNodeName=car1\n[bluechi-agent]\nNodeName=qm.car1\n";
    assert.deepEqual(parseAgentProbe(`active\nconnected=0\n${conf}`), {
      agent: "active",
      connected: true,
      node: "qm.car1",
    });
    assert.deepEqual(parseAgentProbe("failed\nconnected=1\n"), {
      agent: "failed",
      connected: false,
      node: null,
    });
    assert.deepEqual(parseAgentProbe("active\nconnected=0\nNodeName=qm.x\u001b[2J\n"), {
      agent: "active",
      connected: true,
      node: null,
    });
    for (const bad of [
      "",
      "Active\nconnected=0",
      "active\nconnected=",
      "active\nconnected=1234",
      "a".repeat(33),
    ])
      assert.equal(parseAgentProbe(bad), null, JSON.stringify(bad));
    assert.deepEqual(parseAgentProbe(`${"a".repeat(32)}\nconnected=255`), {
      agent: "a".repeat(32),
      connected: false,
      node: null,
    });
  });

  test("the controller's verdict: online, offline, or no controller", () => {
    // What bluechictl 1.2.2 prints in each case.
    assert.equal(controllerVerdict(0, ""), "online");
    assert.equal(controllerVerdict(1, "Failed to issue method call: Node is offline\n"), "offline");
    assert.equal(
      controllerVerdict(
        1,
        "Failed to issue method call: Unknown object '/org/eclipse/bluechi/node/qm_2ex'.\n",
      ),
      "unknown",
    );
    assert.equal(
      controllerVerdict(
        1,
        "Failed to issue method call: The name org.eclipse.bluechi was not provided by any .service files\n",
      ),
      null,
    );
    assert.equal(controllerVerdict(1, ""), null);
  });

  test("one line", () => {
    assert.equal(
      renderBluechi({ node: "qm.car1", agent: "active", connected: true, controller: "online" }),
      "BlueChi: node qm.car1, agent active, connected; this host's controller says online",
    );
    assert.equal(
      renderBluechi({ node: null, agent: "failed", connected: false, controller: null }),
      "BlueChi: node (no valid NodeName), agent failed, not connected; no controller answers on this host",
    );
    assert.equal(
      renderBluechi({ node: "qm.car1", agent: "active", connected: false, controller: "unknown" }),
      "BlueChi: node qm.car1, agent active, not connected; this host's controller does not know the node (AllowedNodeNames=?)",
    );
  });
});
