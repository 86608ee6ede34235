export {
  type ConvertOptions,
  containerName,
  convertUnitFile,
  type UnitInfo,
  type UnitType,
} from "./convert.js";
export {
  type GeneratedService,
  type GenerateOptions,
  type GenerateResult,
  generateAll,
  generateService,
  generateServiceFrom,
  type InstallInfo,
  loadEffectiveUnit,
  loadEffectiveUnitFrom,
  type OutputFile,
  outputFiles,
  type ServiceEntry,
  type ServiceSection,
} from "./generate.js";
