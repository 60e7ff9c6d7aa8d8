/**
 * The executor settings file format: Aurora's entry object around a Mesos (v1, 1.6) ExecutorInfo
 * and Volume list, field for field. Messages aurora-ts never acts on (ContainerInfo, DiscoveryInfo,
 * reservations, ...) are accepted as objects and kept in `raw`, so a file Aurora accepts loads here.
 */
import type { MessageSpec } from './proto-json.js';

const ExecutorID: MessageSpec = { name: 'Mesos ExecutorID', fields: { value: { type: 'string', required: true } } };
const FrameworkID: MessageSpec = { name: 'Mesos FrameworkID', fields: { value: { type: 'string', required: true } } };

const Labels: MessageSpec = {
  name: 'Mesos Labels',
  fields: {
    labels: {
      repeated: true,
      type: {
        name: 'Mesos Label',
        fields: { key: { type: 'string', required: true }, value: { type: 'string' } },
      },
    },
  },
};

const DurationInfo: MessageSpec = {
  name: 'Mesos DurationInfo',
  fields: { nanoseconds: { type: 'int64', required: true } },
};

export const ENV_VAR_TYPES = { UNKNOWN: 0, VALUE: 1, SECRET: 2 } as const;

const Environment: MessageSpec = {
  name: 'Mesos Environment',
  fields: {
    variables: {
      repeated: true,
      type: {
        name: 'Mesos Environment.Variable',
        fields: {
          name: { type: 'string', required: true },
          type: { type: { enum: ENV_VAR_TYPES } },
          value: { type: 'string' },
          secret: { type: { opaque: 'Mesos Secret' } },
        },
      },
    },
  },
};

const URI: MessageSpec = {
  name: 'Mesos CommandInfo.URI',
  fields: {
    value: { type: 'string', required: true },
    executable: { type: 'bool' },
    extract: { type: 'bool' },
    cache: { type: 'bool' },
    output_file: { type: 'string' },
  },
};

const CommandInfo: MessageSpec = {
  name: 'Mesos CommandInfo',
  fields: {
    uris: { type: URI, repeated: true },
    environment: { type: Environment },
    shell: { type: 'bool' },
    value: { type: 'string' },
    arguments: { type: 'string', repeated: true },
    user: { type: 'string' },
  },
};

export const RESOURCE_TYPES = { SCALAR: 0, RANGES: 1, SET: 2, TEXT: 3 } as const;

const Resource: MessageSpec = {
  name: 'Mesos Resource',
  fields: {
    provider_id: { type: { opaque: 'Mesos ResourceProviderID' } },
    name: { type: 'string', required: true },
    type: { type: { enum: RESOURCE_TYPES }, required: true },
    scalar: { type: { name: 'Mesos Value.Scalar', fields: { value: { type: 'double', required: true } } } },
    ranges: {
      type: {
        name: 'Mesos Value.Ranges',
        fields: {
          range: {
            repeated: true,
            type: {
              name: 'Mesos Value.Range',
              fields: { begin: { type: 'uint64', required: true }, end: { type: 'uint64', required: true } },
            },
          },
        },
      },
    },
    set: { type: { name: 'Mesos Value.Set', fields: { item: { type: 'string', repeated: true } } } },
    role: { type: 'string' },
    allocation_info: { type: { opaque: 'Mesos Resource.AllocationInfo' } },
    reservation: { type: { opaque: 'Mesos Resource.ReservationInfo' } },
    reservations: { type: { opaque: 'Mesos Resource.ReservationInfo' }, repeated: true },
    disk: { type: { opaque: 'Mesos Resource.DiskInfo' } },
    revocable: { type: { opaque: 'Mesos Resource.RevocableInfo' } },
    shared: { type: { opaque: 'Mesos Resource.SharedInfo' } },
  },
};

export const EXECUTOR_TYPES = { UNKNOWN: 0, DEFAULT: 1, CUSTOM: 2 } as const;

export const ExecutorInfo: MessageSpec = {
  name: 'Mesos ExecutorInfo',
  fields: {
    type: { type: { enum: EXECUTOR_TYPES } },
    // Aurora replaces the id with a placeholder and then with `<task_prefix><task id>`.
    executor_id: { type: ExecutorID },
    framework_id: { type: FrameworkID },
    command: { type: CommandInfo },
    container: { type: { opaque: 'Mesos ContainerInfo' } },
    resources: { type: Resource, repeated: true },
    name: { type: 'string' },
    source: { type: 'string' },
    data: { type: 'bytes' },
    discovery: { type: { opaque: 'Mesos DiscoveryInfo' } },
    shutdown_grace_period: { type: DurationInfo },
    labels: { type: Labels },
  },
};

export const VOLUME_MODES = { RW: 1, RO: 2 } as const;

const Volume: MessageSpec = {
  name: 'Mesos Volume',
  fields: {
    mode: { type: { enum: VOLUME_MODES }, required: true },
    container_path: { type: 'string', required: true },
    host_path: { type: 'string' },
    image: { type: { opaque: 'Mesos Image' } },
    source: { type: { opaque: 'Mesos Volume.Source' } },
  },
};

/** One element of the top-level array (Aurora's ExecutorSettingsLoader.Schema). */
export const SettingsEntry: MessageSpec = {
  name: 'executor settings entry',
  fields: {
    executor: { type: ExecutorInfo, required: true },
    volume_mounts: { type: Volume, repeated: true },
    task_prefix: { type: 'string', required: true },
  },
};
