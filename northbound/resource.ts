// What a Neutron resource module provides to the generic controller (northbound/controller.ts): its attribute
// map, error type for "not found", quota name and the model logic of create/update/delete. Who may see or
// change an object is not the module's to say: the controller asks the policy (northbound/policy/access.ts).
import type { AttributeMap } from '../model/attributes.js'
import type { ErrorType } from '../model/errors.js'
import type { RequestContext } from './context.js'
import type { Row } from './db.js'
import type { Neutron } from './neutron.js'
import type { Item } from './query.js'

export type Input = Record<string, unknown>

/** A member action such as PUT /routers/{id}/add_router_interface. */
export type Action<T> = (nb: Neutron, ctx: RequestContext, row: Row<T>, body: unknown) => Promise<unknown>

export interface Resource<T = Record<string, unknown>> {
  collection: string
  member: string
  table: string
  attributes: AttributeMap
  notFound: ErrorType
  /** Quota resource name, when the resource is counted. */
  quota?: string
  create(nb: Neutron, ctx: RequestContext, input: Input): Promise<Row<T>>
  update(nb: Neutron, ctx: RequestContext, row: Row<T>, changes: Input): Promise<Row<T>>
  remove(nb: Neutron, ctx: RequestContext, row: Row<T>): Promise<void>
  /** Adds computed attributes to rendered objects (network.subnets, security_group_rules). */
  decorate?(nb: Neutron, ctx: RequestContext, items: Item[]): Promise<void>
  actions?: Record<string, Action<T>>
  /** Runs before a list or show (security groups: create the project's default group on first use). */
  beforeRead?(nb: Neutron, ctx: RequestContext): Promise<void>
  /** Fields stored for the datapath or bookkeeping, never shown. */
  hidden?: string[]
}
