// OCI precreate hook (see man oci-qm-device-manager). Imports only src/hooks: it runs on every container start.
import { deviceManager } from "../hooks/device-manager.js";
import { runHook } from "../hooks/runner.js";

process.exitCode = runHook(deviceManager);
