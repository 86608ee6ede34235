import { main } from "../cli/app.js";
import { qmProgram } from "../cli/qm.js";

main(qmProgram);
