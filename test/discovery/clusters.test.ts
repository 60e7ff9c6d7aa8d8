/**
 * clusters.json the way Aurora's Python client reads it, from real files.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clustersFiles, loadClusters, loadClustersSync, schedulerApiUrl, zkConnectString } from '../../src/discovery/clusters.js';
import { AuroraConfigError } from '../../src/errors.js';

const fixtures = resolve(import.meta.dirname, '../fixtures/clusters');
const fromFixtures = { configRoot: join(fixtures, 'etc'), home: join(fixtures, 'home') };

/** A config root and a home with the given clusters.json texts (undefined: no file). */
function layout(system: string | undefined, user: string | undefined): { configRoot: string; home: string } {
  const dir = mkdtempSync(join(tmpdir(), 'aurora-ts-clusters-'));
  const configRoot = join(dir, 'etc');
  const home = join(dir, 'home');
  mkdirSync(configRoot);
  mkdirSync(join(home, '.aurora'), { recursive: true });
  if (system !== undefined) writeFileSync(join(configRoot, 'clusters.json'), system);
  if (user !== undefined) writeFileSync(join(home, '.aurora', 'clusters.json'), user);
  return { configRoot, home };
}

describe('loadClusters', () => {
  it('reads the list form with every key, camelCased', async () => {
    const clusters = await loadClusters(fromFixtures);
    const west = clusters.get('west');
    expect(west).toEqual({
      name: 'west',
      zk: 'zk1.west.example.com,zk2.west.example.com',
      zkPort: 2181,
      schedulerZkPath: '/aurora/scheduler',
      authMechanism: 'BASIC',
      slaveRoot: '/var/lib/mesos',
      slaveRunDirectory: 'latest',
      dockerRegistry: 'registry.west.example.com',
      customExecutorConfig: join(fixtures, 'etc', 'executors.json'),
      policy: { allowDocker: true, maxTasksPerJob: 200 },
      extra: { owner_team: 'infra' },
      source: join(fixtures, 'etc', 'clusters.json'),
    });
  });

  it('lets ~/.aurora/clusters.json replace a system cluster whole, and reads the dict form', async () => {
    const clusters = await loadClusters(fromFixtures);
    const east = clusters.get('east');
    expect(east.schedulerUri).toBe('https://aurora-east.example.com/scheduler/');
    expect(east.proxyUrl).toBeUndefined(); // not merged from /etc
    expect(east.zkPort).toBe(2182);
    expect(east.authMechanism).toBe('UNAUTHENTICATED');
    expect(clusters.get('devel')).toMatchObject({ zk: '192.168.33.7', zkPort: 2182, schedulerZkPath: '/aurora/scheduler' });
    expect(clusters.list().map((c) => c.name)).toEqual(['local', 'west', 'east', 'devel']);
    expect(clusters.files).toEqual([join(fixtures, 'etc', 'clusters.json'), join(fixtures, 'home', '.aurora', 'clusters.json')]);
  });

  it("expands ~ in custom_executor_config to the home it was given, not the process's", async () => {
    const where = layout('[{"name": "a", "scheduler_uri": "http://a:8081", "custom_executor_config": "~/executors.json"}]', undefined);
    expect((await loadClusters(where)).get('a').customExecutorConfig).toBe(join(where.home, 'executors.json'));
    expect(loadClustersSync(where).get('a').customExecutorConfig).toBe(join(where.home, 'executors.json'));
  });

  it('skips entries without a name', async () => {
    const clusters = await loadClusters(layout('[{"zk": "zk1"}, {"name": "a", "scheduler_uri": "http://a:8081"}]', undefined));
    expect(clusters.list().map((c) => c.name)).toEqual(['local', 'a']);
  });

  it('has a built-in local cluster unless a file defines one', async () => {
    const none = await loadClusters(layout(undefined, undefined));
    expect(none.list()).toHaveLength(1);
    expect(none.get('local')).toMatchObject({ schedulerUri: 'http://127.0.0.1:8081', source: 'built-in' });
    const mine = loadClustersSync(layout(undefined, '[{"name": "local", "scheduler_uri": "http://127.0.0.1:9999"}]'));
    expect(schedulerApiUrl(mine.get('local'))).toBe('http://127.0.0.1:9999/api');
  });

  it('reads AURORA_CONFIG_ROOT, an empty one meaning /etc/aurora', () => {
    expect(clustersFiles({ env: { AURORA_CONFIG_ROOT: '/opt/aurora' }, home: '/home/u' })).toEqual([
      '/opt/aurora/clusters.json',
      '/home/u/.aurora/clusters.json',
    ]);
    expect(clustersFiles({ env: { AURORA_CONFIG_ROOT: '' }, home: '/home/u' })[0]).toBe('/etc/aurora/clusters.json');
  });

  it('names the file, line and column of malformed JSON on one line', async () => {
    const paths = layout(undefined, '[\n  {"name": "a",\n   "zk": zk1}\n]');
    const error = await loadClusters(paths).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    // Bad input, not an unreachable cluster: the CLI exits 2 and nothing retries it.
    expect(error).toBeInstanceOf(AuroraConfigError);
    expect(error!.message).toBe(`${join(paths.home, '.aurora', 'clusters.json')}: invalid JSON at line 3, column 10: expected a JSON value, unexpected character "z"`);
    expect(error!.message).not.toContain('\n');
  });

  it('rejects layouts and values the Python client cannot use, naming the place', () => {
    const file = (p: { home: string }) => join(p.home, '.aurora', 'clusters.json');
    let p = layout(undefined, '"west"');
    expect(() => loadClustersSync(p)).toThrow(`${file(p)}: expected a list or an object of clusters, got string "west"`);
    p = layout(undefined, '[["west"]]');
    expect(() => loadClustersSync(p)).toThrow(`${file(p)}[0]: a cluster must be an object of key/value pairs, got a list`);
    p = layout(undefined, '{"w": {"name": "w", "zk_port": "two"}}');
    expect(() => loadClustersSync(p)).toThrow(`${file(p)}.w.zk_port: expected a port number 1-65535, got "two"`);
    p = layout(undefined, '[{"name": "w", "agent_port": 70000}]');
    expect(() => loadClustersSync(p)).toThrow(`${file(p)}[0].agent_port: expected a port number 1-65535, got 70000`);
    p = layout(undefined, '[{"name": "w", "scheduler_uri": "http://s:8081", "agent_port": "5052"}]');
    expect(loadClustersSync(p).get('w')).toMatchObject({ agentPort: 5052, extra: {} });
    p = layout(undefined, '[{"name": "w", "zk": ["a"]}]');
    expect(() => loadClustersSync(p)).toThrow(`${file(p)}[0].zk: expected a string, got a list`);
    p = layout(undefined, '[{"name": "w", "policy": {"allow_dockr": true}}]');
    expect(() => loadClustersSync(p)).toThrow(/\[0\]\.policy\.allow_dockr: unknown policy setting; allowed: allow_docker, /);
    // A key may hold any character: it is quoted, so the error stays one line (the fuzz test found a raw \r).
    p = layout(undefined, '{"a\\r\\nb": null}');
    expect(() => loadClustersSync(p)).toThrow(`${file(p)}["a\\r\\nb"]: a cluster must be an object of key/value pairs, got null`);
    p = layout(undefined, '[{"name": "w", "policy": {"x\\ny": true}}]');
    expect(() => loadClustersSync(p)).toThrow(`${file(p)}[0].policy["x\\ny"]: unknown policy setting`);
  });

  it('lists the known clusters when asked for an unknown one', async () => {
    const clusters = await loadClusters(fromFixtures);
    expect(() => clusters.get('north')).toThrow(/^unknown cluster "north"; known clusters: local, west, east, devel \(from /);
  });
});

describe('scheduler_uri and zk', () => {
  it('joins `api` onto scheduler_uri as urljoin does', () => {
    const api = (schedulerUri: string) => schedulerApiUrl({ name: 'c', schedulerUri });
    expect(api('http://aurora.example.com:8081')).toBe('http://aurora.example.com:8081/api');
    expect(api('http://aurora.example.com:8081/')).toBe('http://aurora.example.com:8081/api');
    expect(api('https://proxy.example.com/aurora/')).toBe('https://proxy.example.com/aurora/api');
    expect(api('https://proxy.example.com/aurora')).toBe('https://proxy.example.com/api');
    expect(() => api('aurora:8081')).toThrow('cluster c: scheduler_uri "aurora:8081" is not an absolute URL');
    expect(() => api('ftp://aurora/')).toThrow('cluster c: scheduler_uri must be http(s), got "ftp:"');
  });

  it('appends zk_port to each host that has none', () => {
    expect(zkConnectString('zk1, zk2:2888,zk3', 2181)).toBe('zk1:2181,zk2:2888,zk3:2181');
  });
});
