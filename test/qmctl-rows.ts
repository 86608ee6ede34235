/**
 * Upstream's qmctl error table (reference §3.4 and tests/qmctl-test/qmctl_error_handling.sh): arguments, exit
 * status, the stream the message goes to, and a pattern it must match. Shared by the tests against a stand-in
 * container and against a live partition.
 */
export const errorRows: [string[], number, "stdout" | "stderr" | null, RegExp | null][] = [
  [[], 22, "stderr", /requires a subcommand/],
  [["invalid_command"], 2, "stderr", /invalid choice/],
  [["exec"], 22, "stderr", /No command provided/],
  [["execin"], 1, "stderr", /No command provided/],
  [["execin", "some_container"], 1, "stderr", /No command provided/],
  [["cp"], 2, "stderr", /required/],
  [["cp", "/some/path"], 2, "stderr", /required/],
  [["cp", "/some/path", "invalid:/path/format"], 1, "stderr", /Provide.*qm.*only in source or destination/],
  [["cp", "qm:/path1", "qm:/path2"], 1, "stderr", /Provide.*qm.*only in source or destination/],
  [["show", "invalid_show_command"], 2, "stderr", /invalid choice/],
  [["--help"], 0, "stdout", /usage/],
  [["exec", "--json"], 22, null, null],
  [["-v", "exec"], 22, "stderr", /No command provided/],
  [["exec", ""], 1, "stderr", /Failed to execute/],
  [["exec", "/definitely/nonexistent/command/12345"], 1, "stderr", /not found/],
  [["execin", "nonexistent_nested_container", "echo", "hello"], 1, "stderr", /failed/],
  [
    ["cp", `/tmp/qmctl_test_nonexistent_${process.hrtime.bigint()}`, "qm:/tmp/"],
    1,
    "stderr",
    /could not be found/,
  ],
  // crun (upstream's CI) reports ENAMETOOLONG; runc, the runtime usable on a cgroup v1 host, reports
  // the lookup failure. qmctl passes either through unchanged.
  [
    ["exec", "a".repeat(1000)],
    1,
    "stderr",
    /Failed to execute.*(File name too long|executable file not found)/s,
  ],
  [["exec", "command_with_$pecial_ch@rs_!@#$%^&*()"], 1, "stderr", /not found/],
  [["show", "--json", "nonexistent_subcommand"], 2, "stderr", /invalid choice/],
];
