/**
 * What an editor shows on hover over a client method: every RPC's doc comment is Aurora's IDL
 * comment (thrift/api.thrift, carried into src/gen/api.ts by scripts/gen.mjs) plus what aurora-ts
 * adds. Read through the TypeScript language service, as an editor reads it.
 */
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { SCHEMA } from '../../src/gen/schema.js';

const root = resolve(import.meta.dirname, '../..');
const file = join(root, 'test/client/__hover__.ts');
const methods = Object.keys(SCHEMA.methods);
const text = `import { AuroraClient } from '../../src/index.js';\ndeclare const c: AuroraClient;\n${methods.map((m) => `void c.${m};`).join('\n')}\n`;

const service = ts.createLanguageService({
  getScriptFileNames: () => [file],
  getScriptVersion: () => '1',
  getScriptSnapshot: (f) => {
    const source = f === file ? text : ts.sys.readFile(f);
    return source === undefined ? undefined : ts.ScriptSnapshot.fromString(source);
  },
  getCurrentDirectory: () => root,
  getCompilationSettings: () => ({ module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, types: ['node'] }),
  getDefaultLibFileName: ts.getDefaultLibFilePath,
  fileExists: (f) => f === file || ts.sys.fileExists(f),
  readFile: (f) => (f === file ? text : ts.sys.readFile(f)),
  directoryExists: ts.sys.directoryExists,
  getDirectories: ts.sys.getDirectories,
});

function hover(method: string): string {
  const info = service.getQuickInfoAtPosition(file, text.indexOf(`c.${method};`) + 2);
  const tags = (info?.tags ?? []).map((t) => `@${t.name} ${ts.displayPartsToString(t.text)}`);
  return [ts.displayPartsToString(info?.documentation), ...tags].join('\n');
}

describe('RPC doc comments', () => {
  it('every one of the 45 methods shows its IDL comment and what the client adds', () => {
    expect(methods).toHaveLength(45);
    const undocumented = methods.filter((m) => {
      const doc = hover(m);
      // The IDL part comes first, then "aurora-ts: ..." with how the reply is unwrapped.
      return !/^\S/.test(doc) || doc.startsWith('aurora-ts:') || !doc.includes('aurora-ts: ') || !doc.includes('AuroraResponseError');
    });
    expect(undocumented).toEqual([]);
  });

  it('says what killTasks with no instances does, and which calls are retried', () => {
    const kill = hover('killTasks');
    expect(kill).toContain('Kills the active tasks of the given instances of a job.');
    expect(kill).toContain('An empty `instances` (`[]` or an empty Set) kills every instance of the job');
    expect(kill).toContain('A write (AuroraSchedulerManager)');
    expect(hover('getTasksStatus')).toContain('A read (ReadOnlyScheduler)');
    expect(hover('setQuota')).toContain('An operator call (AuroraAdmin)');
  });

  it('carries argument comments and the unchanged-job case of startJobUpdate', () => {
    const start = hover('startJobUpdate');
    expect(start).toContain('Starts an update of an existing service job.');
    expect(start).toMatch(/@param message Recorded with the update's state change\./);
    expect(start).toContain('Resolves with no `key` when Aurora answers "Job is unchanged by proposed update."');
  });
});
