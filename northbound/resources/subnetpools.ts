// Subnet pools (subnet_allocation): prefixes of one IP version, prefix length bounds; subnets may take a CIDR
// from a pool (see subnets.ts). A pool in use by subnets cannot be deleted.
import { SUBNETPOOL_ATTRIBUTES, showPrefixlens } from '../../model/attributes/subnetpools.js'
import { ApiError } from '../../model/errors.js'
import { Cidr, bitsOf } from '../../datapath/host/addresses.js'
import { TABLES, topicsFor } from '../../model/tables.js'
import type { Subnet, SubnetPool } from '../../model/types.js'
import { now } from '../db.js'
import type { Input, Resource } from '../resource.js'

const invalid = (detail: string): ApiError => new ApiError('InvalidInput', { detail })

function normalize(input: Input, prev?: SubnetPool): Partial<SubnetPool> {
  const prefixes = (input.prefixes as string[] | undefined) ?? prev?.prefixes ?? []
  const cidrs = prefixes.map(p => Cidr.tryParse(p, { bareIsHost: true }))
  const version = cidrs[0]?.family
  if (!version || cidrs.some(c => c?.family !== version))
    throw invalid('Illegal subnetpool association: prefixes must all be of one IP version')
  if (prev && prev.ip_version !== version) throw invalid('Cannot change the IP version of a subnet pool')
  // A pool may grow but never lose address space (Neutron refuses shrinking prefixes).
  if (prev && input.prefixes) {
    for (const old of prev.prefixes) {
      const o = Cidr.tryParse(old, { bareIsHost: true })
      if (o && !cidrs.some(c => c && c.overlaps(o) && c.length <= o.length))
        throw invalid(`Illegal update to prefixes: ${old} is no longer covered`)
    }
  }
  const max = bitsOf(version)
  const minPrefix = Math.min(...cidrs.map(c => c?.length ?? max))
  const min = (input.min_prefixlen as number | undefined) ?? prev?.min_prefixlen ?? (version === 4 ? 8 : 64)
  const maxLen = (input.max_prefixlen as number | undefined) ?? prev?.max_prefixlen ?? max
  const def = (input.default_prefixlen as number | undefined) ?? prev?.default_prefixlen ?? min
  if (maxLen > max) throw invalid(`max_prefixlen ${maxLen} is larger than ${max}`)
  if (!(min <= def && def <= maxLen))
    throw invalid(`Illegal prefix bounds: min_prefixlen=${min}, default_prefixlen=${def}, max_prefixlen=${maxLen}`)
  if (min < minPrefix && input.min_prefixlen !== undefined)
    throw invalid(`min_prefixlen ${min} is smaller than the pool's prefixes (/${minPrefix})`)
  return { prefixes, ip_version: version, min_prefixlen: Math.max(min, 0), max_prefixlen: maxLen, default_prefixlen: def }
}

export const subnetpools: Resource<SubnetPool> = {
  collection: 'subnetpools',
  member: 'subnetpool',
  table: TABLES.subnetpools,
  attributes: SUBNETPOOL_ATTRIBUTES,
  notFound: 'SubnetPoolNotFound',
  quota: 'subnetpool',

  async create(nb, _ctx, input) {
    const value = { ...nb.stamp(input.project_id as string), ...input, ...normalize(input) } as unknown as SubnetPool
    return nb.db.create<SubnetPool>(TABLES.subnetpools, value.id, value, topicsFor(value.project_id))
  },

  async update(nb, _ctx, row, changes) {
    const extra = normalize(changes, row.value)
    return nb.db.mutate<SubnetPool>(
      TABLES.subnetpools,
      row.id,
      cur => ({ ...cur.value, ...(changes as Partial<SubnetPool>), ...extra, updated_at: now() }),
      () => new ApiError('SubnetPoolNotFound', { id: row.id }),
    )
  },

  async remove(nb, _ctx, row) {
    const used = (await nb.db.list<Subnet>(TABLES.subnets)).some(s => s.value.subnetpool_id === row.id)
    if (used) throw new ApiError('SubnetPoolInUse', { subnet_pool_id: row.id, reason: 'Subnet pool has existing allocations' })
    await nb.db.transact([{ op: 'delete', table: TABLES.subnetpools, id: row.id }])
  },

  async decorate(_nb, _ctx, items) {
    for (const i of items) showPrefixlens(i)
  },
}
