export * from "./dropins.js";
export * from "./fs.js";
export * from "./syntax.js";
export * from "./unit.js";
export * from "./values.js";
