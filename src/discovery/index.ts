export {
  clustersFiles,
  loadClusters,
  loadClustersSync,
  LOCAL_CLUSTER,
  parseClustersFile,
  schedulerApiUrl,
  zkConnectString,
} from './clusters.js';
export type { Cluster, ClusterPolicyOverrides, Clusters, LoadClustersOptions } from './clusters.js';
export { EMPTY_NETRC, loadNetrc, loadNetrcSync, netrcCredentials, parseNetrc, permissionWarning } from './netrc.js';
export type { Credentials, LoadedNetrc, LoadNetrcOptions, Netrc, NetrcEntry } from './netrc.js';
export { findLeader, leaderOrder, memberUrl, parseServersetMember, ZooKeeperLeaderResolver } from './zookeeper.js';
export type { Leader, ServersetEndpoint, ServersetMember, ZooKeeperDiscoveryOptions } from './zookeeper.js';
