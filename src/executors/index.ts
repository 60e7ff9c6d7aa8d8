/** The scheduler's custom executor settings file (`-custom_executor_config`): types, loader, validation. */
export { parseExecutorConfig, loadExecutorConfig } from './parse.js';
export { ExecutorConfigError } from './error.js';
export {
  THERMOS_EXECUTOR_NAME,
  type CustomExecutor,
  type ExecutorCatalog,
  type ExecutorCommand,
  type ExecutorEnvVar,
  type ExecutorResource,
  type ExecutorResourceType,
  type ExecutorUri,
  type ExecutorVolumeMount,
} from './types.js';
