#!/usr/bin/env node
// Generates src/gen/types.ts (idiomatic TypeScript types, enums, constants) and src/gen/schema.ts
// (the runtime schema the codecs and the client are driven by) from thrift/api.thrift, then runs
// scripts/gen-thrift.mjs for Apache Thrift's own JS output (the reference implementation in tests).
// Also compiles the Mesos .proto files of src/mesos/ into src/mesos/descriptor.ts (protobufjs JSON),
// so neither the agent nor the executor kit loads a .proto parser at run time.
//
//   node scripts/gen.mjs            regenerate everything
//   node scripts/gen.mjs --check    exit 1 if any committed generated file is stale (CI)
//   node scripts/gen.mjs --idl F    read another IDL (e.g. Aurora's own file) instead of thrift/api.thrift
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import thriftParser from '@creditkarma/thrift-parser';
import protobuf from 'protobufjs';
import { ALWAYS_IN_REPLIES, CLIENT_NOTES, RESULT_MAY_BE_ABSENT } from '../thrift/api-notes.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const check = args.includes('--check');
const idlIndex = args.indexOf('--idl');
const idlPath = idlIndex >= 0 ? resolve(args[idlIndex + 1]) : join(root, 'thrift/api.thrift');

// The `Result` union field for methods whose name does not give it (lowerFirst(method) + 'Result'),
// as Aurora's SchedulerThriftInterface fills them.
const RESULT_FIELD_EXCEPTIONS = {
  getTasksStatus: 'scheduleStatusResult',
  getTasksWithoutConfigs: 'scheduleStatusResult',
  getRoleSummary: 'roleSummaryResult',
  getJobSummary: 'jobSummaryResult',
  getConfigSummary: 'configSummaryResult',
  getTierConfigs: 'getTierConfigResult',
  populateJobConfig: 'populateJobResult',
  slaDrainHosts: 'drainHostsResult',
};

/**
 * The comment right above a node in the IDL source (`//` lines or one `/** *\/` block, with no blank
 * line between), or undefined. Read from the text: the parser attaches some comments to the
 * declaration before the one they describe.
 */
function docAbove(lines, lineOf, node) {
  // The parser's line numbers drift; its character index does not.
  let i = lineOf(node.name.loc.start.index) - 1;
  const out = [];
  if (lines[i]?.trim().endsWith('*/')) {
    for (; i >= 0; i--) {
      const line = lines[i].trim();
      out.unshift(line.replace(/^\/\*\*?/, '').replace(/\*+\/$/, '').replace(/^\*+ ?/, '').trim());
      if (line.startsWith('/*')) break;
    }
  } else {
    for (; i >= 0 && lines[i].trim().startsWith('//'); i--) out.unshift(lines[i].trim().replace(/^\/\/ ?/, ''));
  }
  const text = out.join('\n').trim();
  return text === '' ? undefined : text;
}

export function loadIdl(path) {
  const source = readFileSync(path, 'utf8');
  const lines = source.split('\n');
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (index) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const docOf = (node) => docAbove(lines, lineOf, node);
  const doc = thriftParser.parse(source);
  if (doc.type !== 'ThriftDocument') {
    throw new Error(`cannot parse ${path}: ${doc.errors.map((e) => `${e.message} (line ${e.loc.start.line})`).join('; ')}`);
  }
  const body = doc.body;
  const enums = new Map();
  const enumDocs = new Map();
  const typedefs = new Map();
  for (const d of body) {
    if (d.type === 'EnumDefinition') {
      let next = 0;
      const members = [];
      for (const m of d.members) {
        const value = m.initializer ? Number(m.initializer.value.value) : next;
        next = value + 1;
        members.push([m.name.value, value]);
      }
      enums.set(d.name.value, members);
      enumDocs.set(d.name.value, docOf(d));
    } else if (d.type === 'TypedefDefinition') {
      typedefs.set(d.name.value, d.definitionType);
    }
  }
  const structNames = new Set(
    body.filter((d) => ['StructDefinition', 'UnionDefinition', 'ExceptionDefinition'].includes(d.type)).map((d) => d.name.value),
  );

  function typeRef(ft) {
    switch (ft.type) {
      case 'BoolKeyword': return 'bool';
      case 'ByteKeyword': case 'I8Keyword': return 'byte';
      case 'I16Keyword': return 'i16';
      case 'I32Keyword': return 'i32';
      case 'I64Keyword': return 'i64';
      case 'DoubleKeyword': return 'double';
      case 'StringKeyword': return 'string';
      case 'BinaryKeyword': return 'binary';
      case 'ListType': return { list: typeRef(ft.valueType) };
      case 'SetType': return { set: typeRef(ft.valueType) };
      case 'MapType': return { map: [typeRef(ft.keyType), typeRef(ft.valueType)] };
      case 'Identifier': {
        const name = ft.value;
        if (typedefs.has(name)) return typeRef(typedefs.get(name));
        if (enums.has(name)) return { enum: name };
        if (structNames.has(name)) return { struct: name };
        throw new Error(`unknown type ${name}`);
      }
      default: throw new Error(`unsupported type node ${ft.type}`);
    }
  }

  function value(node, type) {
    if (!node) return undefined;
    switch (node.type) {
      // Thrift passes string literals through to generated sources, which then read escapes once.
      case 'StringLiteral': return node.value.replace(/\\(.)/g, '$1');
      case 'IntConstant': return Number(node.value.value);
      case 'DoubleConstant': return Number(node.value.value);
      case 'BooleanLiteral': return node.value;
      case 'ConstList': {
        const elem = typeof type === 'object' && ('list' in type ? type.list : 'set' in type ? type.set : undefined);
        return node.elements.map((e) => value(e, elem));
      }
      case 'ConstMap': {
        if (typeof type === 'object' && 'struct' in type) {
          const def = structs.find((s) => s.name === type.struct);
          const out = {};
          for (const p of node.properties) {
            const f = def.fields.find((x) => x.name === p.name.value);
            out[p.name.value] = value(p.initializer, f.type);
          }
          return out;
        }
        return Object.fromEntries(node.properties.map((p) => [value(p.name), value(p.initializer)]));
      }
      case 'Identifier': {
        if (constValues.has(node.value)) return constValues.get(node.value);
        const [enumName, member] = node.value.split('.');
        const m = enums.get(enumName)?.find(([n]) => n === member);
        if (!m) throw new Error(`unknown constant ${node.value}`);
        return m[1];
      }
      default: throw new Error(`unsupported value node ${node.type}`);
    }
  }

  const fieldsOf = (fields) =>
    fields.map((f) => {
      const type = typeRef(f.fieldType);
      return {
        id: f.fieldID.value,
        name: f.name.value,
        type,
        req: f.requiredness ?? 'default',
        rawDefault: f.defaultValue,
        doc: docOf(f),
      };
    });

  const structs = body
    .filter((d) => ['StructDefinition', 'UnionDefinition', 'ExceptionDefinition'].includes(d.type))
    .map((d) => ({
      name: d.name.value,
      kind: d.type === 'UnionDefinition' ? 'union' : d.type === 'ExceptionDefinition' ? 'exception' : 'struct',
      fields: fieldsOf(d.fields),
      doc: docOf(d),
    }));
  for (const s of structs) {
    for (const f of s.fields) {
      if (f.rawDefault) f.default = value(f.rawDefault, f.type);
      delete f.rawDefault;
    }
  }

  const services = body.filter((d) => d.type === 'ServiceDefinition').map((d) => ({
    name: d.name.value,
    extends: d.extends ? d.extends.value : undefined,
    functions: d.functions.map((fn) => ({
      name: fn.name.value,
      // An argument on the function's own line has no comment of its own (the one above is the function's).
      args: fieldsOf(fn.fields).map(({ rawDefault, ...f }, i) => (lineOf(fn.fields[i].name.loc.start.index) === lineOf(fn.name.loc.start.index) ? { ...f, doc: undefined } : f)),
      returns: typeRef(fn.returnType),
      doc: docOf(fn),
    })),
  }));

  const constValues = new Map();
  const constants = body.filter((d) => d.type === 'ConstDefinition').map((d) => {
    const type = typeRef(d.fieldType);
    const v = value(d.initializer, type);
    constValues.set(d.name.value, v);
    return { name: d.name.value, type, value: v, doc: docOf(d) };
  });

  markAlwaysInReplies(structs);
  return { enums, enumDocs, structs, services, constants };
}

/** Marks `always` the fields thrift/api-notes.mjs says Aurora always sets in replies; an unknown name is an error. */
function markAlwaysInReplies(structs) {
  for (const [struct, fields] of Object.entries(ALWAYS_IN_REPLIES)) {
    const s = structs.find((x) => x.name === struct);
    if (!s) throw new Error(`thrift/api-notes.mjs: ALWAYS_IN_REPLIES names unknown struct ${struct}`);
    for (const name of Object.keys(fields)) {
      const f = s.fields.find((x) => x.name === name);
      if (!f) throw new Error(`thrift/api-notes.mjs: ALWAYS_IN_REPLIES names unknown field ${struct}.${name}`);
      f.always = true;
    }
  }
}

// Output types (what decoding returns) use arrays for sets; input types (what the client accepts)
// take arrays or Sets, recursively, as `<Name>Input`.
function tsType(t, mode, needsInput) {
  if (typeof t === 'string') {
    return { bool: 'boolean', byte: 'number', i16: 'number', i32: 'number', i64: 'number', double: 'number', string: 'string', binary: 'Uint8Array' }[t];
  }
  if ('enum' in t) return t.enum;
  if ('struct' in t) return mode === 'input' && needsInput?.has(t.struct) ? `${t.struct}Input` : t.struct;
  if ('list' in t) return `${wrap(tsType(t.list, mode, needsInput))}[]`;
  if ('set' in t) {
    const elem = tsType(t.set, mode, needsInput);
    return mode === 'input' ? `${wrap(elem)}[] | ReadonlySet<${elem}>` : `${wrap(elem)}[]`;
  }
  return `Record<${tsType(t.map[0], mode) === 'string' ? 'string' : 'number'}, ${tsType(t.map[1], mode, needsInput)}>`;
}

/**
 * Structs whose input form differs from their output form, directly or through a field: they contain
 * a set (inputs take arrays or Sets), a field Aurora always sets in replies (non-optional in output
 * only), or a field with an IDL default (always there after decoding, optional in input).
 */
export function structsNeedingInput(idl) {
  const byName = new Map(idl.structs.map((s) => [s.name, s]));
  const memo = new Map();
  const visit = (name, seen) => {
    if (memo.has(name)) return memo.get(name);
    if (seen.has(name)) return false;
    seen.add(name);
    const typeNeeds = (t) => typeof t === 'object' && ('set' in t || ('struct' in t && visit(t.struct, seen)) || ('list' in t && typeNeeds(t.list)) || ('map' in t && typeNeeds(t.map[1])));
    const result = byName.get(name).fields.some((f) => f.always || f.default !== undefined || typeNeeds(f.type));
    memo.set(name, result);
    return result;
  };
  for (const s of idl.structs) visit(s.name, new Set());
  return new Set([...memo].filter(([, v]) => v).map(([k]) => k));
}
const wrap = (s) => (/[ |&]/.test(s) ? `(${s})` : s);

function schemaTypeLiteral(t) {
  if (typeof t === 'string') return `'${t}'`;
  if ('enum' in t) return `{ enum: '${t.enum}' }`;
  if ('struct' in t) return `{ struct: '${t.struct}' }`;
  if ('list' in t) return `{ list: ${schemaTypeLiteral(t.list)} }`;
  if ('set' in t) return `{ set: ${schemaTypeLiteral(t.set)} }`;
  return `{ map: [${schemaTypeLiteral(t.map[0])}, ${schemaTypeLiteral(t.map[1])}] }`;
}

function fieldLiteral(f) {
  const parts = [`id: ${f.id}`, `name: '${f.name}'`, `type: ${schemaTypeLiteral(f.type)}`, `req: '${f.req}'`];
  if (f.default !== undefined) parts.push(`default: ${JSON.stringify(f.default)}`);
  if (f.always) parts.push('always: true');
  return `{ ${parts.join(', ')} }`;
}

const HEADER = (what) =>
  `// Generated by scripts/gen.mjs from thrift/api.thrift: ${what}. Do not edit; run \`npm run gen\`.\n/* eslint-disable */\n`;

/** A JSDoc block at `indent`, or '' without text. */
function jsdoc(text, indent = '') {
  if (!text) return '';
  const lines = text.replaceAll('*/', '*\u2215').split('\n');
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} *${l ? ` ${l}` : ''}`).join('\n')}\n${indent} */\n`;
}

export function renderTypes(idl) {
  const out = [HEADER('idiomatic TypeScript types, enums and constants')];
  out.push(`// i64 values are JavaScript numbers: decoding a value outside Number.MIN_SAFE_INTEGER..MAX_SAFE_INTEGER\n`);
  out.push(`// throws AuroraRangeError instead of rounding. Sets decode as arrays; inputs accept arrays or Sets.\n`);
  out.push(`// Output types (what replies decode to) make the fields Aurora always sets non-optional (the decoder\n`);
  out.push(`// checks them; thrift/api-notes.mjs says why each is always set); <Name>Input types keep every field optional.\n\n`);
  out.push(`/**\n * Exactly one member of \`T\` set: the type of an IDL union. A value with no member or with several\n * does not compile (and is refused at run time before anything is sent).\n */\n`);
  out.push(`export type OneOf<T> = { [K in keyof T]: { [P in K]-?: T[P] } & { [P in Exclude<keyof T, K>]?: never } }[keyof T];\n\n`);
  for (const [name, members] of idl.enums) {
    out.push(`${jsdoc(idl.enumDocs.get(name))}export enum ${name} {\n${members.map(([m, v]) => `  ${m} = ${v},`).join('\n')}\n}\n\n`);
  }
  const needsInput = structsNeedingInput(idl);
  for (const s of idl.structs) {
    const fields = (mode) =>
      s.fields
        .map((f) => {
          const present = s.kind === 'union' || f.req === 'required' || (mode === 'output' && (f.always || f.default !== undefined));
          return `${jsdoc(f.doc, '  ')}  ${f.name}${present ? '' : '?'}: ${tsType(f.type, mode, needsInput)};`;
        })
        .join('\n');
    const declare = (typeName, mode) =>
      s.kind === 'union' ? `export type ${typeName} = OneOf<{\n${fields(mode)}\n}>;\n` : `export interface ${typeName} {\n${fields(mode)}\n}\n`;
    const doc = [s.doc, s.kind === 'union' ? 'A union: exactly one member is set.' : undefined].filter(Boolean).join('\n');
    out.push(`${jsdoc(doc)}${declare(s.name, 'output')}`);
    if (needsInput.has(s.name)) {
      out.push(`/** ${s.name} as the client accepts it: every field optional, sets as arrays or Sets. */\n${declare(`${s.name}Input`, 'input')}\n`);
    } else {
      out.push(`export type ${s.name}Input = ${s.name};\n\n`);
    }
  }
  for (const c of idl.constants) {
    let rendered;
    if (typeof c.type === 'object' && 'set' in c.type) {
      const elem = tsType(c.type.set, 'output');
      rendered = `new Set<${elem}>([${c.value.map((v) => (typeof c.type.set === 'object' && 'enum' in c.type.set ? `${c.type.set.enum}.${idl.enums.get(c.type.set.enum).find(([, n]) => n === v)[0]}` : JSON.stringify(v))).join(', ')}]) as ReadonlySet<${elem}>`;
    } else {
      rendered = JSON.stringify(c.value);
    }
    out.push(`${jsdoc(c.doc)}export const ${c.name} = ${rendered};\n`);
  }
  return out.join('');
}

export function methodDefs(idl) {
  const resultUnion = idl.structs.find((s) => s.name === 'Result');
  const resultFields = new Set(resultUnion.fields.map((f) => f.name));
  const methods = [];
  for (const svc of idl.services) {
    for (const fn of svc.functions) {
      let result = RESULT_FIELD_EXCEPTIONS[fn.name] ?? `${fn.name[0].toLowerCase()}${fn.name.slice(1)}Result`;
      if (!resultFields.has(result)) result = undefined;
      methods.push({ name: fn.name, service: svc.name, args: fn.args, result, doc: fn.doc });
    }
  }
  return methods;
}

export function renderSchema(idl) {
  const out = [HEADER('the runtime schema (field ids, types, methods)')];
  out.push(`import type { ApiSchema } from '../protocol/schema.js';\n\n`);
  out.push(`export const SCHEMA: ApiSchema = {\n  structs: {\n`);
  for (const s of idl.structs) {
    out.push(`    ${s.name}: { name: '${s.name}', kind: '${s.kind}', fields: [\n${s.fields.map((f) => `      ${fieldLiteral(f)},`).join('\n')}\n    ] },\n`);
  }
  out.push(`  },\n  enums: {\n`);
  for (const [name, members] of idl.enums) {
    out.push(`    ${name}: { ${members.map(([m, v]) => `${m}: ${v}`).join(', ')} },\n`);
  }
  out.push(`  },\n  methods: {\n`);
  for (const m of methodDefs(idl)) {
    const optional = RESULT_MAY_BE_ABSENT.has(m.name) ? ', resultOptional: true' : '';
    out.push(`    ${m.name}: { name: '${m.name}', service: '${m.service}', result: ${m.result ? `'${m.result}'` : 'undefined'}${optional}, args: [${m.args.map(fieldLiteral).join(', ')}] },\n`);
  }
  out.push(`  },\n  services: [\n`);
  for (const svc of idl.services) {
    out.push(`    { name: '${svc.name}', extends: ${svc.extends ? `'${svc.extends}'` : 'undefined'}, methods: [${svc.functions.map((f) => `'${f.name}'`).join(', ')}] },\n`);
  }
  out.push(`  ],\n};\n`);
  return out.join('');
}

/** The typed method table: `AuroraApi` maps each RPC to its arguments and its result payload type. */
export function renderApi(idl) {
  const out = [HEADER('typed signatures of the 45 RPCs')];
  const names = new Set();
  const methods = methodDefs(idl);
  for (const name of [...Object.keys(CLIENT_NOTES), ...RESULT_MAY_BE_ABSENT]) {
    if (!methods.some((m) => m.name === name)) throw new Error(`thrift/api-notes.mjs names unknown RPC ${name}`);
  }
  const needsInput = structsNeedingInput(idl);
  for (const m of methods) {
    for (const a of m.args) collectTypeNames(a.type, names, needsInput);
  }
  const resultUnion = idl.structs.find((s) => s.name === 'Result');
  for (const m of methods) {
    if (m.result) collectTypeNames(resultUnion.fields.find((f) => f.name === m.result).type, names);
  }
  out.push(`import type {\n${[...names].sort().map((n) => `  ${n},`).join('\n')}\n} from './types.js';\n\n`);
  out.push(`/**\n * Each RPC: its positional arguments (IDL names and order) and the payload its Response carries.\n * The documentation of each is Aurora's IDL comment, then what aurora-ts adds (thrift/api-notes.mjs).\n */\nexport interface AuroraApi {\n`);
  for (const m of methods) {
    // Struct arguments also take builders (Job, JobUpdate) that convert themselves with toThrift().
    const params = m.args
      .map((a) => {
        const t = tsType(a.type, 'input', needsInput);
        return `${a.name}: ${typeof a.type === 'object' && 'struct' in a.type ? `${t} | { toThrift(): ${t} }` : t}`;
      })
      .join(', ');
    let payload = m.result ? tsType(resultUnion.fields.find((f) => f.name === m.result).type, 'output') : 'void';
    if (RESULT_MAY_BE_ABSENT.has(m.name)) payload = `${payload} | { [K in keyof ${payload}]?: undefined }`;
    out.push(`${jsdoc(methodDoc(m), '  ')}  ${m.name}: { args: [${params}]; result: ${payload} };\n`);
  }
  out.push(`}\n\nexport type AuroraMethod = keyof AuroraApi;\n`);
  return out.join('');
}

const SERVICE_NOTES = {
  ReadOnlyScheduler: 'A read (ReadOnlyScheduler): needs no credentials; retried on transient failures.',
  AuroraSchedulerManager:
    "A write (AuroraSchedulerManager): needs the job role's permission; retried only when it surely never reached the scheduler, and a failure after it may have is `ambiguous`.",
  AuroraAdmin: 'An operator call (AuroraAdmin): needs admin permission; retried only when it surely never reached the scheduler, and a failure after it may have is `ambiguous`.',
};

/** An RPC's documentation: Aurora's IDL comment, its arguments' comments, then what this client adds. */
function methodDoc(m) {
  const parts = [m.doc ?? `Aurora's \`${m.name}\`.`];
  const params = m.args.filter((a) => a.doc).map((a) => `@param ${a.name} ${a.doc.replace(/\s+/g, ' ')}`);
  if (params.length > 0) parts.push(params.join('\n'));
  const note = CLIENT_NOTES[m.name];
  const resolves = m.result
    ? `Resolves to the reply's \`${m.result}\`, with its code and details under \`$response\`.`
    : 'Resolves to `{}`, with the reply\'s code and details under `$response`.';
  parts.push(`aurora-ts: ${note ? `${note} ` : ''}${resolves} A ResponseCode other than OK or WARNING throws AuroraResponseError. ${SERVICE_NOTES[m.service]}`);
  return parts.join('\n\n');
}

function collectTypeNames(t, names, needsInput) {
  if (typeof t === 'string') return;
  if ('enum' in t) names.add(t.enum);
  else if ('struct' in t) names.add(needsInput?.has(t.struct) ? `${t.struct}Input` : t.struct);
  else if ('list' in t) collectTypeNames(t.list, names, needsInput);
  else if ('set' in t) collectTypeNames(t.set, names, needsInput);
  else { collectTypeNames(t.map[0], names, needsInput); collectTypeNames(t.map[1], names, needsInput); }
}

/** src/mesos/*.proto as one protobufjs JSON descriptor (snake_case names kept, as Mesos' JSON has them). */
export function renderMesosDescriptor() {
  const mesos = new protobuf.Root();
  for (const file of ['mesos.proto', 'executor.proto']) protobuf.parse(readFileSync(join(root, 'src/mesos', file), 'utf8'), mesos, { keepCase: true });
  mesos.resolveAll();
  return [
    '// Generated by scripts/gen.mjs from src/mesos/mesos.proto and src/mesos/executor.proto. Do not edit.',
    "import type { INamespace } from 'protobufjs/light.js';",
    '',
    `export const MESOS_DESCRIPTOR: INamespace = ${JSON.stringify(mesos.toJSON(), null, 2)};`,
    '',
  ].join('\n');
}

function main() {
  const idl = loadIdl(idlPath);
  const files = {
    'src/gen/types.ts': renderTypes(idl),
    'src/gen/schema.ts': renderSchema(idl),
    'src/gen/api.ts': renderApi(idl),
    'src/mesos/descriptor.ts': renderMesosDescriptor(),
  };
  const stale = [];
  for (const [rel, text] of Object.entries(files)) {
    const path = join(root, rel);
    if (check) {
      if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(rel);
    } else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
  }
  const thriftGen = join(root, 'scripts/gen-thrift.mjs');
  if (existsSync(thriftGen)) {
    const r = spawnSync(process.execPath, [thriftGen, ...(check ? ['--check'] : [])], { stdio: 'inherit' });
    if (r.status !== 0) stale.push('src/gen/thrift (Apache Thrift output)');
  }
  if (stale.length > 0) {
    console.error(`generated files are stale: ${stale.join(', ')}; run \`npm run gen\` and commit the result`);
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
