// Subnets: CIDR and version checks, overlap within a network, gateway and pools (model/ipam.ts), prefixes from
// subnet pools, and the network's DHCP port, which holds one address on every DHCP-enabled subnet so that the
// distributed DHCP responder has a server address and MAC.
import { SUBNET_ATTRIBUTES } from '../../model/attributes/subnets.js'
import { DEVICE_OWNER_DHCP } from '../../model/attributes/ports.js'
import { ApiError } from '../../model/errors.js'
import { Cidr, tryParseIp } from '../../datapath/host/addresses.js'
import { type Pool, checkPools, defaultGateway, defaultPools, inCidr, inPools } from '../../model/ipam.js'
import { allocatePrefix } from '../../model/prefixes.js'
import { checkSubnetPoolAffinity } from '../../model/subnet-pool-affinity.js'
import { KEY_SPACES, TABLES, networkTopic, topicsFor } from '../../model/tables.js'
import type { Network, Port, Subnet, SubnetPool } from '../../model/types.js'
import type { RequestContext } from '../context.js'
import { type Row, now } from '../db.js'
import { deletePortOps, networkSubnets, writePort } from '../ipam.js'
import type { Neutron } from '../neutron.js'
import { findVisible } from '../policy/access.js'
import type { Input, Resource } from '../resource.js'
import { networks } from './networks.js'
import { subnetpools } from './subnetpools.js'

const invalid = (detail: string): ApiError => new ApiError('InvalidInput', { detail })

async function cidrFromPool(nb: Neutron, ctx: RequestContext, input: Input): Promise<{ cidr: string; poolId: string }> {
  let poolId = input.subnetpool_id as string | null | undefined
  if (!poolId && input.use_default_subnetpool) {
    const pools = await nb.db.list<SubnetPool>(TABLES.subnetpools)
    poolId = pools.find(p => p.value.is_default && p.value.ip_version === input.ip_version)?.id
    if (!poolId)
      throw new ApiError('BadRequest', { resource: 'subnets', detail: `No default subnetpool found for IPv${input.ip_version as number}` })
  }
  if (!poolId) throw new ApiError('BadRequest', { resource: 'subnets', detail: 'a cidr must be specified in the absence of a subnet pool' })
  const pool = await findVisible<SubnetPool>(nb, subnetpools, ctx, poolId)
  if (pool.value.ip_version !== input.ip_version)
    throw invalid(`Cannot allocate IPv${input.ip_version as number} subnet from IPv${pool.value.ip_version} subnet pool`)
  const len = (input.prefixlen as number | undefined) ?? pool.value.default_prefixlen
  if (len < pool.value.min_prefixlen || len > pool.value.max_prefixlen) {
    throw new ApiError('SubnetAllocationError', {
      reason: `Unsupported prefix length ${len}; the pool allows ${pool.value.min_prefixlen} to ${pool.value.max_prefixlen}`,
    })
  }
  const used = (await nb.db.list<Subnet>(TABLES.subnets)).filter(s => s.value.subnetpool_id === poolId).map(s => s.value.cidr)
  const cidr = allocatePrefix(pool.value.prefixes, used, len)
  if (!cidr) throw new ApiError('SubnetAllocationError', { reason: 'Insufficient prefix space to allocate subnet size /' + len })
  return { cidr, poolId }
}

function checkIpv6Modes(version: number, cidr: string, s: Input): void {
  const ra = s.ipv6_ra_mode as string | null,
    addr = s.ipv6_address_mode as string | null
  if (version === 4 && (ra || addr))
    throw invalid('ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False or ip_version is 4')
  if (ra && addr && ra !== addr)
    throw invalid(
      `ipv6_ra_mode set to '${ra}' with ipv6_address_mode set to '${addr}' is not valid. If both attributes are set, they must be the same value`,
    )
  const auto = addr === 'slaac' || addr === 'dhcpv6-stateless' || ra === 'slaac' || ra === 'dhcpv6-stateless'
  if (auto && Cidr.tryParse(cidr, { bareIsHost: true })?.length !== 64) {
    throw invalid(
      `Invalid CIDR ${cidr} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64`,
    )
  }
}

function checkGateway(cidr: string, gateway: string | null): void {
  if (gateway === null) return
  if (!inCidr(cidr, gateway)) throw invalid(`Gateway is not valid on subnet`)
  const c = Cidr.tryParse(cidr, { bareIsHost: true }),
    g = tryParseIp(gateway)
  if (c && g && c.family === 4 && c.length < 31 && (g.value === c.first || g.value === c.last)) {
    throw invalid(`Gateway ip ${gateway} conflicts with the network or broadcast address of subnet ${cidr}`)
  }
}

async function checkOverlap(nb: Neutron, networkId: string, cidr: string, selfId?: string): Promise<void> {
  const c = Cidr.tryParse(cidr, { bareIsHost: true })
  if (!c) return
  for (const s of await networkSubnets(nb, networkId)) {
    const o = Cidr.tryParse(s.value.cidr, { bareIsHost: true })
    if (s.id !== selfId && o && o.overlaps(c))
      throw invalid(`Requested subnet with cidr: ${cidr} for network: ${networkId} overlaps with another subnet`)
  }
}

async function dhcpPort(nb: Neutron, networkId: string): Promise<Row<Port> | undefined> {
  const ports = await nb.db.list<Port>(TABLES.ports, networkTopic(networkId))
  return ports.find(p => p.value.network_id === networkId && p.value.device_owner === DEVICE_OWNER_DHCP)
}

/** Gives the network's DHCP port an address on `subnet` (creating the port if needed), or takes it away. */
export async function syncDhcpPort(nb: Neutron, subnet: Subnet, want: boolean): Promise<void> {
  const existing = await dhcpPort(nb, subnet.network_id)
  if (!existing && !want) return
  if (existing) {
    const has = existing.value.fixed_ips.some(f => f.subnet_id === subnet.id)
    if (has === want) return
    const rest = existing.value.fixed_ips.filter(f => f.subnet_id !== subnet.id)
    if (!want && rest.length === 0) {
      await nb.db.transact(deletePortOps(existing.value))
      return
    }
    const requested = want ? [...existing.value.fixed_ips, { subnet_id: subnet.id }] : rest
    await writePort(nb, { port: { ...existing.value, updated_at: now() }, requested, previous: existing })
    return
  }
  const net = await nb.db.get<Network>(TABLES.networks, subnet.network_id)
  if (!net) return
  const key = await nb.db.allocateKey(KEY_SPACES.port)
  const port = {
    ...nb.stamp(net.value.project_id),
    name: '',
    network_id: subnet.network_id,
    admin_state_up: true,
    mac_address: '',
    fixed_ips: [],
    device_id: `dhcp-${subnet.network_id}`,
    device_owner: DEVICE_OWNER_DHCP,
    status: 'ACTIVE',
    security_groups: [],
    port_security_enabled: false,
    allowed_address_pairs: [],
    extra_dhcp_opts: [],
    'binding:host_id': '',
    'binding:vnic_type': 'normal',
    'binding:profile': {},
    'binding:vif_type': 'unbound',
    'binding:vif_details': {},
    dns_name: '',
    propagate_uplink_status: false,
    key,
  } as unknown as Port
  await writePort(nb, { port, requested: [{ subnet_id: subnet.id }] })
}

export const subnets: Resource<Subnet> = {
  collection: 'subnets',
  member: 'subnet',
  table: TABLES.subnets,
  attributes: SUBNET_ATTRIBUTES,
  notFound: 'SubnetNotFound',
  quota: 'subnet',

  async create(nb, ctx, input) {
    // may the caller make a subnet on it: policy/access.ts authorizeCreate (ownership, create_subnet)
    const net = await findVisible<Network>(nb, networks, ctx, input.network_id as string)
    const version = input.ip_version as 4 | 6
    let cidr = input.cidr as string | undefined
    let poolId = (input.subnetpool_id as string | null | undefined) ?? null
    if (cidr === undefined) ({ cidr, poolId } = await cidrFromPool(nb, ctx, input))
    const c = Cidr.tryParse(cidr, { bareIsHost: true })
    if (!c || c.family !== version) throw invalid(`Cidr ${cidr} does not match ip_version ${version}`)
    checkIpv6Modes(version, cidr, input)
    const gateway = input.gateway_ip === undefined ? defaultGateway(cidr) : (input.gateway_ip as string | null)
    checkGateway(cidr, gateway)
    let pools = input.allocation_pools as Pool[] | undefined
    if (pools) checkPools(cidr, pools, gateway)
    else pools = defaultPools(cidr, gateway)
    for (const ns of input.dns_nameservers as string[]) if (tryParseIp(ns) === undefined) throw invalid(`bad nameserver ${ns}`)
    if (new Set(input.dns_nameservers as string[]).size !== (input.dns_nameservers as string[]).length)
      throw invalid('Duplicate nameserver in dns_nameservers')
    await checkOverlap(nb, net.id, cidr)
    checkSubnetPoolAffinity(
      (await networkSubnets(nb, net.id)).map(s => s.value),
      { ip_version: version, subnetpool_id: poolId },
    )
    const { prefixlen: _p, use_default_subnetpool: _u, ...rest } = input
    const value = {
      ...nb.stamp(input.project_id as string),
      ...rest,
      cidr,
      gateway_ip: gateway,
      allocation_pools: pools,
      subnetpool_id: poolId,
      ip_version: version,
    } as unknown as Subnet
    // A subnet added or removed gives its network a new revision_number, as in Neutron.
    const topics = topicsFor(value.project_id, net.id)
    const written = await nb.db.transactWithRevisionBump(
      [{ op: 'create', table: TABLES.subnets, id: value.id, topics, value: value as unknown as Record<string, unknown> }],
      { table: TABLES.networks, id: net.id },
      () => new ApiError('NetworkNotFound', { id: net.id }),
    )
    const row = { id: value.id, version: written.find(w => w.id === value.id)?.version ?? 1, topics, value }
    if (value.enable_dhcp) await syncDhcpPort(nb, value, true)
    return row
  },

  async decorate(nb, _ctx, items) {
    // `shared` (filter-only) is the network's. A few networks are read one by one (a show, a create), many at once.
    const ids = [...new Set(items.map(i => i.network_id as string))]
    const rows =
      ids.length <= 8
        ? (await Promise.all(ids.map(id => nb.db.get<Network>(TABLES.networks, id)))).filter(n => n !== undefined)
        : await nb.db.list<Network>(TABLES.networks)
    const shared = new Map(rows.map(n => [n.id, n.value.shared]))
    for (const i of items) i.shared = shared.get(i.network_id as string) ?? false
  },

  async update(nb, _ctx, row, changes) {
    const s = row.value
    const gateway = changes.gateway_ip === undefined ? s.gateway_ip : (changes.gateway_ip as string | null)
    checkGateway(s.cidr, gateway)
    if (changes.allocation_pools !== undefined || changes.gateway_ip !== undefined) {
      checkPools(s.cidr, (changes.allocation_pools as Pool[] | undefined) ?? s.allocation_pools, gateway)
    }
    const updated = await nb.db.mutate<Subnet>(
      TABLES.subnets,
      row.id,
      cur => ({ ...cur.value, ...(changes as Partial<Subnet>), updated_at: now() }),
      () => new ApiError('SubnetNotFound', { id: row.id }),
    )
    if (changes.enable_dhcp !== undefined && changes.enable_dhcp !== s.enable_dhcp)
      await syncDhcpPort(nb, updated.value, updated.value.enable_dhcp)
    return updated
  },

  async remove(nb, _ctx, row) {
    const ports = (await nb.db.list<Port>(TABLES.ports, networkTopic(row.value.network_id))).filter(p =>
      p.value.fixed_ips.some(f => f.subnet_id === row.id),
    )
    if (ports.some(p => p.value.device_owner !== DEVICE_OWNER_DHCP)) {
      throw new ApiError('SubnetInUse', { subnet_id: row.id, reason: 'One or more ports have an IP allocation from this subnet' })
    }
    await syncDhcpPort(nb, row.value, false)
    await nb.db.transactWithRevisionBump(
      [{ op: 'delete', table: TABLES.subnets, id: row.id }],
      { table: TABLES.networks, id: row.value.network_id },
      () => new ApiError('SubnetNotFound', { id: row.id }),
    )
  },
}

export function subnetHasAddress(s: Subnet, ip: string): boolean {
  return inCidr(s.cidr, ip) || inPools(s.allocation_pools, ip)
}
