import type { CheckResult, Report, Series, Status } from "./model.js";

/** Renderers for an FFI report: text for people, JSON (docs/ffi.md), JUnit XML for CI, one self-contained HTML. */

export type Format = "text" | "json" | "junit" | "html";
export const formats: readonly Format[] = ["text", "json", "junit", "html"];

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function observedLine(c: CheckResult): string {
  return Object.entries(c.observed)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(", ");
}

export function renderText(r: Report, verbose = false): string {
  const lines = [`qm ffi: ${r.checks.length} checks on ${r.partition.container} (pid ${r.partition.pid})`];
  for (const c of r.checks) {
    lines.push(`${c.status.padEnd(5)} ${c.id.padEnd(14)} ${seconds(c.durationMs).padStart(7)}  ${c.title}`);
    if (c.reason) lines.push(`      ${c.status === "SKIP" ? "skipped" : "why"}: ${c.reason}`);
    for (const s of c.series) {
      lines.push(
        `      ${s.title}: ${s.points.map((p) => `${p.label} ${fmt(p.value)} ${s.unit}`).join(", ")}`,
      );
    }
    if (verbose) {
      lines.push(`      observed: ${observedLine(c)}`);
      for (const cmd of c.commands) lines.push(`      $ ${cmd}`);
    }
  }
  const s = r.summary;
  lines.push(
    `${s.PASS} passed, ${s.FAIL} failed, ${s.SKIP} skipped, ${s.ERROR} errors in ${seconds(r.durationMs)}`,
  );
  return lines.join("\n");
}

export function renderJson(r: Report): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

export function escapeXml(s: string): string {
  return s
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;")
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, "");
}

export function renderJunit(r: Report): string {
  const s = r.summary;
  const cases = r.checks.map((c) => {
    const body = [
      c.status === "FAIL"
        ? `      <failure message="${escapeXml(c.reason)}" type="FFI">${escapeXml(c.reason)}</failure>`
        : "",
      c.status === "ERROR"
        ? `      <error message="${escapeXml(c.reason)}" type="FFI">${escapeXml(c.reason)}</error>`
        : "",
      c.status === "SKIP" ? `      <skipped message="${escapeXml(c.reason)}"/>` : "",
      `      <system-out>${escapeXml(
        [
          `requirement: ${c.requirement}`,
          `observed: ${observedLine(c)}`,
          ...c.commands.map((x) => `$ ${x}`),
        ].join("\n"),
      )}</system-out>`,
    ].filter(Boolean);
    return [
      `    <testcase classname="qm.ffi" name="${escapeXml(`${c.id} ${c.title}`)}" time="${(c.durationMs / 1000).toFixed(3)}">`,
      ...body,
      "    </testcase>",
    ].join("\n");
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="qm ffi" tests="${r.checks.length}" failures="${s.FAIL}" errors="${s.ERROR}" skipped="${s.SKIP}" time="${(r.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="qm.ffi" tests="${r.checks.length}" failures="${s.FAIL}" errors="${s.ERROR}" skipped="${s.SKIP}" time="${(r.durationMs / 1000).toFixed(3)}" timestamp="${escapeXml(r.startedAt)}">`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 10 ? 2 : 1);
}

const colours: Record<Status, string> = {
  PASS: "#1a7f37",
  FAIL: "#cf222e",
  SKIP: "#9a6700",
  ERROR: "#8250df",
};

/** A horizontal bar chart as inline SVG: one bar per point, scaled to the series' largest value. */
export function barChart(s: Series): string {
  const rowH = 26;
  const labelW = 190;
  const barW = 360;
  const height = s.points.length * rowH + 34;
  const max = Math.max(...s.points.map((p) => p.value), 0) || 1;
  const bars = s.points.map((p, i) => {
    const y = 28 + i * rowH;
    const w = Math.max(1, Math.round((p.value / max) * barW));
    return [
      `<text x="${labelW - 8}" y="${y + 14}" text-anchor="end">${escapeXml(p.label)}</text>`,
      `<rect x="${labelW}" y="${y}" width="${w}" height="18" fill="#0969da" rx="2"/>`,
      `<text x="${labelW + w + 6}" y="${y + 14}">${escapeXml(`${fmt(p.value)} ${s.unit}`)}</text>`,
    ].join("");
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + barW + 150}" height="${height}" role="img" aria-label="${escapeXml(s.title)}" font-family="sans-serif" font-size="12">`,
    `<text x="0" y="16" font-weight="bold">${escapeXml(s.title)}</text>`,
    ...bars,
    "</svg>",
  ].join("");
}

const css = `
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:70em;color:#1f2328;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em} .meta{color:#57606a;margin-bottom:1em}
.summary span{display:inline-block;margin-right:1em;font-weight:bold}
table{border-collapse:collapse;width:100%;margin:1em 0} th,td{border-bottom:1px solid #d0d7de;padding:.4em;text-align:left;vertical-align:top}
th{background:#f6f8fa} .st{font-weight:bold;color:#fff;border-radius:4px;padding:.1em .5em;font-size:.85em}
details{margin:.6em 0;border:1px solid #d0d7de;border-radius:6px;padding:.4em .8em}
summary{cursor:pointer} pre{background:#f6f8fa;padding:.6em;overflow-x:auto;font-size:.85em;white-space:pre-wrap}
.charts svg{display:block;margin:1em 0}
`;

function badge(s: Status): string {
  return `<span class="st" style="background:${colours[s]}">${s}</span>`;
}

export function renderHtml(r: Report): string {
  const s = r.summary;
  const rows = r.checks.map(
    (c) =>
      `<tr><td>${badge(c.status)}</td><td><a href="#${escapeXml(c.id)}">${escapeXml(c.id)}</a></td><td>${escapeXml(c.title)}</td><td>${escapeXml(c.reason)}</td><td>${seconds(c.durationMs)}</td></tr>`,
  );
  const charts = r.checks.flatMap((c) =>
    c.series.map((x) => barChart({ ...x, title: `${c.id}: ${x.title}` })),
  );
  const details = r.checks.map((c) =>
    [
      `<details id="${escapeXml(c.id)}"${c.status === "FAIL" || c.status === "ERROR" ? " open" : ""}>`,
      `<summary>${badge(c.status)} <b>${escapeXml(c.id)}</b> ${escapeXml(c.title)}</summary>`,
      `<p><b>Requirement:</b> ${escapeXml(c.requirement)}</p>`,
      c.reason
        ? `<p><b>${c.status === "SKIP" ? "Not applicable" : "Reason"}:</b> ${escapeXml(c.reason)}</p>`
        : "",
      `<p><b>Observed:</b></p><pre>${escapeXml(JSON.stringify(c.observed, null, 2))}</pre>`,
      `<p><b>Commands run:</b></p><pre>${escapeXml(c.commands.map((x) => `$ ${x}`).join("\n"))}</pre>`,
      "</details>",
    ].join("\n"),
  );
  return [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>qm ffi report ${escapeXml(r.startedAt)}</title>`,
    `<style>${css}</style></head><body>`,
    "<h1>Freedom from interference: qm ffi report</h1>",
    `<div class="meta">${escapeXml(r.startedAt)} · qm ${escapeXml(r.version)} · kernel ${escapeXml(r.host.kernel)} · cgroup ${escapeXml(r.host.cgroup)} · SELinux ${r.host.selinux ? "on" : "off"} · ${r.host.cpus} CPUs · ${(r.host.memTotalBytes / 2 ** 30).toFixed(1)} GiB RAM · partition ${escapeXml(r.partition.container)} pid ${r.partition.pid} · ${seconds(r.durationMs)}</div>`,
    `<div class="summary"><span style="color:${colours.PASS}">${s.PASS} passed</span><span style="color:${colours.FAIL}">${s.FAIL} failed</span><span style="color:${colours.SKIP}">${s.SKIP} skipped</span><span style="color:${colours.ERROR}">${s.ERROR} errors</span></div>`,
    "<table><thead><tr><th>Status</th><th>ID</th><th>Check</th><th>Reason</th><th>Time</th></tr></thead><tbody>",
    ...rows,
    "</tbody></table>",
    charts.length ? `<h2>Measurements</h2><div class="charts">${charts.join("\n")}</div>` : "",
    "<h2>Evidence per check</h2>",
    ...details,
    "</body></html>",
    "",
  ].join("\n");
}

export function render(r: Report, format: Format): string {
  switch (format) {
    case "json":
      return renderJson(r);
    case "junit":
      return renderJunit(r);
    case "html":
      return renderHtml(r);
    default:
      return `${renderText(r, true)}\n`;
  }
}
