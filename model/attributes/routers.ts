// Router attributes (router, ext-gw-mode, extraroute, l3-ha/dvr flags shown to admins).
import { type AttributeMap, type Converter, adminStateAttr, bool, ip, list, nameAttr, nullable, prefix, shape, standardAttributes, str, uuid } from '../attributes.js'

export const ROUTE = shape({ destination: prefix, nexthop: ip }, ['destination', 'nexthop'])

const GATEWAY_SHAPE = shape({
  network_id: uuid,
  enable_snat: bool,
  external_fixed_ips: list(shape({ subnet_id: uuid, ip_address: ip })),
}, ['network_id'])

/** `{}` clears the gateway like null (the CLI's `router unset --external-gateway` sends it). */
export const GATEWAY_INFO: Converter = nullable((v, f) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0 ? null : GATEWAY_SHAPE(v, f))

export const ROUTER_ATTRIBUTES: AttributeMap = {
  ...standardAttributes(),
  name: nameAttr,
  admin_state_up: adminStateAttr,
  status: { filter: 'string' },
  external_gateway_info: { post: true, put: true, default: null, convert: GATEWAY_INFO, filter: 'none' },
  routes: { post: false, put: true, default: [], convert: list(ROUTE), filter: 'none' },
  distributed: { post: true, put: true, default: false, convert: bool, filter: 'bool' },
  ha: { post: true, put: true, default: false, convert: bool, filter: 'bool' },
  availability_zone_hints: { post: true, default: [], convert: list(str(255)), filter: 'none' },
  availability_zones: { filter: 'none' },
  flavor_id: { post: true, convert: nullable(uuid), filter: 'string' },
}
