import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatJson, formatText } from "./output.js";

describe("qmctl output", () => {
  it("prints JSON like Python's json.dumps(indent=4)", () => {
    assert.equal(
      formatJson({ a: "x", b: { c: true, d: [] }, e: {} }),
      '{\n    "a": "x",\n    "b": {\n        "c": true,\n        "d": []\n    },\n    "e": {}\n}\n',
    );
    assert.equal(formatJson({ k: "é€😀" }), '{\n    "k": "\\u00e9\\u20ac\\ud83d\\ude00"\n}\n');
  });

  it("prints key: value lines, nested maps indented", () => {
    assert.equal(formatText({ key: "value" }), "key: value\n");
    assert.equal(
      formatText({ path: "/p", sections: { Container: "x" } }),
      "path: /p\nsections:\n  Container: x\n",
    );
  });

  it("prints all-boolean maps as presence lines", () => {
    assert.equal(
      formatText({ "/dev/kvm": true, "/dev/fuse": false }),
      "/dev/kvm: present in QM\n/dev/fuse: missing in QM\n",
    );
  });
});
