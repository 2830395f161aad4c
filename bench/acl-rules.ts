// The 20 security-group rules the agent and peer benches install, declared once and spelled two ways: a Neutron
// security_group_rule body (our API) and an OVN ACL match, written as Neutron's OVN driver writes them
// (neutron/common/ovn/acl.py: to-lport for ingress with `outport == @<port group>`, from-lport for egress with
// `inport == @<port group>`, `ip4`/`ip6`, the remote as `ip4.src`/`ip4.dst` or an address set, then the protocol
// and its ports; priority 1002, allow-related; a port group neutron_pg_drop with drop ACLs at 1001 for `ip`).
// Two of the 20 are the egress rules a new group gets in both (Neutron creates them with the group).

export type Remote = { prefix: string } | { group: true } | undefined
export interface BenchRule {
  direction: 'ingress' | 'egress'
  ethertype: 4 | 6
  protocol?: 'tcp' | 'udp' | 'sctp' | 'icmp'
  min?: number
  max?: number
  remote?: Remote
  /** true for the two rules a new group already has */
  implicit?: true
}

const tcp = (port: number, remote: Remote, ethertype: 4 | 6 = 4): BenchRule => ({
  direction: 'ingress',
  ethertype,
  protocol: 'tcp',
  min: port,
  max: port,
  remote,
})

export const TWENTY_RULES: BenchRule[] = [
  { direction: 'egress', ethertype: 4, implicit: true },
  { direction: 'egress', ethertype: 6, implicit: true },
  tcp(22, { group: true }),
  tcp(80, { prefix: '0.0.0.0/0' }),
  tcp(443, { prefix: '0.0.0.0/0' }),
  tcp(3306, { group: true }),
  tcp(5432, { group: true }),
  tcp(6379, { prefix: '10.0.0.0/8' }),
  { direction: 'ingress', ethertype: 4, protocol: 'tcp', min: 8000, max: 8100, remote: { prefix: '192.168.0.0/16' } },
  { direction: 'ingress', ethertype: 4, protocol: 'udp', min: 53, max: 53, remote: { group: true } },
  { direction: 'ingress', ethertype: 4, protocol: 'udp', min: 123, max: 123, remote: { prefix: '172.16.0.0/12' } },
  { direction: 'ingress', ethertype: 4, protocol: 'icmp', min: 8, remote: { group: true } },
  { direction: 'ingress', ethertype: 4, protocol: 'icmp', remote: { prefix: '10.0.0.0/8' } },
  tcp(22, { group: true }, 6),
  tcp(443, { prefix: '::/0' }, 6),
  { direction: 'ingress', ethertype: 6, protocol: 'icmp', remote: { prefix: '2001:db8::/32' } },
  { direction: 'egress', ethertype: 4, protocol: 'tcp', min: 9000, max: 9000, remote: { prefix: '10.1.0.0/16' } },
  { direction: 'egress', ethertype: 4, protocol: 'udp', min: 514, max: 514, remote: { prefix: '10.2.0.0/16' } },
  { direction: 'ingress', ethertype: 4, protocol: 'tcp', min: 9100, max: 9200, remote: { prefix: '10.3.0.0/16' } },
  { direction: 'ingress', ethertype: 4, protocol: 'sctp', min: 3868, max: 3868, remote: { prefix: '10.4.0.0/16' } },
]

/** Neutron's default group: egress any, ingress from the group's members (both families). */
export const DEFAULT_RULES: BenchRule[] = [
  { direction: 'egress', ethertype: 4 },
  { direction: 'egress', ethertype: 6 },
  { direction: 'ingress', ethertype: 4, remote: { group: true } },
  { direction: 'ingress', ethertype: 6, remote: { group: true } },
]

/** The rule a change adds (and then deletes): ingress TCP `port` from the remote group. */
export const changeRule = (port: number): BenchRule => tcp(port, { group: true })

/** A Neutron security_group_rule body (without security_group_id); `remoteGroup` is the remote group's id. */
export function neutronRule(r: BenchRule, remoteGroup: string): Record<string, unknown> {
  const protocol = r.protocol === 'icmp' && r.ethertype === 6 ? 'ipv6-icmp' : r.protocol
  return {
    direction: r.direction,
    ethertype: r.ethertype === 4 ? 'IPv4' : 'IPv6',
    ...(protocol !== undefined ? { protocol } : {}),
    ...(r.min !== undefined ? { port_range_min: r.min } : {}),
    ...(r.max !== undefined ? { port_range_max: r.max } : {}),
    ...(r.remote !== undefined && 'prefix' in r.remote ? { remote_ip_prefix: r.remote.prefix } : {}),
    ...(r.remote !== undefined && 'group' in r.remote ? { remote_group_id: remoteGroup } : {}),
  }
}

/** `ip4.src == $as` etc.: the OVN ACL of a rule on port group `pg`, remote group addresses in `addressSet`<4|6>. */
export function ovnAcl(r: BenchRule, pg: string, addressSet: string): { direction: 'to-lport' | 'from-lport'; match: string } {
  const ip = r.ethertype === 4 ? 'ip4' : 'ip6'
  const ingress = r.direction === 'ingress'
  const parts = [ingress ? `outport == @${pg}` : `inport == @${pg}`, ip]
  const side = `${ip}.${ingress ? 'src' : 'dst'}`
  if (r.remote !== undefined && 'prefix' in r.remote && !/^(0\.0\.0\.0|::)\/0$/.test(r.remote.prefix))
    parts.push(`${side} == ${r.remote.prefix}`)
  if (r.remote !== undefined && 'group' in r.remote) parts.push(`${side} == $${addressSet}${r.ethertype}`)
  if (r.protocol === 'icmp') {
    const icmp = r.ethertype === 4 ? 'icmp4' : 'icmp6'
    parts.push(icmp)
    if (r.min !== undefined) parts.push(`${icmp}.type == ${r.min}`)
    if (r.max !== undefined) parts.push(`${icmp}.code == ${r.max}`)
  } else if (r.protocol !== undefined) {
    parts.push(r.protocol)
    if (r.min !== undefined && r.min === r.max) parts.push(`${r.protocol}.dst == ${r.min}`)
    else if (r.min !== undefined) parts.push(`${r.protocol}.dst >= ${r.min} && ${r.protocol}.dst <= ${r.max ?? 65535}`)
  }
  return { direction: ingress ? 'to-lport' : 'from-lport', match: parts.join(' && ') }
}

/** Neutron's OVN driver: every port with port security in neutron_pg_drop, IP dropped both ways below the rules. */
export const OVN_DROP_PG = 'neutron_pg_drop'
export const OVN_DROP_ACLS = [
  { direction: 'from-lport', match: `inport == @${OVN_DROP_PG} && ip` },
  { direction: 'to-lport', match: `outport == @${OVN_DROP_PG} && ip` },
] as const
export const OVN_PRIORITY_ALLOW = 1002
export const OVN_PRIORITY_DROP = 1001
