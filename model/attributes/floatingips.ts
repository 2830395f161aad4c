// Floating IP attributes.
import { type AttributeMap, ip, nullable, standardAttributes, uuid } from '../attributes.js'

export const FLOATINGIP_ATTRIBUTES: AttributeMap = {
  ...standardAttributes(),
  floating_ip_address: { post: true, convert: ip, filter: 'string' },
  floating_network_id: { post: true, required: true, convert: uuid, filter: 'string' },
  subnet_id: { post: true, convert: nullable(uuid), filter: 'none' },
  port_id: { post: true, put: true, convert: nullable(uuid), default: null, filter: 'string' },
  fixed_ip_address: { post: true, put: true, convert: nullable(ip), filter: 'string' },
  router_id: { filter: 'string' },
  status: { filter: 'string' },
  port_details: { filter: 'none' },
  port_forwardings: { filter: 'none' },
}
