// Where each model object lives in the store, its topics, and the ids of the records that make IP and MAC
// allocation atomic: an allocation record is created in the same transaction as its port, so a second port
// asking for the same address fails the transaction with `already_exists` instead of sharing it.

export const TABLES = {
  networks: 'networks',
  subnets: 'subnets',
  ports: 'ports',
  routers: 'routers',
  floatingips: 'floatingips',
  securityGroups: 'security_groups',
  securityGroupRules: 'security_group_rules',
  subnetpools: 'subnetpools',
  /** RBAC policies of networks (rbac-policies extension): who besides the owner may use a network, and how. */
  rbacPolicies: 'rbac_policies',
  quotas: 'quotas',
  chassis: 'chassis',
  ipAllocations: 'ip_allocations',
  macAllocations: 'mac_allocations',
  segments: 'segments',
  defaultSecurityGroups: 'default_security_groups',
  keystoneDomains: 'keystone_domains',
  keystoneProjects: 'keystone_projects',
  keystoneUsers: 'keystone_users',
  keystoneRoles: 'keystone_roles',
  keystoneAssignments: 'keystone_assignments',
  keystoneMeta: 'keystone_meta',
  keystoneRevocations: 'keystone_revocations',
} as const

/** Key spaces of store.allocateKey: the datapath's small integer ids. */
export const KEY_SPACES = {
  network: 'network',
  port: 'port',
  router: 'router',
  securityGroup: 'security_group',
  securityGroupRule: 'security_group_rule',
} as const

export function projectTopic(projectId: string): string {
  return `project:${projectId}`
}

export function networkTopic(networkId: string): string {
  return `network:${networkId}`
}

export function topicsFor(projectId: string, networkId?: string): string[] {
  return networkId ? [projectTopic(projectId), networkTopic(networkId)] : [projectTopic(projectId)]
}

/** Record ids only use [A-Za-z0-9._-]: IPv6 colons become '-', which no IPv6 text contains, so ids stay unique. */
const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '-')

export function ipAllocationId(subnetId: string, ip: string): string {
  return `${subnetId}_${safe(ip)}`
}

export function macAllocationId(networkId: string, mac: string): string {
  return `${networkId}_${safe(mac)}`
}

export function segmentId(type: string, physnet: string | null, segmentationId: number | null): string {
  return safe(`${type}_${physnet ?? ''}_${segmentationId ?? ''}`)
}
