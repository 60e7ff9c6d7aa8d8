/**
 * What a host name may be (RFC 1123 labels), in a module of its own with no imports: the CLI checks
 * `--hostname` with it at start-up without loading the scheduler.
 */
export const HOST_NAME_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
