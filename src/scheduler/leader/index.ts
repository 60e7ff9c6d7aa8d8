/** Several local schedulers on one ZooKeeper path: one leads and announces itself, the others redirect to it. */
export { serversetAnnouncement, startLeadership, type Leadership, type LeadershipOptions, type LeadershipState } from './election.js';
export { advertisedHost, BYPASS_LEADER_REDIRECT_HEADER, leaderRedirect, type Endpoint } from './redirect.js';
