// The two-networks topology (test/offload/topologies/two-networks.json) with security groups, for the
// openflow-acl tests: ports 1 and 4 are stateful members of group 1 ("web"), port 2 a stateless member of
// group 2 ("clients"); port 3 (remote, behind 192.168.1.2) is a member of group 2 but enforced on its own chassis.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AclMemberEntry, AclPortEntry, AclRuleEntry, Entry, Topology } from '../../datapath/host/entries.js'

export const WEB = 1
export const CLIENTS = 2

export const aclPorts: AclPortEntry[] = [
  { stage: 'acl_port', port: 1, stateful: true, groups: [WEB] },
  { stage: 'acl_port', port: 4, stateful: true, groups: [WEB] },
  { stage: 'acl_port', port: 2, stateful: false, groups: [CLIENTS] },
]

export const aclRules: AclRuleEntry[] = [
  // web: SSH and 8000-8080 from the clients, ping from net 1, anything from web itself, any egress
  {
    stage: 'acl_rule',
    group: WEB,
    rule: 1,
    direction: 'ingress',
    family: 4,
    protocol: 6,
    port_min: 22,
    port_max: 22,
    remote_group: CLIENTS,
  },
  {
    stage: 'acl_rule',
    group: WEB,
    rule: 2,
    direction: 'ingress',
    family: 4,
    protocol: 6,
    port_min: 8000,
    port_max: 8080,
    remote_group: CLIENTS,
  },
  { stage: 'acl_rule', group: WEB, rule: 3, direction: 'ingress', family: 4, protocol: 1, icmp_type: 8, remote_prefix: '10.0.0.0/24' },
  { stage: 'acl_rule', group: WEB, rule: 4, direction: 'ingress', family: 4, remote_group: WEB },
  { stage: 'acl_rule', group: WEB, rule: 5, direction: 'egress', family: 4 },
  { stage: 'acl_rule', group: WEB, rule: 6, direction: 'egress', family: 6 },
  // clients (stateless): DNS answers and TCP replies back in, TCP and DNS out
  { stage: 'acl_rule', group: CLIENTS, rule: 11, direction: 'ingress', family: 4, protocol: 17, remote_group: WEB },
  { stage: 'acl_rule', group: CLIENTS, rule: 12, direction: 'ingress', family: 4, protocol: 6, remote_group: WEB },
  { stage: 'acl_rule', group: CLIENTS, rule: 13, direction: 'egress', family: 4, protocol: 6 },
  { stage: 'acl_rule', group: CLIENTS, rule: 14, direction: 'egress', family: 4, protocol: 17, port_min: 53, port_max: 53 },
]

export const aclMembers: AclMemberEntry[] = [
  { stage: 'acl_member', group: WEB, prefix: '10.0.0.5/32' },
  { stage: 'acl_member', group: WEB, prefix: '10.1.0.5/32' },
  { stage: 'acl_member', group: CLIENTS, prefix: '10.0.0.6/32' },
  { stage: 'acl_member', group: CLIENTS, prefix: '10.0.0.7/32' },
]

export function twoNetworks(): Entry[] {
  const file = join(process.cwd(), 'test', 'offload', 'topologies', 'two-networks.json')
  return (JSON.parse(readFileSync(file, 'utf8')) as Topology).entries
}

/** The topology with its security groups. */
export function withAcls(): Entry[] {
  return [...twoNetworks(), ...aclPorts, ...aclRules, ...aclMembers]
}
