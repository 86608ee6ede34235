export {
  type ConvertOptions,
  convertUnit,
  type GeneratedService,
  type InstallInfo,
  type UnitInfo,
  type UnitType,
  unitInfo,
} from "./convert.js";
export {
  type GenerateOptions,
  type GenerateResult,
  generateAll,
  generateService,
  generateServiceFrom,
  loadEffectiveUnit,
  loadEffectiveUnitFrom,
  type OutputFile,
  outputFiles,
} from "./generate.js";
export type { ServiceEntry, ServiceSection } from "./service.js";
