/** A small valid settings entry that tests change one field at a time. */
export function baseEntry(): Record<string, any> {
  return {
    executor: {
      name: 'x',
      command: {
        value: 'run.sh',
        shell: false,
        arguments: ['run.sh', '-v'],
        uris: [{ value: '/dist/run.sh', executable: true, extract: false, cache: false }],
      },
      resources: [
        { name: 'cpus', type: 'SCALAR', scalar: { value: 0.25 } },
        { name: 'mem', type: 'SCALAR', scalar: { value: 128 } },
      ],
    },
    volume_mounts: [{ mode: 'RO', container_path: '/c', host_path: '/h' }],
    task_prefix: 'x-',
  };
}

/** JSON text of a one-entry file whose base entry went through `change`. */
export function withEntry(change: (entry: Record<string, any>) => void): string {
  const entry = baseEntry();
  change(entry);
  return JSON.stringify([entry]);
}
