#!/usr/bin/env node
// Canonical JSON manifest of a Thrift IDL: everything that decides the wire format
// (ids, types, requiredness, defaults, enum numbers, method signatures), nothing
// that does not (comments, declaration order of fields, formatting).
//
//   node scripts/idl-manifest.mjs <file.thrift> [--out FILE]
//        [--repo OWNER/NAME --commit SHA --path PATH]   (recorded as "source")
//
// Also a module: `manifestOf(path)` / `manifestOfText(text)` for tests.
//
// Shape (all object keys sorted; arrays ordered as noted):
//   source?    {repo, commit, path, sha256}
//   namespaces {<lang>: <namespace>}
//   typedefs   {<name>: <resolved type>}
//   enums      {<Enum>: {<MEMBER>: <number>}}
//   consts     {<NAME>: {type, value}}          enum members -> numbers; sets sorted
//   structs    {<Name>: {kind: struct|union|exception, fields: Field[] sorted by id}}
//   services   {<Name>: {extends: string|null, methods: {<method>: Method}}}
//   Field  = {id, name, type, requiredness: required|optional|default, default?}
//   Method = {args: Field[] in declaration order, returns, oneway, throws: Field[]}
// Types are strings with typedefs resolved: i32, string, set<Resource>,
// map<string,i64>, list<i32>; byte is written i8.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const thriftParser = require('@creditkarma/thrift-parser');

const BASE_TYPES = {
  StringKeyword: 'string',
  BinaryKeyword: 'binary',
  BoolKeyword: 'bool',
  ByteKeyword: 'i8',
  I8Keyword: 'i8',
  I16Keyword: 'i16',
  I32Keyword: 'i32',
  I64Keyword: 'i64',
  DoubleKeyword: 'double',
  VoidKeyword: 'void',
};

const STRUCT_KINDS = {
  StructDefinition: 'struct',
  UnionDefinition: 'union',
  ExceptionDefinition: 'exception',
};

/**
 * Thrift makes list separators optional (Aurora's ACTIVE_STATES lacks one);
 * @creditkarma/thrift-parser requires them. Insert a comma between two items of
 * a `[...]` constant that are separated only by whitespace or comments.
 * @param {string} src
 * @returns {string}
 */
export function addOptionalListSeparators(src) {
  let out = '';
  const brackets = [];
  let prevSignificant = '';
  let gap = false;
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    const next = src[i + 1];
    if ((c === '/' && next === '/') || c === '#') {
      const end = src.indexOf('\n', i);
      const stop = end === -1 ? src.length : end;
      out += src.slice(i, stop);
      i = stop;
      gap = true;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? src.length : end + 2;
      out += src.slice(i, stop);
      i = stop;
      gap = true;
      continue;
    }
    if (/\s/.test(c)) {
      out += c;
      i += 1;
      gap = true;
      continue;
    }
    const inList = brackets[brackets.length - 1] === '[';
    const endsValue = /[\w.'"\]}]/.test(prevSignificant);
    const startsValue = /[\w'"[{+\-]/.test(c);
    if (inList && gap && endsValue && startsValue) out += ',';
    gap = false;
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
      prevSignificant = c;
      continue;
    }
    if (c === '[' || c === '{' || c === '(') brackets.push(c);
    if (c === ']' || c === '}' || c === ')') brackets.pop();
    out += c;
    prevSignificant = c;
    i += 1;
  }
  return out;
}

/** The value a Thrift string literal denotes (the parser keeps escapes raw). */
function unescapeThriftString(raw) {
  const map = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
  return raw.replace(/\\(.)/g, (whole, ch) => (ch in map ? map[ch] : whole));
}

function sortKeysDeep(value) {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value && typeof value === 'object') {
    const sorted = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeysDeep(value[key]);
    return sorted;
  }
  return value;
}

function compareCanonical(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = JSON.stringify(a);
  const sb = JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * Parse Thrift IDL text into the canonical manifest (without `source`).
 * @param {string} text
 * @returns {Record<string, any>}
 */
export function manifestOfText(text) {
  const doc = thriftParser.parse(addOptionalListSeparators(text));
  if (doc.type !== 'ThriftDocument') {
    const first = doc.errors[0];
    const where = first?.loc ? ` at line ${first.loc.start.line}` : '';
    throw new Error(`Thrift parse failed${where}: ${first?.message ?? 'unknown error'}`);
  }

  const typedefAst = new Map();
  const enumNames = new Set();
  const structAst = new Map();
  const constAst = new Map();
  for (const st of doc.body) {
    if (st.type === 'TypedefDefinition') typedefAst.set(st.name.value, st.definitionType);
    if (st.type === 'EnumDefinition') enumNames.add(st.name.value);
    if (st.type in STRUCT_KINDS) structAst.set(st.name.value, st);
    if (st.type === 'ConstDefinition') constAst.set(st.name.value, st);
  }

  /** Resolve typedefs until a base type, container or struct/enum name remains. */
  function resolve(fieldType) {
    let ft = fieldType;
    const seen = new Set();
    while (ft.type === 'Identifier' && typedefAst.has(ft.value)) {
      if (seen.has(ft.value)) throw new Error(`typedef cycle at ${ft.value}`);
      seen.add(ft.value);
      ft = typedefAst.get(ft.value);
    }
    return ft;
  }

  function typeString(fieldType) {
    const ft = resolve(fieldType);
    if (ft.type in BASE_TYPES) return BASE_TYPES[ft.type];
    if (ft.type === 'SetType') return `set<${typeString(ft.valueType)}>`;
    if (ft.type === 'ListType') return `list<${typeString(ft.valueType)}>`;
    if (ft.type === 'MapType') return `map<${typeString(ft.keyType)},${typeString(ft.valueType)}>`;
    if (ft.type === 'Identifier') return ft.value;
    throw new Error(`unsupported field type ${ft.type}`);
  }

  const enums = {};
  for (const st of doc.body) {
    if (st.type !== 'EnumDefinition') continue;
    const values = {};
    let nextValue = 0;
    for (const member of st.members) {
      const value = member.initializer ? Number(member.initializer.value.value) : nextValue;
      values[member.name.value] = value;
      nextValue = value + 1;
    }
    enums[st.name.value] = values;
  }

  const constCache = new Map();
  function constValueByName(name) {
    if (!constCache.has(name)) {
      const st = constAst.get(name);
      constCache.set(name, constValue(st.initializer, st.fieldType));
    }
    return constCache.get(name);
  }

  function constValue(node, fieldType) {
    const ft = fieldType ? resolve(fieldType) : undefined;
    switch (node.type) {
      case 'StringLiteral':
        return unescapeThriftString(node.value);
      case 'BooleanLiteral':
        return node.value;
      case 'IntConstant':
      case 'DoubleConstant':
        return Number(node.value.value);
      case 'Identifier': {
        const dot = node.value.lastIndexOf('.');
        if (dot > 0) {
          const enumName = node.value.slice(0, dot);
          const member = node.value.slice(dot + 1);
          if (enums[enumName] && member in enums[enumName]) return enums[enumName][member];
        }
        if (ft?.type === 'Identifier' && enums[ft.value] && node.value in enums[ft.value]) {
          return enums[ft.value][node.value];
        }
        if (constAst.has(node.value)) return constValueByName(node.value);
        if (node.value === 'true' || node.value === 'false') return node.value === 'true';
        throw new Error(`unknown constant reference ${node.value}`);
      }
      case 'ConstList': {
        const elementType = ft && (ft.type === 'SetType' || ft.type === 'ListType') ? ft.valueType : undefined;
        const items = node.elements.map((e) => constValue(e, elementType));
        return ft?.type === 'SetType' ? items.sort(compareCanonical) : items;
      }
      case 'ConstMap': {
        const result = {};
        const struct = ft?.type === 'Identifier' ? structAst.get(ft.value) : undefined;
        for (const prop of node.properties) {
          const key = String(constValue(prop.name, ft?.type === 'MapType' ? ft.keyType : undefined));
          let valueType;
          if (ft?.type === 'MapType') valueType = ft.valueType;
          if (struct) valueType = struct.fields.find((f) => f.name.value === key)?.fieldType;
          result[key] = constValue(prop.initializer, valueType);
        }
        return result;
      }
      default:
        throw new Error(`unsupported constant ${node.type}`);
    }
  }

  function field(f) {
    if (f.fieldID === null) throw new Error(`field ${f.name.value} has no explicit id`);
    const entry = {
      id: f.fieldID.value,
      name: f.name.value,
      type: typeString(f.fieldType),
      requiredness: f.requiredness ?? 'default',
    };
    if (f.defaultValue) entry.default = constValue(f.defaultValue, f.fieldType);
    return entry;
  }

  const manifest = { namespaces: {}, typedefs: {}, enums, consts: {}, structs: {}, services: {} };
  for (const st of doc.body) {
    const name = st.name?.value;
    switch (st.type) {
      case 'NamespaceDefinition':
        manifest.namespaces[st.scope.value] = st.name.value;
        break;
      case 'TypedefDefinition':
        manifest.typedefs[name] = typeString(st.definitionType);
        break;
      case 'ConstDefinition':
        manifest.consts[name] = { type: typeString(st.fieldType), value: constValueByName(name) };
        break;
      case 'StructDefinition':
      case 'UnionDefinition':
      case 'ExceptionDefinition':
        manifest.structs[name] = {
          kind: STRUCT_KINDS[st.type],
          fields: st.fields.map(field).sort((a, b) => a.id - b.id),
        };
        break;
      case 'ServiceDefinition': {
        const methods = {};
        for (const fn of st.functions) {
          methods[fn.name.value] = {
            args: fn.fields.map(field),
            returns: typeString(fn.returnType),
            oneway: fn.oneway,
            throws: fn.throws.map(field),
          };
        }
        manifest.services[name] = { extends: st.extends ? st.extends.value : null, methods };
        break;
      }
      default:
        break;
    }
  }
  return sortKeysDeep(manifest);
}

/**
 * Manifest of a .thrift file on disk.
 * @param {string} path
 * @returns {Record<string, any>}
 */
export function manifestOf(path) {
  return manifestOfText(readFileSync(path, 'utf8'));
}

/**
 * Every method of a service, inherited ones included, as [service, method] pairs.
 * @param {Record<string, any>} manifest
 * @param {string} service
 * @returns {Array<[string, string]>}
 */
export function allMethods(manifest, service) {
  const out = [];
  for (let s = service; s; s = manifest.services[s].extends) {
    for (const m of Object.keys(manifest.services[s].methods)) out.push([s, m]);
  }
  return out;
}

/**
 * Parse a manifest type string into a tree.
 * @param {string} type e.g. `map<string,set<Resource>>`
 * @returns {{kind: 'base' | 'named', name: string} | {kind: 'list' | 'set', elem: any} | {kind: 'map', key: any, value: any}}
 */
export function parseTypeString(type) {
  let pos = 0;
  const parse = () => {
    const m = /^[A-Za-z_][\w.]*/.exec(type.slice(pos));
    if (!m) throw new Error(`bad type string ${type}`);
    const word = m[0];
    pos += word.length;
    if (word === 'list' || word === 'set' || word === 'map') {
      if (type[pos] !== '<') throw new Error(`bad type string ${type}`);
      pos += 1;
      const first = parse();
      let node;
      if (word === 'map') {
        if (type[pos] !== ',') throw new Error(`bad type string ${type}`);
        pos += 1;
        node = { kind: 'map', key: first, value: parse() };
      } else {
        node = { kind: word, elem: first };
      }
      if (type[pos] !== '>') throw new Error(`bad type string ${type}`);
      pos += 1;
      return node;
    }
    const base = ['bool', 'i8', 'i16', 'i32', 'i64', 'double', 'string', 'binary', 'void'];
    return base.includes(word) ? { kind: 'base', name: word } : { kind: 'named', name: word };
  };
  const tree = parse();
  if (pos !== type.length) throw new Error(`bad type string ${type}`);
  return tree;
}

function describeField(f) {
  const parts = [f.requiredness === 'default' ? '' : `${f.requiredness} `, f.type, ' ', f.name];
  if ('default' in f) parts.push(` = ${JSON.stringify(f.default)}`);
  return parts.join('');
}

function diffFieldLists(label, word, expected, actual, out) {
  const exp = new Map(expected.map((f) => [f.id, f]));
  const act = new Map(actual.map((f) => [f.id, f]));
  for (const [id, f] of exp) {
    const a = act.get(id);
    if (!a) out.push(`${label}.${word} ${id} ${f.name}: missing (expected ${describeField(f)})`);
    else if (JSON.stringify(a) !== JSON.stringify(f)) {
      out.push(`${label}.${word} ${id} ${f.name}: expected ${describeField(f)}, got ${describeField(a)}`);
    }
  }
  for (const [id, a] of act) {
    if (!exp.has(id)) out.push(`${label}.${word} ${id} ${a.name}: unexpected (${describeField(a)})`);
  }
  const order = (list) => list.map((f) => f.id).join(',');
  if (word === 'arg' && out.length === 0 && order(expected) !== order(actual)) {
    out.push(`${label}: argument order expected (${order(expected)}), got (${order(actual)})`);
  }
}

function diffKeyed(label, expected, actual, out, diffEntry) {
  for (const key of Object.keys(expected)) {
    if (!(key in actual)) out.push(`${label}${key}: missing`);
    else diffEntry(key, expected[key], actual[key]);
  }
  for (const key of Object.keys(actual)) if (!(key in expected)) out.push(`${label}${key}: unexpected`);
}

/**
 * Differences between two manifests, one line per differing entry, named like
 * `TaskConfig.field 7 isService: ...` or `AuroraSchedulerManager.restartShards.arg 5 job: ...`.
 * The `source` record is ignored. Empty when the IDLs are wire-identical.
 * @param {Record<string, any>} expected
 * @param {Record<string, any>} actual
 * @returns {string[]}
 */
export function diffManifests(expected, actual) {
  const out = [];
  const same = (a, b) => JSON.stringify(sortKeysDeep(a)) === JSON.stringify(sortKeysDeep(b));
  const simple = (label) => (key, e, a) => {
    if (!same(e, a)) out.push(`${label}${key}: expected ${JSON.stringify(e)}, got ${JSON.stringify(a)}`);
  };
  diffKeyed('namespace ', expected.namespaces ?? {}, actual.namespaces ?? {}, out, simple('namespace '));
  diffKeyed('typedef ', expected.typedefs ?? {}, actual.typedefs ?? {}, out, simple('typedef '));
  diffKeyed('const ', expected.consts ?? {}, actual.consts ?? {}, out, simple('const '));
  diffKeyed('enum ', expected.enums ?? {}, actual.enums ?? {}, out, (name, e, a) => {
    diffKeyed(`${name}.`, e, a, out, simple(`${name}.`));
  });
  diffKeyed('struct ', expected.structs ?? {}, actual.structs ?? {}, out, (name, e, a) => {
    if (e.kind !== a.kind) out.push(`${name}: expected ${e.kind}, got ${a.kind}`);
    diffFieldLists(name, 'field', e.fields, a.fields, out);
  });
  diffKeyed('service ', expected.services ?? {}, actual.services ?? {}, out, (name, e, a) => {
    if (e.extends !== a.extends) out.push(`${name}: expected extends ${e.extends}, got ${a.extends}`);
    diffKeyed(`${name}.`, e.methods, a.methods, out, (method, em, am) => {
      const label = `${name}.${method}`;
      if (em.returns !== am.returns) out.push(`${label}: expected returns ${em.returns}, got ${am.returns}`);
      if (em.oneway !== am.oneway) out.push(`${label}: expected oneway ${em.oneway}, got ${am.oneway}`);
      const before = out.length;
      diffFieldLists(label, 'arg', em.args, am.args, out);
      if (out.length === before) diffFieldLists(label, 'throws', em.throws, am.throws, out);
    });
  });
  return out;
}

/** Canonical JSON text of a manifest (2-space indent, trailing newline). */
export function manifestJson(manifest) {
  return `${JSON.stringify(sortKeysDeep(manifest), null, 2)}\n`;
}

function main(argv) {
  const usage = 'usage: idl-manifest.mjs <file.thrift> [--out FILE] [--repo OWNER/NAME --commit SHA --path PATH]';
  const opts = {};
  let file;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      const key = arg.slice(2);
      if (!['out', 'repo', 'commit', 'path'].includes(key) || argv[i + 1] === undefined) {
        throw new Error(`${usage}\nunknown or incomplete option ${arg}`);
      }
      opts[key] = argv[i + 1];
      i += 1;
    } else if (!file) {
      file = arg;
    } else {
      throw new Error(`${usage}\nunexpected argument ${arg}`);
    }
  }
  if (!file) throw new Error(usage);
  const text = readFileSync(file, 'utf8');
  const manifest = manifestOfText(text);
  if (opts.repo || opts.commit || opts.path) {
    manifest.source = {
      repo: opts.repo ?? null,
      commit: opts.commit ?? null,
      path: opts.path ?? null,
      sha256: createHash('sha256').update(text).digest('hex'),
    };
  }
  const json = manifestJson(manifest);
  if (opts.out) writeFileSync(opts.out, json);
  else process.stdout.write(json);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
