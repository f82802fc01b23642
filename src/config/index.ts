export { IniParseError, parseIni, type IniAssignment, type IniFile, type IniSection } from './ini.js';
export {
  ConfigError,
  configWith,
  databaseUrl,
  defaultConfig,
  dumpConfig,
  loadConfig,
  normalizeSectionName,
  type LoadOptions,
  type LoadResult,
  type Overrides,
} from './load.js';
export { schema, type Config, type Opt, type Schema } from './schema.js';

