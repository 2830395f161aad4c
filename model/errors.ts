// The one table of API errors: Neutron's exception type names (clients match on them), the HTTP status and the
// message template with {placeholders}. The texts follow neutron-lib's exceptions so that the `openstack` CLI
// shows users what they would see against Neutron.

export interface ErrorSpec {
  status: number
  message: string
}

export const ERRORS = {
  // 400
  HTTPBadRequest: { status: 400, message: '{detail}' },
  InvalidInput: { status: 400, message: 'Invalid input for operation: {detail}.' },
  BadRequest: { status: 400, message: 'Bad {resource} request: {detail}.' },
  InvalidIpForSubnet: { status: 400, message: 'IP address {ip_address} is not a valid IP for the specified subnet.' },
  InvalidIpForNetwork: {
    status: 400,
    message: 'IP address {ip_address} is not a valid IP for any of the subnets on the specified network.',
  },
  OutOfBoundsAllocationPool: { status: 400, message: 'The allocation pool {pool} spans beyond the subnet cidr {subnet_cidr}.' },
  InvalidAllocationPool: { status: 400, message: 'The allocation pool {pool} is not valid.' },
  InvalidActionForType: {
    status: 400,
    message: "Invalid action '{action}' for object type '{object_type}'. Valid actions: {valid_actions}",
  },
  InvalidRoutes: { status: 400, message: 'Invalid format for routes: {routes}, {reason}' },
  SecurityGroupInvalidPortRange: { status: 400, message: 'For TCP/UDP protocols, port_range_min must be <= port_range_max' },
  SecurityGroupInvalidIcmpValue: {
    status: 400,
    message: 'Invalid value for ICMP {field} (type/code): {attr} {value}. It must be 0 to 255.',
  },
  SecurityGroupProtocolRequiredWithPorts: { status: 400, message: 'Must also specify protocol if port range is given.' },
  SecurityGroupRemoteGroupAndRemoteIpPrefix: { status: 400, message: 'Only remote_ip_prefix or remote_group_id may be provided.' },
  SecurityGroupConflictingEthertype: { status: 400, message: 'Conflicting value ethertype {ethertype} for CIDR {cidr}' },
  SecurityGroupRuleInvalidProtocol: {
    status: 400,
    message:
      'Security group rule protocol {protocol} not supported. Only protocol values {values} and integer representations [0 to 255] are supported.',
  },
  ExternalGatewayNotExternal: { status: 400, message: 'Network {network_id} is not a valid external network' },
  FloatingNetworkNotExternal: { status: 400, message: 'Network {network_id} is not a valid external network' },
  NetworkSubnetPoolAffinityError: {
    status: 400,
    message: 'Subnets hosted on the same network must be allocated from the same subnet pool.',
  },
  // 401/403
  Unauthorized: { status: 401, message: 'The request you have made requires authentication.' },
  PolicyNotAuthorized: { status: 403, message: '{action} is disallowed by policy' },
  // A refusal Neutron raises as webob's own exception (the ownership hook): typed by that class's name.
  HTTPForbidden: { status: 403, message: '{detail}' },
  // 404
  HTTPNotFound: { status: 404, message: 'The resource could not be found.' },
  NetworkNotFound: { status: 404, message: 'Network {id} could not be found.' },
  SubnetNotFound: { status: 404, message: 'Subnet {id} could not be found.' },
  PortNotFound: { status: 404, message: 'Port {id} could not be found.' },
  AgentNotFound: { status: 404, message: 'Agent {id} could not be found.' },
  RouterNotFound: { status: 404, message: 'Router {id} could not be found.' },
  FloatingIPNotFound: { status: 404, message: 'Floating IP {id} could not be found' },
  SecurityGroupNotFound: { status: 404, message: 'Security group {id} does not exist' },
  SecurityGroupRuleNotFound: { status: 404, message: 'Security group rule {id} does not exist' },
  RbacPolicyNotFound: { status: 404, message: 'RBAC policy of type {object_type} with ID {id} not found' },
  SubnetPoolNotFound: { status: 404, message: 'Subnet pool {id} could not be found.' },
  TagNotFound: { status: 404, message: 'Tag {tag} could not be found for {resource} {resource_id}.' },
  ExtensionNotFound: { status: 404, message: 'Extension with alias {id} does not exist' },
  RouterInterfaceNotFoundForSubnet: { status: 404, message: 'Router {router_id} has no interface on subnet {subnet_id}' },
  RouterInterfaceNotFound: { status: 404, message: 'Router {router_id} does not have an interface with id {port_id}' },
  ExternalGatewayForFloatingIPNotFound: {
    status: 404,
    message:
      'External network {external_network_id} is not reachable from subnet {subnet_id}.  Therefore, cannot associate Port {port_id} with a Floating IP.',
  },
  // 405
  HTTPMethodNotAllowed: { status: 405, message: 'The method {method} is not allowed for this resource.' },
  // 409
  Conflict: { status: 409, message: '{detail}' },
  RbacPolicyInUse: {
    status: 409,
    message: 'RBAC policy on object {object_id} cannot be removed because other objects depend on it.\nDetails: {details}',
  },
  DuplicateRbacPolicy: { status: 409, message: 'An RBAC policy already exists with those values.' },
  OverQuota: { status: 409, message: "Quota exceeded for resources: ['{resource}']." },
  IpAddressAlreadyAllocated: { status: 409, message: 'IP address {ip} already allocated in subnet {subnet_id}' },
  IpAddressGenerationFailure: { status: 409, message: 'No more IP addresses available on network {net_id}.' },
  MacAddressInUse: { status: 409, message: 'Unable to complete operation for network {net_id}. The mac address {mac} is in use.' },
  NetworkInUse: {
    status: 409,
    message: 'Unable to complete operation on network {net_id}. There are one or more ports still in use on the network.',
  },
  SubnetInUse: { status: 409, message: 'Unable to complete operation on subnet {subnet_id}: {reason}.' },
  L3PortInUse: {
    status: 409,
    message: 'Port {port_id} has owner {device_owner} and therefore cannot be deleted directly via the port API.',
  },
  ServicePortInUse: { status: 409, message: 'Port {port_id} cannot be deleted directly via the port API: {reason}.' },
  PortInUse: {
    status: 409,
    message: 'Unable to complete operation on port {port_id} for network {net_id}. Port already has an attached device {device_id}.',
  },
  RouterInUse: { status: 409, message: 'Router {router_id} {reason}' },
  RouterInterfaceInUseByFloatingIP: {
    status: 409,
    message:
      'Router interface for subnet {subnet_id} on router {router_id} cannot be deleted, as it is required by one or more floating IPs.',
  },
  RouterExternalGatewayInUseByFloatingIp: {
    status: 409,
    message:
      'Gateway cannot be updated for router {router_id}, since a gateway to external network {net_id} is required by one or more floating IPs.',
  },
  RouterInterfaceInUseByRoute: {
    status: 409,
    message: 'Router interface for subnet {subnet_id} on router {router_id} cannot be deleted, as it is required by one or more routes.',
  },
  SubnetOverlap: {
    status: 400,
    message: 'Invalid input for operation: Requested subnet with cidr: {cidr} for network: {network_id} overlaps with another subnet.',
  },
  GatewayConflictWithAllocationPools: { status: 409, message: 'Gateway ip {ip_address} conflicts with allocation pool {pool}.' },
  OverlappingAllocationPools: {
    status: 409,
    message: 'Found overlapping allocation pools: {pool_1} and {pool_2} for subnet {subnet_cidr}.',
  },
  SegmentationIdInUse: { status: 409, message: 'Unable to create the network. The {kind} {segmentation_id} is in use.' },
  FloatingIPPortAlreadyAssociated: {
    status: 409,
    message:
      'Cannot associate floating IP {floating_ip_address} ({fip_id}) with port {port_id} using fixed IP {fixed_ip}, as that fixed IP already has a floating IP on external network {net_id}.',
  },
  SecurityGroupRuleExists: { status: 409, message: 'Security group rule already exists. Rule id is {rule_id}.' },
  SecurityGroupInUse: { status: 409, message: 'Security Group {id} in use.' },
  SecurityGroupCannotRemoveDefault: { status: 409, message: 'Insufficient rights for removing default security group.' },
  PortSecurityPortHasSecurityGroup: {
    status: 409,
    message: 'Port has security group associated. Cannot disable port security or ip address until security group is removed',
  },
  AddressPairAndPortSecurityRequired: {
    status: 409,
    message: 'Port Security must be enabled in order to have allowed address pairs on a port.',
  },
  SubnetPoolInUse: { status: 409, message: 'Unable to complete operation on subnet pool {subnet_pool_id}. {reason}.' },
  SubnetAllocationError: { status: 409, message: 'Failed to allocate subnet: {reason}.' },
  TagLimitExceeded: { status: 400, message: 'Invalid input for operation: Exceeded maximum amount of tags ({limit}).' },
  Keystone409: { status: 409, message: '{detail}' },
  // 412: an If-Match: revision_number=N precondition that the object's current revision does not meet
  RevisionNumberConstraintFailed: { status: 412, message: 'Constrained to {expected}, but current revision is {current}' },
  // 413 (webob's HTTPRequestEntityTooLarge, as Neutron's API answers an oversized body)
  HTTPRequestEntityTooLarge: { status: 413, message: 'Request is too large: the body may be at most {limit} bytes.' },
  // 5xx
  ServiceUnavailable: { status: 503, message: 'The store is not available: {detail}' },
  InternalError: { status: 500, message: 'Request Failed: internal server error while processing your request.' },
} as const satisfies Record<string, ErrorSpec>

export type ErrorType = keyof typeof ERRORS

/** An API error raised anywhere below the HTTP layer; rendered as `{"NeutronError": {type, message, detail}}`. */
export class ApiError extends Error {
  readonly status: number
  constructor(
    public readonly type: ErrorType,
    public readonly params: Record<string, unknown> = {},
  ) {
    super(render(ERRORS[type].message, params))
    this.status = ERRORS[type].status
    this.name = 'ApiError'
  }
}

/** Values longer than this are cut in messages (a 1 MiB name is not echoed back). */
const MAX_PARAM_CHARS = 512

/** `text` cut in the middle when too long: the head and the tail (where a reason often is) stay. */
export function cutLong(text: string, max = MAX_PARAM_CHARS): string {
  if (text.length <= max) return text
  const tail = Math.floor(max / 4)
  return `${text.slice(0, max - tail)}... (${text.length - max} characters cut) ...${text.slice(text.length - tail)}`
}

function render(template: string, params: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => (k in params ? cutLong(String(params[k])) : `{${k}}`))
}

/** 400 with the attribute named, in Neutron's words. */
export function invalidAttr(field: string, reason: string): ApiError {
  return new ApiError('HTTPBadRequest', { detail: `Invalid input for ${field}. Reason: ${reason}.` })
}
