import type { Command } from "../app.js";

export const doctorCommand: Command = {
  name: "doctor",
  summary: "inspect this host and report whether it can run a QM partition",
  run: () => ({ data: {}, text: () => "" }),
};
