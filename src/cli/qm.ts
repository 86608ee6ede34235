import { VERSION } from "../core/version.js";
import type { Program } from "./app.js";
import { doctorCommand } from "./commands/doctor.js";
import { dropinCommand } from "./commands/dropin.js";
import { ffiCommand } from "./commands/ffi.js";
import { imageCommand } from "./commands/image.js";
import {
  configCommand,
  logsCommand,
  restartCommand,
  startCommand,
  statusCommand,
  stopCommand,
} from "./commands/lifecycle.js";
import { setupCommand } from "./commands/setup.js";

export const qmProgram: Program = {
  name: "qm",
  version: VERSION,
  summary: "Manage a QM partition: an isolated Quality-Management partition with its own systemd and Podman.",
  commands: [
    doctorCommand,
    setupCommand,
    startCommand,
    stopCommand,
    restartCommand,
    statusCommand,
    logsCommand,
    configCommand,
    dropinCommand,
    imageCommand,
    ffiCommand,
  ],
  footer:
    "Exit status: 0 ok, 1 failure, 2 usage error, 3 invalid configuration, 4 host not ready, 5 a command qm ran failed.",
};
