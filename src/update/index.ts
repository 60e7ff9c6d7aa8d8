export { JobUpdate } from './builder.js';
export type { UpdateTarget } from './builder.js';
export { UPDATE_DEFAULTS, checkUpdateSpec, updateSettingsFromSpec, updateSpecFromSettings } from './settings.js';
export type { UpdateSpec, UpdateStrategyName } from './settings.js';
export { formatRanges, toRanges } from './ranges.js';
export type { InstanceSelection } from './ranges.js';
export {
  UPDATE_MESSAGES,
  checkJobUpdateRequest,
  checkUpdateSettings,
  validateJobUpdateRequest,
  validateUpdateSettings,
} from './validate.js';
export type { UpdatePolicy } from './validate.js';
