// Writing a port with its addresses, atomically. Every fixed IP has an allocation record (subnet, address)
// and every MAC a record (network, mac), created in the same store transaction as the port: if two requests
// pick the same address, the second transaction fails with `already_exists` and is retried with another
// address (or answered 409 when the client asked for that address). Addresses being tried by this process
// are held in `inFlight`, so concurrent creates here do not even collide.
import { DEVICE_OWNER_ROUTER_INTF, DEVICE_OWNER_ROUTER_GW } from '../model/attributes/ports.js'
import { ApiError } from '../model/errors.js'
import { eui64Address, inCidr, pickAddress } from '../model/ipam.js'
import { parseIp } from '../model/ip.js'
import { randomMac } from '../model/mac.js'
import { TABLES, ipAllocationId, macAllocationId, networkTopic, topicsFor } from '../model/tables.js'
import type { FixedIp, IpAllocation, Port, Subnet } from '../model/types.js'
import type { StoredObject, TxOp } from '../store/types.js'
import { type Row, asRow, isStoreError } from './db.js'
import type { Neutron } from './neutron.js'

export interface IpRequest { subnet_id?: string; ip_address?: string }

const inFlight = new Map<string, Set<string>>()

function hold(subnetId: string, ip: string): void {
  const s = inFlight.get(subnetId) ?? new Set<string>()
  s.add(ip)
  inFlight.set(subnetId, s)
}

function release(fixed: FixedIp[]): void {
  for (const f of fixed) {
    const s = inFlight.get(f.subnet_id)
    s?.delete(f.ip_address)
    if (s && s.size === 0) inFlight.delete(f.subnet_id)
  }
}

// What this process believes is allocated, per network (allocation id -> port id). Only a hint for choosing
// addresses: the store's create of the allocation record is the arbiter. It is refreshed from the store when a
// transaction collides or the pools look exhausted, and client-chosen addresses are checked in the store.
const usedCache = new WeakMap<Neutron, Map<string, Map<string, string>>>()
/** Networks a port was deleted from since their hint was read: read it again (the delete freed addresses). */
const releasedOn = new Set<string>()

async function usedAddresses(nb: Neutron, networkId: string, refresh: boolean): Promise<Map<string, string>> {
  let perNet = usedCache.get(nb)
  if (!perNet) { perNet = new Map(); usedCache.set(nb, perNet) }
  let used = perNet.get(networkId)
  if (!used || refresh || releasedOn.delete(networkId)) {
    const allocations = await nb.db.list<IpAllocation>(TABLES.ipAllocations, networkTopic(networkId))
    used = new Map(allocations.map(a => [a.id, a.value.port_id]))
    perNet.set(networkId, used)
  }
  return used
}

/** Reads the records of client-chosen addresses from the store, so a stale hint never decides a 409. */
async function checkExplicit(nb: Neutron, used: Map<string, string>, subnets: Subnet[], requested: IpRequest[] | undefined): Promise<void> {
  for (const r of requested ?? []) {
    if (r.ip_address === undefined) continue
    for (const s of subnets) {
      if (r.subnet_id !== undefined ? s.id !== r.subnet_id : !inCidr(s.cidr, r.ip_address)) continue
      const id = ipAllocationId(s.id, r.ip_address)
      const rec = await nb.db.get<IpAllocation>(TABLES.ipAllocations, id)
      if (rec) used.set(id, rec.value.port_id)
      else used.delete(id)
    }
  }
}

export async function networkSubnets(nb: Neutron, networkId: string): Promise<Row<Subnet>[]> {
  const rows = await nb.db.list<Subnet>(TABLES.subnets, networkTopic(networkId))
  return rows.filter(s => s.value.network_id === networkId).sort((a, b) => (a.value.created_at < b.value.created_at ? -1 : a.value.created_at > b.value.created_at ? 1 : a.id < b.id ? -1 : 1))
}

interface Plan { fixed: FixedIp[]; explicit: Set<string> }

/**
 * Per subnet, a mark below which every pool address was taken when this process last allocated there: the
 * next first-fit scan starts at it, so allocating the N-th address does not scan the N-1 before it (O(N^2)
 * for a network filled port by port). An address released here lowers the mark again; one released by another
 * API process sharing the store is found again once the pools look exhausted from the mark (writePort then
 * rescans from the start), so the mark can only cost first-fit order, never an address.
 */
const scanMarks = new Map<string, bigint>()

function markAllocated(subnetId: string, ip: string): void {
  const v = parseIp(ip)?.value
  if (v !== undefined && v + 1n > (scanMarks.get(subnetId) ?? 0n)) scanMarks.set(subnetId, v + 1n)
}

/** Addresses that are (or are about to be) free again: a later first-fit scan must see them. */
function markReleased(fixed: readonly FixedIp[]): void {
  for (const f of fixed) {
    const v = parseIp(f.ip_address)?.value
    const mark = scanMarks.get(f.subnet_id)
    if (v !== undefined && mark !== undefined && v < mark) scanMarks.set(f.subnet_id, v)
  }
}

/** Chooses the addresses of a port (Neutron's rules), given what is allocated now. */
function planAddresses(opts: {
  networkId: string
  subnets: Subnet[]
  requested?: IpRequest[]
  keep: FixedIp[]
  used: Map<string, string>
  portId: string
  deviceOwner: string
  mac: string
}): Plan {
  const { subnets, used, portId } = opts
  const explicit = new Set<string>()
  const fixed: FixedIp[] = []
  const taken = (subnetId: string) => (ip: string): boolean => {
    const owner = used.get(ipAllocationId(subnetId, ip))
    const s = subnets.find(x => x.id === subnetId)
    return (owner !== undefined && owner !== portId) || !!inFlight.get(subnetId)?.has(ip) || s?.gateway_ip === ip || fixed.some(f => f.subnet_id === subnetId && f.ip_address === ip)
  }
  const allocate = (s: Subnet): void => {
    const ip = pickAddress(s.allocation_pools, taken(s.id), scanMarks.get(s.id))
    if (!ip) throw new ApiError('IpAddressGenerationFailure', { net_id: opts.networkId })
    markAllocated(s.id, ip) // even if the commit fails: an address below the mark is then found on exhaustion
    fixed.push({ subnet_id: s.id, ip_address: ip })
  }
  if (opts.requested === undefined) {
    // Neutron's default: an address from the first IPv4 subnet with room, one from a stateful IPv6 subnet,
    // and one from every SLAAC/stateless subnet.
    const v4 = subnets.filter(s => s.ip_version === 4)
    const v6auto = subnets.filter(s => s.ip_version === 6 && (s.ipv6_address_mode === 'slaac' || s.ipv6_address_mode === 'dhcpv6-stateless'))
    const v6state = subnets.filter(s => s.ip_version === 6 && !v6auto.includes(s))
    for (const group of [v4, v6state]) {
      const s = group.find(x => pickAddress(x.allocation_pools, taken(x.id), scanMarks.get(x.id)) !== undefined)
      if (s) allocate(s)
      else if (group.length) throw new ApiError('IpAddressGenerationFailure', { net_id: opts.networkId })
    }
    // SLAAC and stateless subnets: the address the host derives itself from its MAC (EUI-64).
    for (const s of v6auto) {
      const ip = eui64Address(s.cidr, opts.mac)
      if (ip && !taken(s.id)(ip)) fixed.push({ subnet_id: s.id, ip_address: ip })
      else allocate(s)
    }
    return { fixed, explicit }
  }
  for (const r of opts.requested) {
    let subnet: Subnet | undefined
    if (r.subnet_id !== undefined) {
      subnet = subnets.find(s => s.id === r.subnet_id)
      if (!subnet) {
        throw new ApiError('InvalidInput', { detail: `Failed to create port on network ${opts.networkId}, because fixed_ips included invalid subnet ${r.subnet_id}` })
      }
      if (r.ip_address !== undefined && !inCidr(subnet.cidr, r.ip_address)) throw new ApiError('InvalidIpForSubnet', { ip_address: r.ip_address })
    } else if (r.ip_address !== undefined) {
      subnet = subnets.find(s => inCidr(s.cidr, r.ip_address as string))
      if (!subnet) throw new ApiError('InvalidIpForNetwork', { ip_address: r.ip_address })
    } else {
      throw new ApiError('InvalidInput', { detail: 'fixed_ips: each entry needs a subnet_id or an ip_address' })
    }
    if (r.ip_address === undefined) { allocate(subnet); continue }
    const ip = r.ip_address
    const kept = opts.keep.some(k => k.subnet_id === subnet.id && k.ip_address === ip)
    const routerOwned = opts.deviceOwner === DEVICE_OWNER_ROUTER_INTF || opts.deviceOwner === DEVICE_OWNER_ROUTER_GW
    if (!kept && (taken(subnet.id)(ip) && !(routerOwned && subnet.gateway_ip === ip && !used.has(ipAllocationId(subnet.id, ip))))) {
      throw new ApiError('IpAddressAlreadyAllocated', { ip, subnet_id: subnet.id })
    }
    if (fixed.some(f => f.subnet_id === subnet.id && f.ip_address === ip)) throw new ApiError('IpAddressAlreadyAllocated', { ip, subnet_id: subnet.id })
    explicit.add(ipAllocationId(subnet.id, ip))
    fixed.push({ subnet_id: subnet.id, ip_address: ip })
  }
  return { fixed, explicit }
}

export interface WritePortOptions {
  /** The port as it will be stored, fixed_ips and mac_address aside. */
  port: Port
  /** Undefined: Neutron's default allocation; [] for no address. */
  requested?: IpRequest[]
  /** For an update: the stored row (its addresses are released or kept). */
  previous?: Row<Port>
  /** MAC asked for by the client (409 when in use), else one is generated (or kept on update). */
  mac?: string
  /** More operations committed with the port (e.g. the router an interface belongs to). */
  extraOps?: (port: Port) => TxOp[]
}

/** Creates or updates a port and its allocation records in one transaction; returns the stored port. */
export async function writePort(nb: Neutron, opts: WritePortOptions): Promise<Row<Port>> {
  const { port, previous } = opts
  const netId = port.network_id
  let refresh = false
  for (let attempt = 0; ; attempt++) {
    const subnets = (await networkSubnets(nb, netId)).map(s => s.value)
    const used = await usedAddresses(nb, netId, refresh)
    const keep = previous?.value.fixed_ips ?? []
    const requested = opts.requested ?? (previous ? keep : undefined)
    await checkExplicit(nb, used, subnets, requested)
    const mac = opts.mac ?? previous?.value.mac_address ?? randomMac()
    let plan: Plan
    try {
      plan = planAddresses({ networkId: netId, subnets, requested, keep, used, portId: port.id, deviceOwner: port.device_owner, mac })
    } catch (err) {
      // Exhausted according to the hint and the marks: look at the store, from the start, before saying so.
      if (err instanceof ApiError && err.type === 'IpAddressGenerationFailure' && !refresh) {
        refresh = true
        for (const s of subnets) scanMarks.delete(s.id)
        continue
      }
      throw err
    }
    refresh = false
    for (const f of plan.fixed) hold(f.subnet_id, f.ip_address)
    const pairs = (port.allowed_address_pairs ?? []).map(a => ({ ...a, mac_address: a.mac_address ?? mac }))
    const value: Port = { ...port, fixed_ips: plan.fixed, mac_address: mac, allowed_address_pairs: pairs }
    const topics = topicsFor(port.project_id, netId)
    const ops: TxOp[] = []
    if (previous) ops.push({ op: 'update', table: TABLES.ports, id: port.id, version: previous.version, topics, value: value as unknown as Record<string, unknown> })
    else ops.push({ op: 'create', table: TABLES.ports, id: port.id, topics, value: value as unknown as Record<string, unknown> })
    const had = new Set(keep.map(f => ipAllocationId(f.subnet_id, f.ip_address)))
    const has = new Set(plan.fixed.map(f => ipAllocationId(f.subnet_id, f.ip_address)))
    for (const f of plan.fixed) {
      const id = ipAllocationId(f.subnet_id, f.ip_address)
      if (had.has(id)) continue
      const rec: IpAllocation = { subnet_id: f.subnet_id, network_id: netId, ip_address: f.ip_address, port_id: port.id }
      ops.push({ op: 'create', table: TABLES.ipAllocations, id, topics: [networkTopic(netId)], value: rec as unknown as Record<string, unknown> })
    }
    for (const id of had) if (!has.has(id)) ops.push({ op: 'delete', table: TABLES.ipAllocations, id })
    if (!previous || previous.value.mac_address !== mac) {
      ops.push({ op: 'create', table: TABLES.macAllocations, id: macAllocationId(netId, mac), topics: [networkTopic(netId)], value: { network_id: netId, mac_address: mac, port_id: port.id } })
      if (previous) ops.push({ op: 'delete', table: TABLES.macAllocations, id: macAllocationId(netId, previous.value.mac_address) })
    }
    if (opts.extraOps) ops.push(...opts.extraOps(value))
    let written: StoredObject[]
    try {
      written = await nb.db.transact(ops)
    } catch (err) {
      if (isStoreError(err, 'version_conflict') && previous) throw new ApiError('Conflict', { detail: `Port ${port.id} was changed concurrently; retry` })
      if (!isStoreError(err, 'already_exists') || attempt >= 20) throw err
      // Find out which record collided: a client-chosen address or MAC is a 409, a chosen-by-us one a retry.
      for (const id of plan.explicit) {
        const rec = await nb.db.get<IpAllocation>(TABLES.ipAllocations, id)
        if (rec && rec.value.port_id !== port.id) throw new ApiError('IpAddressAlreadyAllocated', { ip: rec.value.ip_address, subnet_id: rec.value.subnet_id })
      }
      if (opts.mac !== undefined && opts.mac !== previous?.value.mac_address && await nb.db.get(TABLES.macAllocations, macAllocationId(netId, opts.mac))) {
        throw new ApiError('MacAddressInUse', { net_id: netId, mac: opts.mac })
      }
      if (!previous && await nb.db.get(TABLES.ports, port.id)) throw err
      refresh = true
      continue
    } finally {
      release(plan.fixed)
    }
    for (const id of had) if (!has.has(id)) used.delete(id)
    for (const id of has) used.set(id, port.id)
    markReleased(keep.filter(f => !has.has(ipAllocationId(f.subnet_id, f.ip_address))))
    const stored = written.find(o => o.table === TABLES.ports && o.id === port.id)
    if (!stored) throw new ApiError('PortNotFound', { id: port.id })
    return asRow<Port>(stored)
  }
}

/** The operations that delete a port with its allocation records. */
export function deletePortOps(port: Port): TxOp[] {
  markReleased(port.fixed_ips)
  releasedOn.add(port.network_id)
  return [
    { op: 'delete', table: TABLES.ports, id: port.id },
    { op: 'delete', table: TABLES.macAllocations, id: macAllocationId(port.network_id, port.mac_address) },
    ...port.fixed_ips.map(f => ({ op: 'delete' as const, table: TABLES.ipAllocations, id: ipAllocationId(f.subnet_id, f.ip_address) })),
  ]
}
