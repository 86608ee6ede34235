import { main, realPorts } from "../cli/qmctl.js";

process.exitCode = await main(process.argv.slice(2), realPorts(process.env), process.env);
