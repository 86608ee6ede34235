// OCI precreate hook (see man oci-qm-wayland-client-devices). Imports only src/hooks: it runs on every container start.
import { runHook } from "../hooks/runner.js";
import { waylandClientDevices } from "../hooks/wayland-client.js";

process.exitCode = runHook(waylandClientDevices);
