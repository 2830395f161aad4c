// Networks: provider attributes, the datapath tunnel key, MTU per network type, NetworkInUse on delete while
// ports remain. Who sees or changes which network (shared, external, provider:*) is the policy's (policy/).
import { MAX_SEGMENTATION_ID, NETWORK_ATTRIBUTES } from '../../model/attributes/networks.js'
import { DEVICE_OWNER_DHCP } from '../../model/attributes/ports.js'
import { ApiError } from '../../model/errors.js'
import { KEY_SPACES, TABLES, ipAllocationId, macAllocationId, networkTopic, segmentId, topicsFor } from '../../model/tables.js'
import type { FloatingIp, Network, Port, Subnet } from '../../model/types.js'
import type { TxOp } from '../../store/types.js'
import { type Row, isStoreError, now } from '../db.js'
import type { Neutron } from '../neutron.js'
import type { Input, Resource } from '../resource.js'
import { networkGrants, networkSeenBy } from '../policy/access.js'
import { RBAC_WILDCARD, type RbacPolicy } from '../../model/attributes/rbac-policies.js'
import { type PolicyChange, changeNetworkPolicies, initialPolicyOps, newPolicy } from './rbac-policies.js'

/** The type a tenant network gets when no provider attributes are given (Geneve, as OVN does). */
export const DEFAULT_NETWORK_TYPE = 'geneve'
/** Physical MTU assumed for the underlay; overlay MTUs subtract the encapsulation (RFC 8926 / RFC 7348 headers over IPv4). */
export const PHYSICAL_MTU = 1500
// GRE: outer IPv4 20 + GRE header with the Key field 8 (RFC 2890) + inner Ethernet 14, as Neutron's 42.
const OVERHEAD: Record<string, number> = { geneve: 58, vxlan: 50, gre: 42, vlan: 0, flat: 0, local: 0 }
/** Segmentation id ranges of the tunnel types, as ML2's type drivers: a 24-bit VNI, a 32-bit GRE key. */
const TUNNEL_ID_MAX: Record<string, number> = { vxlan: 0xffffff, geneve: 0xffffff, gre: MAX_SEGMENTATION_ID }

export function maxMtu(type: string): number {
  return PHYSICAL_MTU - (OVERHEAD[type] ?? 0)
}

interface Segment {
  type: string
  physnet: string | null
  segId: number | null
  userSegId: boolean
}

/** Checks provider:* as ML2 does per type driver, with its messages. */
function planSegment(input: Input): Segment {
  const type = (input['provider:network_type'] as string | undefined) ?? DEFAULT_NETWORK_TYPE
  const physnet = (input['provider:physical_network'] as string | null | undefined) ?? null
  const segId = (input['provider:segmentation_id'] as number | null | undefined) ?? null
  const bad = (detail: string): ApiError => new ApiError('InvalidInput', { detail })
  if (input['provider:network_type'] === undefined && (physnet !== null || segId !== null)) {
    throw bad('provider:network_type required')
  }
  switch (type) {
    case 'flat':
      if (!physnet) throw bad('physical_network required for flat provider network')
      if (segId !== null) throw bad('segmentation_id specified for flat provider network')
      break
    case 'vlan':
      if (!physnet) throw bad('physical_network required for VLAN provider network')
      if (segId !== null && (segId < 1 || segId > 4094)) throw bad(`segmentation_id out of range (1 through 4094)`)
      if (segId === null) throw bad('segmentation_id required for VLAN provider network')
      break
    case 'vxlan':
    case 'geneve':
    case 'gre': {
      if (physnet) throw bad(`provider:physical_network specified for ${type} network`)
      const max = TUNNEL_ID_MAX[type] ?? 0
      if (segId !== null && (segId < 1 || segId > max)) throw bad(`segmentation_id out of range (1 through ${max})`)
      break
    }
    case 'local':
      if (physnet || segId !== null) throw bad('local provider network does not take physical_network or segmentation_id')
      break
  }
  return { type, physnet, segId, userSegId: segId !== null }
}

function segmentOp(seg: Segment, networkId: string, projectId: string): TxOp | undefined {
  if (seg.type === 'local') return undefined
  return {
    op: 'create',
    table: TABLES.segments,
    id: segmentId(seg.type, seg.physnet, seg.segId),
    topics: topicsFor(projectId),
    value: { network_id: networkId },
  }
}

export const networks: Resource<Network> = {
  collection: 'networks',
  member: 'network',
  table: TABLES.networks,
  attributes: NETWORK_ATTRIBUTES,
  notFound: 'NetworkNotFound',
  quota: 'network',

  async create(nb, _ctx, input) {
    const seg = planSegment(input)
    const mtu = (input.mtu as number | undefined) ?? maxMtu(seg.type)
    if (mtu > maxMtu(seg.type)) throw new ApiError('InvalidInput', { detail: `Requested MTU is too big, maximum is ${maxMtu(seg.type)}` })
    const project = input.project_id as string
    for (let attempt = 0; ; attempt++) {
      const key = await nb.db.allocateKey(KEY_SPACES.network)
      // Tunnel networks use the datapath key as their VNI unless the admin chose one.
      const segId = seg.segId ?? (TUNNEL_ID_MAX[seg.type] !== undefined ? key : null)
      const value = {
        ...nb.stamp(project),
        ...(input as Partial<Network>),
        name: input.name as string,
        status: 'ACTIVE',
        mtu,
        'provider:network_type': seg.type,
        'provider:physical_network': seg.physnet,
        'provider:segmentation_id': segId,
        key,
      } as Network
      const ops: TxOp[] = [
        {
          op: 'create',
          table: TABLES.networks,
          id: value.id,
          topics: topicsFor(project, value.id),
          value: value as unknown as Record<string, unknown>,
        },
      ]
      const segOp = segmentOp({ ...seg, segId }, value.id, project)
      if (segOp) ops.push(segOp)
      // shared and router:external are '*' RBAC policies, as Neutron creates them with the network.
      ops.push(...initialPolicyOps(value))
      try {
        await nb.db.transact(ops)
      } catch (err) {
        if (!isStoreError(err, 'already_exists')) throw err
        if (seg.userSegId || attempt > 20) {
          const kind =
            seg.type === 'vlan'
              ? `VLAN ${segId} on physical network ${seg.physnet} `
              : seg.type === 'flat'
                ? `physical network ${seg.physnet}`
                : 'tunnel ID'
          if (seg.type === 'vlan')
            throw new ApiError('Conflict', {
              detail: `Unable to create the network. The VLAN ${segId} on physical network ${seg.physnet} is in use.`,
            })
          if (seg.type === 'flat')
            throw new ApiError('Conflict', { detail: `Unable to create the flat network. Physical network ${seg.physnet} is in use.` })
          throw new ApiError('SegmentationIdInUse', { kind, segmentation_id: segId })
        }
        continue
      }
      const row = await nb.db.get<Network>(TABLES.networks, value.id)
      if (!row) throw new ApiError('NetworkNotFound', { id: value.id })
      return row
    }
  },

  async update(nb, _ctx, row, changes) {
    const type = row.value['provider:network_type']
    if (changes.mtu !== undefined && (changes.mtu as number) > maxMtu(type)) {
      throw new ApiError('InvalidInput', { detail: `Requested MTU is too big, maximum is ${maxMtu(type)}` })
    }
    const policyChange = await flagPolicyChange(nb, row, changes)
    if (policyChange) await changeNetworkPolicies(nb, row.id, policyChange)
    const rest: Input = { ...changes }
    // The flags were just written from the policies; a network stored without policies keeps them as given.
    if (policyChange) {
      delete rest.shared
      delete rest['router:external']
    }
    return nb.db.mutate<Network>(
      TABLES.networks,
      row.id,
      cur => ({ ...cur.value, ...(rest as Partial<Network>), updated_at: now() }),
      () => new ApiError('NetworkNotFound', { id: row.id }),
    )
  },

  async remove(nb, _ctx, row) {
    await deleteNetwork(nb, row)
  },

  async decorate(nb, ctx, items) {
    // `shared` is as the caller sees it (Neutron's _make_network_dict): true where a policy shares it with them.
    const grants = await networkGrants(nb)
    for (const i of items) i.shared = networkSeenBy(i, grants, ctx.projectId).shared
    const subnets = await nb.db.list<Subnet>(TABLES.subnets)
    const byNet = new Map<string, string[]>()
    for (const s of subnets) byNet.set(s.value.network_id, [...(byNet.get(s.value.network_id) ?? []), s.id])
    for (const i of items) {
      i.subnets = byNet.get(i.id as string) ?? []
      i.availability_zones = []
      i.ipv4_address_scope = null
      i.ipv6_address_scope = null
      i.l2_adjacency = true
    }
  },
}

/**
 * What setting shared / router:external does to the network's RBAC policies (Neutron): shared=true adds the '*'
 * access_as_shared policy, false removes it; router:external=true adds a '*' access_as_external policy unless the
 * network is already external, false removes every access_as_external policy. Undefined when nothing changes.
 */
async function flagPolicyChange(nb: Neutron, row: Row<Network>, changes: Input): Promise<PolicyChange | undefined> {
  const policies = (await nb.db.list<RbacPolicy>(TABLES.rbacPolicies, networkTopic(row.id)))
    .map(r => r.value)
    .filter(p => p.object_id === row.id)
  const add: RbacPolicy[] = [],
    remove: string[] = []
  const wildcard = (action: string): RbacPolicy =>
    newPolicy({ networkId: row.id, action, target: RBAC_WILDCARD, projectId: row.value.project_id })
  const sharedAll = policies.filter(p => p.action === 'access_as_shared' && p.target_tenant === RBAC_WILDCARD)
  if (changes.shared === true && sharedAll.length === 0) add.push(wildcard('access_as_shared'))
  if (changes.shared === false) remove.push(...sharedAll.map(p => p.id))
  const external = policies.filter(p => p.action === 'access_as_external')
  if (changes['router:external'] === true && external.length === 0) add.push(wildcard('access_as_external'))
  if (changes['router:external'] === false) remove.push(...external.map(p => p.id))
  return add.length || remove.length ? { add, remove } : undefined
}

/** Status of a network while a delete decides; port creates that see it back out (see ports.ts). */
export const NETWORK_DELETING = 'DELETING'

/**
 * Deletes a network with its subnets and DHCP ports in one transaction; any other port is NetworkInUse.
 * Port creates do not write the network (they would serialize on it), so the delete first marks the network
 * DELETING and only then lists its ports: a port committed before the mark is seen by the list (NetworkInUse),
 * a port whose creator reads the network after the mark removes itself.
 */
async function deleteNetwork(nb: Neutron, row: Row<Network>): Promise<void> {
  const missing = (): ApiError => new ApiError('NetworkNotFound', { id: row.id })
  await nb.db.mutate<Network>(TABLES.networks, row.id, cur => ({ ...cur.value, status: NETWORK_DELETING }), missing)
  try {
    const ports = (await nb.db.list<Port>(TABLES.ports, networkTopic(row.id))).filter(p => p.value.network_id === row.id)
    // Floating IPs on the network that no port uses go with it (Neutron's delete_disassociated_floatingips).
    const freeFips = (await nb.db.list<FloatingIp>(TABLES.floatingips)).filter(
      f => f.value.floating_network_id === row.id && !f.value.port_id,
    )
    const fipPorts = new Set(freeFips.map(f => f.value.floating_port_id))
    if (ports.some(p => p.value.device_owner !== DEVICE_OWNER_DHCP && !fipPorts.has(p.id)))
      throw new ApiError('NetworkInUse', { net_id: row.id })
    const subnets = (await nb.db.list<Subnet>(TABLES.subnets, networkTopic(row.id))).filter(s => s.value.network_id === row.id)
    const ops: TxOp[] = []
    for (const p of ports) {
      ops.push({ op: 'delete', table: TABLES.ports, id: p.id })
      ops.push({ op: 'delete', table: TABLES.macAllocations, id: macAllocationId(row.id, p.value.mac_address) })
      for (const f of p.value.fixed_ips)
        ops.push({ op: 'delete', table: TABLES.ipAllocations, id: ipAllocationId(f.subnet_id, f.ip_address) })
    }
    for (const s of subnets) ops.push({ op: 'delete', table: TABLES.subnets, id: s.id })
    for (const f of freeFips) ops.push({ op: 'delete', table: TABLES.floatingips, id: f.id })
    for (const p of await nb.db.list<RbacPolicy>(TABLES.rbacPolicies, networkTopic(row.id))) {
      if (p.value.object_id === row.id) ops.push({ op: 'delete', table: TABLES.rbacPolicies, id: p.id })
    }
    const n = row.value
    if (n['provider:network_type'] !== 'local') {
      const segId = segmentId(n['provider:network_type'], n['provider:physical_network'], n['provider:segmentation_id'])
      if (await nb.db.get(TABLES.segments, segId)) ops.push({ op: 'delete', table: TABLES.segments, id: segId })
    }
    ops.push({ op: 'delete', table: TABLES.networks, id: row.id })
    try {
      await nb.db.transact(ops)
    } catch (err) {
      // Something in the plan changed meanwhile (a concurrent delete): report the network as busy; the client retries.
      if (isStoreError(err, 'version_conflict') || isStoreError(err, 'not_found')) throw new ApiError('NetworkInUse', { net_id: row.id })
      throw err
    }
  } catch (err) {
    await nb.db
      .mutate<Network>(
        TABLES.networks,
        row.id,
        cur => (cur.value.status === NETWORK_DELETING ? { ...cur.value, status: 'ACTIVE' } : undefined),
        missing,
      )
      .catch(() => undefined)
    throw err
  }
}
