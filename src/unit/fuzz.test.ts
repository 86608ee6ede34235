// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in these strings is unit-file syntax left for systemd, not a template.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QmError } from "../core/errors.js";
import { parseUnit, serializeUnit } from "./syntax.js";
import { Unit } from "./unit.js";
import { escapeWords, splitWords } from "./values.js";

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  "[Container]",
  "[Service]",
  "[",
  "]",
  "Image=x",
  "Exec=a \"b c\" 'd'",
  "Key=",
  "=",
  "#c",
  ";c",
  "\\",
  "\r",
  " ",
  "\t",
  "%t",
  "${V}",
  "é",
  "\\x41",
  "\\q",
  '"',
  "'",
  "Volume=a:b",
  "\u0000",
];

function randomText(next: () => number): string {
  const lines: string[] = [];
  const n = Math.floor(next() * 12);
  for (let i = 0; i < n; i++) {
    let line = "";
    const parts = Math.floor(next() * 4);
    for (let j = 0; j < parts; j++) line += PIECES[Math.floor(next() * PIECES.length)];
    lines.push(line);
  }
  return lines.join(next() < 0.5 ? "\n" : "\r\n");
}

function mutate(text: string, next: () => number): string {
  const chars = [...text];
  const edits = 1 + Math.floor(next() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * (chars.length + 1));
    const r = next();
    if (r < 0.4) chars.splice(at, 1);
    else if (r < 0.8) chars.splice(at, 0, PIECES[Math.floor(next() * PIECES.length)] as string);
    else chars.splice(at, 0, String.fromCharCode(Math.floor(next() * 128)));
  }
  return chars.join("");
}

const SEED_UNIT =
  '[Unit]\nDescription=x \\\n  y\n\n[Container]\nImage=i\nExec=/bin/sh -c "echo hi"\nVolume=${V}:/v\n[Install]\nWantedBy=default.target\n';

function check(text: string): void {
  let doc: ReturnType<typeof parseUnit>;
  try {
    doc = parseUnit(text, "fuzz.container");
  } catch (error) {
    assert.ok(error instanceof QmError, `non-QmError for ${JSON.stringify(text)}`);
    assert.equal(error.location?.file, "fuzz.container");
    assert.ok((error.location?.line ?? 0) >= 1);
    return;
  }
  assert.equal(serializeUnit(doc), text);
  const unit = Unit.fromDocuments("fuzz.container", "fuzz.container", [doc]);
  for (const s of unit.sections) {
    for (const e of s.entries) {
      try {
        const words = unit.words(s.name, e.key);
        assert.deepEqual(splitWords(escapeWords(words)), words);
      } catch (error) {
        assert.ok(error instanceof QmError && error.location !== undefined, String(error));
      }
    }
  }
}

describe("fuzz: parse never crashes, errors are located, round-trip holds", () => {
  it("random and mutated unit files (seed 0x5eed, 3000 cases)", () => {
    const next = rng(0x5eed);
    for (let i = 0; i < 1500; i++) check(randomText(next));
    for (let i = 0; i < 1500; i++) check(mutate(SEED_UNIT, next));
  });
});
