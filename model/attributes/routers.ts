// Router attributes (router, ext-gw-mode, extraroute, l3-ha/dvr flags shown to admins).
import { ApiError } from '../errors.js'
import {
  type AttributeMap,
  type Converter,
  adminStateAttr,
  bool,
  ip,
  list,
  nameAttr,
  noneIsEmptyList,
  nullable,
  prefix,
  shape,
  standardAttributes,
  str,
  uuid,
  uuidText,
} from '../attributes.js'

export const ROUTE = shape({ destination: prefix, nexthop: ip }, ['destination', 'nexthop'])

const GATEWAY_SHAPE = shape(
  {
    network_id: uuid,
    enable_snat: bool,
    external_fixed_ips: list(shape({ subnet_id: uuid, ip_address: ip })),
  },
  ['network_id'],
)

/** `{}` clears the gateway like null (the CLI's `router unset --external-gateway` sends it). */
export const GATEWAY_INFO: Converter = nullable((v, f) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0 ? null : GATEWAY_SHAPE(v, f),
)

export const ROUTER_ATTRIBUTES: AttributeMap = {
  ...standardAttributes(),
  name: nameAttr,
  admin_state_up: adminStateAttr,
  status: { filter: 'string' },
  external_gateway_info: { post: true, put: true, default: null, convert: GATEWAY_INFO, filter: 'none' },
  routes: { post: false, put: true, default: [], convert: noneIsEmptyList(list(ROUTE)), filter: 'none' },
  distributed: { post: true, put: true, default: false, convert: bool, filter: 'bool' },
  ha: { post: true, put: true, default: false, convert: bool, filter: 'bool' },
  availability_zone_hints: { post: true, default: [], convert: list(str(255)), filter: 'none' },
  availability_zones: { filter: 'none' },
  flavor_id: { post: true, convert: nullable(uuid), filter: 'string' },
}

export interface InterfaceRequest {
  subnet_id?: string | undefined
  port_id?: string | undefined
}

/**
 * The body of add/remove_router_interface (Neutron's _validate_interface_info): a subnet_id or a port_id, each
 * a UUID (400 BadRequest, so a malformed id is bad input rather than a missing port); both at once only in a
 * removal, which then needs the port to be on that subnet.
 */
export function interfaceRequest(body: unknown, opts: { forRemoval: boolean }): InterfaceRequest {
  const bad = (detail: string): ApiError => new ApiError('BadRequest', { resource: 'router', detail })
  const b = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>
  if (!('port_id' in b) && !('subnet_id' in b)) throw bad('Either subnet_id or port_id must be specified')
  const out: InterfaceRequest = {}
  for (const key of ['port_id', 'subnet_id'] as const) {
    if (!(key in b)) continue
    const v = b[key]
    if (!uuidText(v)) throw bad(`'${String(v)}' is not a valid UUID`)
    out[key] = v
  }
  if (!opts.forRemoval && out.port_id && out.subnet_id) throw bad('Cannot specify both subnet-id and port-id')
  return out
}
