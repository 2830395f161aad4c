// The services shared by the resource modules: typed store access, the server's access policy, quotas and rendering of stored objects into API dictionaries.
import { randomUUID } from 'node:crypto'
import { ApiError } from '../model/errors.js'
import { DEFAULT_QUOTAS } from '../model/quotas.js'
import { TABLES, projectTopic } from '../model/tables.js'
import type { Store } from '../store/types.js'
import { DEFAULT_AGENT_DOWN_MS } from '../agent/controller/heartbeat.js'
import { Db, type Row, now } from './db.js'
import { Policy } from './policy/engine.js'
import type { Item } from './query.js'
import type { Resource } from './resource.js'

/** Quota bookkeeping of one project and table in this process (Neutron.withinQuota). */
interface QuotaCount {
  /** creates that passed their check and have not finished */
  reserved: number
  /** commit sequence of this process */
  seq: number
  /** counts in progress -> the commit sequence when they started */
  counting: Map<symbol, number>
  /** recent commits, oldest first */
  committed: { seq: number; id: string }[]
}

export class Neutron {
  private readonly quotaCounts = new Map<string, QuotaCount>()
  readonly db: Db
  /** The access rules this server enforces (policy/access.ts asks them); Neutron's defaults unless given. */
  readonly policy: Policy
  /** Neutron's agent_down_time, ms: a chassis whose last heartbeat is older is down (resources/agents.ts) */
  readonly agentDownMs: number

  constructor(
    readonly store: Store,
    opts: { policy?: Policy | undefined; agentDownMs?: number | undefined } = {},
  ) {
    this.db = new Db(store)
    this.policy = opts.policy ?? Policy.create()
    this.agentDownMs = opts.agentDownMs ?? DEFAULT_AGENT_DOWN_MS
  }

  async quotaLimits(projectId: string): Promise<Record<string, number>> {
    const row = await this.db.get<Record<string, number>>(TABLES.quotas, projectId)
    return { ...DEFAULT_QUOTAS, ...(row?.value ?? {}) }
  }

  async usage(projectId: string, table: string): Promise<number> {
    return (await this.ownedIds(projectId, table)).size
  }

  /** Ids of the objects of `table` that belong to the project (its topic is derived from project_id; no copies). */
  private async ownedIds(projectId: string, table: string): Promise<Set<string>> {
    return new Set(await this.db.ids(table, projectTopic(projectId)))
  }

  /**
   * Runs `create` (which stores one object of `opts.table` for the project) unless that would pass the project's
   * `opts.resource` quota (409 OverQuota; -1: unlimited). Exact among the creates of this process, which is what
   * `serve` and a single `api` run: checks are synchronous steps, so they happen one after the other; a create that
   * passed its check counts for the others until its commit (reserved), and one that committed while another was
   * counting is added to that count unless the listing already showed it. Several API processes sharing a store
   * each know only their own reservations (northbound/README.md).
   */
  async withinQuota<T>(
    projectId: string,
    opts: { resource: string; table: string },
    create: () => Promise<T & { id: string }>,
  ): Promise<T & { id: string }> {
    const limit = (await this.quotaLimits(projectId))[opts.resource]
    if (limit === undefined || limit < 0) return create()
    const key = `${projectId}\u0000${opts.table}`
    let q = this.quotaCounts.get(key)
    if (q === undefined) {
      q = { reserved: 0, seq: 0, counting: new Map(), committed: [] }
      this.quotaCounts.set(key, q)
    }
    const me = Symbol('quota check')
    q.counting.set(me, q.seq)
    let reserved = false
    try {
      const listed = await this.ownedIds(projectId, opts.table)
      const since = q.counting.get(me) ?? 0
      const unseen = q.committed.filter(c => c.seq > since && !listed.has(c.id)).length
      q.counting.delete(me)
      this.pruneQuotaLog(q)
      if (listed.size + unseen + q.reserved + 1 > limit) throw new ApiError('OverQuota', { resource: opts.resource })
      q.reserved++
      reserved = true
      const row = await create()
      q.committed.push({ seq: ++q.seq, id: row.id })
      return row
    } finally {
      q.counting.delete(me)
      if (reserved) q.reserved--
      this.pruneQuotaLog(q)
      if (q.reserved === 0 && q.counting.size === 0) this.quotaCounts.delete(key)
    }
  }

  /** Creates of this process that passed their quota check and are being stored (quota details' `reserved`). */
  reserved(projectId: string, table: string): number {
    return this.quotaCounts.get(`${projectId}\u0000${table}`)?.reserved ?? 0
  }

  /** Commits older than every count in progress are in those counts' listings: forget them. */
  private pruneQuotaLog(q: QuotaCount): void {
    const oldest = Math.min(q.seq, ...q.counting.values())
    while (q.committed.length > 0 && (q.committed[0] as { seq: number }).seq <= oldest) q.committed.shift()
  }

  /** Standard attributes of a new object. */
  stamp(projectId: string, extra: { id?: string } = {}): Item {
    const t = now()
    return { id: extra.id ?? randomUUID(), project_id: projectId, description: '', tags: [], created_at: t, updated_at: t }
  }

  /**
   * The API dictionary of a stored object: revision_number from the store version, tenant_id alias. Every
   * attribute is in it: which ones a caller may read is the policy's decision (policy/access.ts hideAttributes).
   */
  render<T>(res: Pick<Resource<T>, 'hidden'>, row: Row<T>): Item {
    const v = row.value as unknown as Item
    const out: Item = {}
    for (const [k, val] of Object.entries(v)) {
      if (res.hidden?.includes(k) || k === 'key') continue
      out[k] = val
    }
    out.tenant_id = v.project_id
    out.revision_number = row.version
    return out
  }
}
