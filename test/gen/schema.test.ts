/**
 * The runtime schema the codecs and the client are driven by (src/gen/schema.ts) and the exported
 * constants (src/gen/types.ts) must match the manifest extracted from Apache Aurora's own IDL.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffManifests, type Manifest } from '../../scripts/idl-manifest.mjs';
import { SCHEMA } from '../../src/gen/schema.js';
import * as types from '../../src/gen/types.js';
import { typeName, type FieldDef } from '../../src/protocol/schema.js';

const manifest = JSON.parse(readFileSync(new URL('../../thrift/aurora-manifest.json', import.meta.url), 'utf8')) as Manifest;

const wireType = (field: FieldDef) => typeName(field.type).replace(/\bbyte\b/g, 'i8');
// Keys in the manifest's (sorted) order: its differ compares entries as JSON text.
const field = (f: FieldDef) => ({
  ...(f.default !== undefined ? { default: f.default } : {}),
  id: f.id,
  name: f.name,
  requiredness: f.req,
  type: wireType(f),
});

/** The schema restated in the manifest's shape, so the manifest's own differ can compare them. */
function schemaAsManifest(): Manifest {
  const services: Manifest['services'] = {};
  for (const svc of SCHEMA.services) {
    services[svc.name] = {
      extends: svc.extends ?? null,
      methods: Object.fromEntries(
        svc.methods.map((m) => [m, { args: SCHEMA.methods[m]!.args.map(field), returns: 'Response', oneway: false, throws: [] }]),
      ),
    };
  }
  return {
    namespaces: manifest.namespaces,
    typedefs: {},
    enums: SCHEMA.enums,
    consts: manifest.consts,
    structs: Object.fromEntries(
      Object.values(SCHEMA.structs).map((s) => [s.name, { kind: s.kind, fields: [...s.fields].sort((a, b) => a.id - b.id).map(field) }]),
    ),
    services,
  };
}

describe('generated schema', () => {
  it('matches Aurora\'s IDL manifest in every struct, field, enum and method', () => {
    const m = schemaAsManifest();
    // Union members are optional on the wire whatever the IDL says.
    for (const s of Object.values(m.structs)) {
      if (s.kind === 'union') for (const f of s.fields) f.requiredness = 'optional';
    }
    expect(diffManifests(manifest, m)).toEqual([]);
  });

  it('knows which Result field carries each method\'s payload', () => {
    expect(SCHEMA.methods.getTasksWithoutConfigs!.result).toBe('scheduleStatusResult');
    expect(SCHEMA.methods.getJobSummary!.result).toBe('jobSummaryResult');
    expect(SCHEMA.methods.slaDrainHosts!.result).toBe('drainHostsResult');
    expect(SCHEMA.methods.startJobUpdate!.result).toBe('startJobUpdateResult');
    expect(SCHEMA.methods.createJob!.result).toBeUndefined();
    const resultFields = new Set(SCHEMA.structs.Result!.fields.map((f) => f.name));
    for (const m of Object.values(SCHEMA.methods)) if (m.result) expect(resultFields.has(m.result)).toBe(true);
  });

  it('exports Aurora\'s constants with their values', () => {
    const consts = manifest.consts;
    for (const name of ['ACTIVE_STATES', 'TERMINAL_STATES', 'LIVE_STATES', 'SLAVE_ASSIGNED_STATES', 'ACTIVE_JOB_UPDATE_STATES']) {
      const value = (types as unknown as Record<string, ReadonlySet<number>>)[name]!;
      expect([...value].sort((a, b) => a - b), name).toEqual(consts[name]!.value);
    }
    expect(types.GOOD_IDENTIFIER_PATTERN).toBe(consts.GOOD_IDENTIFIER_PATTERN!.value);
    expect(types.GOOD_IDENTIFIER_PATTERN).toBe('^[\\w\\-\\.]+$');
    expect(types.AURORA_EXECUTOR_NAME).toBe('AuroraExecutor');
    expect(types.BYPASS_LEADER_REDIRECT_HEADER_NAME).toBe('Bypass-Leader-Redirect');
    expect(types.ScheduleStatus.RUNNING).toBe(manifest.enums.ScheduleStatus.RUNNING);
  });
});
