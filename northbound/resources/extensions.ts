// GET /v2.0/extensions: the aliases an ML2/OVS deployment lists for what this API implements. Only extensions
// whose behaviour is implemented are listed (clients switch behaviour on them, e.g. extraroute-atomic).
import { ApiError } from '../../model/errors.js'
import { type Reply, json } from '../http.js'

const UPDATED = '2024-01-01T00:00:00-00:00'

const EXTENSIONS: [alias: string, name: string, description: string][] = [
  ['agent', 'agent', 'The agent management extension.'],
  ['allowed-address-pairs', 'Allowed Address Pairs', 'Provides allowed address pairs'],
  ['binding', 'Port Binding', 'Expose port bindings of a virtual port to external application'],
  ['default-subnetpools', 'Default Subnetpools', 'Provides ability to mark and use a subnetpool as the default.'],
  ['external-net', 'Neutron external network', 'Adds external network attribute to network resource.'],
  [
    'ext-gw-mode',
    'Neutron L3 Configurable external gateway mode',
    'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway',
  ],
  [
    'extra_dhcp_opt',
    'Neutron Extra DHCP options',
    'Extra options configuration for DHCP. For example PXE boot options to DHCP clients can be specified (e.g. tftp-server, server-ip-address, bootfile-name)',
  ],
  ['extraroute', 'Neutron Extra Route', 'Extra routes configuration for L3 router'],
  [
    'extraroute-atomic',
    'Atomically add/remove extra routes',
    'Edit extra routes of a router on server side by atomically adding/removing extra routes',
  ],
  ['fields', 'Fields', 'Allows fields filtering in API responses'],
  ['filter-validation', 'Filter parameters validation', 'Provides validation on filter parameters.'],
  ['ip-substring-filtering', 'IP address substring filtering', 'Provides IP address substring filtering when listing ports'],
  ['net-mtu', 'Network MTU', 'Provides MTU attribute for a network resource.'],
  ['net-mtu-writable', 'Network MTU (writable)', 'Provides a writable MTU attribute for a network resource.'],
  ['network_availability_zone', 'Network Availability Zone', 'Availability zone support for network.'],
  ['pagination', 'Pagination support', 'Extension that indicates that pagination is enabled.'],
  ['port-security', 'Port Security', 'Provides port security'],
  ['project-id', 'project_id field enabled', 'Extension that indicates that project_id field is enabled.'],
  ['provider', 'Provider Network', 'Expose mapping of virtual networks to physical networks'],
  ['quotas', 'Quota management support', 'Expose functions for quotas management per project'],
  ['quota_details', 'Quota details management support', 'Expose functions for quotas usage statistics per project'],
  [
    'revision-if-match',
    'If-Match constraints based on revision_number',
    'Extension indicating that If-Match based on revision_number is supported.',
  ],
  ['rbac-policies', 'RBAC Policies', 'Allows creation and modification of policies that control tenant access to resources.'],
  [
    'router',
    'Neutron L3 Router',
    'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.',
  ],
  ['router_availability_zone', 'Router Availability Zone', 'Availability zone support for router.'],
  ['security-group', 'security-group', 'The security groups extension.'],
  ['service-type', 'Neutron Service Type Management', 'API for retrieving service providers for Neutron advanced services'],
  ['sorting', 'Sorting support', 'Extension that indicates that sorting is enabled.'],
  ['standard-attr-description', 'standard-attr-description', 'Extension to add descriptions to standard attributes'],
  ['standard-attr-revisions', 'Resource revision numbers', 'This extension will display the revision number of neutron resources.'],
  [
    'standard-attr-tag',
    'Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip',
    'Enables to set tag on resources with standard attribute.',
  ],
  [
    'standard-attr-timestamp',
    'Resource timestamps',
    'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.',
  ],
  ['stateful-security-group', 'Stateful security group', 'Indicates if the security group is stateful or not'],
  ['subnet_allocation', 'Subnet Allocation', 'Enables allocation of subnets from a subnet pool'],
  ['tag-creation', 'Tag support for resources during creation', 'Enables to set tag on resources during creation.'],
]

function render([alias, name, description]: [string, string, string]): Record<string, unknown> {
  return { alias, name, description, updated: UPDATED, links: [] }
}

export function listExtensions(): Reply {
  return json(200, { extensions: EXTENSIONS.map(render) })
}

export function showExtension(alias: string): Reply {
  const e = EXTENSIONS.find(x => x[0] === alias)
  if (!e) throw new ApiError('ExtensionNotFound', { id: alias })
  return json(200, { extension: render(e) })
}

export function hasExtension(alias: string): boolean {
  return EXTENSIONS.some(x => x[0] === alias)
}
