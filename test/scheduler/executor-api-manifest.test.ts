/**
 * The Mesos messages aurora-ts defines (src/mesos/*.proto, loaded from src/mesos/descriptor.ts)
 * against Apache Mesos' own .proto files: every field's number, type and label, and every enum
 * value, must be as Mesos has them (test/fixtures/mesos-v1-manifest.json was read from those files), so the bytes and
 * JSON names a real executor sends mean the same thing here.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { mesosRoot } from '../../src/mesos/index.js';

interface ManifestType {
  kind: 'message' | 'enum';
  fields: Record<string, { id: number; label?: string; type?: string }>;
}
const manifest = JSON.parse(readFileSync(new URL('../fixtures/mesos-v1-manifest.json', import.meta.url), 'utf8')) as { types: Record<string, ManifestType> };

function definedTypes(ns: protobuf.NamespaceBase, out: (protobuf.Type | protobuf.Enum)[] = []): (protobuf.Type | protobuf.Enum)[] {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type || nested instanceof protobuf.Enum) out.push(nested);
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) definedTypes(nested as protobuf.NamespaceBase, out);
  }
  return out;
}

const lastName = (name: string): string => name.split('.').pop()!;

describe('Mesos v1 schema', () => {
  const types = definedTypes(mesosRoot);
  it('defines the messages the executor API needs', () => {
    expect(types.map((t) => t.fullName.slice(1))).toEqual(expect.arrayContaining(['mesos.v1.executor.Call', 'mesos.v1.executor.Event', 'mesos.v1.TaskInfo', 'mesos.v1.TaskStatus']));
  });

  it.each(types.map((t) => [t.fullName.slice(1), t] as const))('%s matches Apache Mesos field by field', (name, type) => {
    const theirs = manifest.types[name];
    expect(theirs, `${name} is not in Mesos' files`).toBeDefined();
    if (type instanceof protobuf.Enum) {
      expect(theirs!.kind).toBe('enum');
      for (const [value, id] of Object.entries(type.values)) expect({ value, id }).toEqual({ value, id: theirs!.fields[value]?.id });
      return;
    }
    expect(theirs!.kind).toBe('message');
    for (const field of type.fieldsArray) {
      const label = field.repeated ? 'repeated' : field.required ? 'required' : 'optional';
      const want = theirs!.fields[field.name];
      expect({ field: field.name, id: field.id, label, type: lastName(field.type) }).toEqual({
        field: field.name,
        id: want?.id,
        label: want?.label,
        type: want?.type === undefined ? undefined : lastName(want.type),
      });
    }
  });
});
