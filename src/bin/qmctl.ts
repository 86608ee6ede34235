import { main, realPorts } from "../qmctl/main.js";

process.exitCode = await main(process.argv.slice(2), realPorts(process.env), process.env);
