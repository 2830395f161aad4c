// Neutron's default policy, as one table: rule name -> oslo.policy check string. These are the defaults of
// Neutron 2023.1+ "secure RBAC" as released in stable/2026.1 (neutron/conf/policies/*.py) with
// enforce_new_defaults=True and enforce_scope=True for project-scoped tokens: personas are the project's
// reader and member, the project manager, the cloud admin and the service role. Written from reading those
// files, in our own form; only the actions and attributes this API has are listed. A name that is not here
// falls back to `default` when asked, as oslo.policy's default_rule does.

// Personas (Neutron's base.py builds its strings from the same pieces).
const ADMIN = 'rule:admin_only'
const SERVICE = 'rule:service_api'
const ADMIN_OR_SERVICE = `(${ADMIN}) or (${SERVICE})`
const PROJECT_READER = 'role:reader and project_id:%(project_id)s'
const PROJECT_MEMBER = 'role:member and project_id:%(project_id)s'
const PROJECT_MANAGER = 'role:manager and project_id:%(project_id)s'
const ADMIN_OR_READER = `(${ADMIN}) or (${PROJECT_READER})`
const ADMIN_OR_MEMBER = `(${ADMIN}) or (${PROJECT_MEMBER})`
const NET_OWNER_READER = 'role:reader and rule:network_owner'
const NET_OWNER_MEMBER = 'role:member and rule:network_owner'
const NET_OWNER_MANAGER = 'role:manager and rule:network_owner'
const ADMIN_OR_NET_OWNER_MEMBER = `(${ADMIN}) or (${NET_OWNER_MEMBER})`
const ADMIN_OR_NET_OWNER_READER = `(${ADMIN}) or (${NET_OWNER_READER})`
const SG_OWNER_MEMBER = 'role:member and rule:sg_owner'
const SG_OWNER_READER = 'role:reader and rule:sg_owner'

const any = (...parts: string[]): string => parts.map(p => `(${p})`).join(' or ')

/** Admin, service, or a member of the project owning the port's network. */
const NET_ADMIN = any(ADMIN_OR_SERVICE, NET_OWNER_MEMBER)

export interface RuleDefault {
  name: string
  check: string
}

const rows: [string, string][] = [
  // Building blocks (base.py).
  ['context_is_admin', 'role:admin'],
  ['service_api', 'role:service'],
  ['owner', 'project_id:%(project_id)s'],
  ['admin_or_owner', any('rule:context_is_admin', 'rule:owner')],
  ['context_is_advsvc', 'role:advsvc'],
  ['admin_or_network_owner', any('rule:context_is_admin', 'project_id:%(network:project_id)s')],
  ['admin_owner_or_network_owner', any('rule:owner', 'rule:admin_or_network_owner')],
  ['network_owner', 'project_id:%(network:project_id)s'],
  ['admin_only', 'rule:context_is_admin'],
  ['regular_user', ''],
  ['shared', 'field:networks:shared=True'],
  ['external', 'field:networks:router:external=True'],
  ['external_network', 'field:subnets:router:external=True'],
  ['network_device', 'field:port:device_owner=~^network:'],
  ['sg_owner', 'project_id:%(security_group:project_id)s'],
  ['admin_or_sg_owner', any('rule:context_is_admin', 'project_id:%(security_group:project_id)s')],
  ['shared_security_group', 'field:security_groups:shared=True'],
  ['shared_subnetpools', 'field:subnetpools:shared=True'],
  ['default', 'rule:admin_or_owner'],

  // Networks (network.py).
  ['create_network', ADMIN_OR_MEMBER],
  ['create_network:shared', ADMIN],
  ['create_network:router:external', ADMIN],
  ['create_network:is_default', ADMIN],
  ['create_network:port_security_enabled', ADMIN_OR_MEMBER],
  ['create_network:provider:network_type', ADMIN],
  ['create_network:provider:physical_network', ADMIN],
  ['create_network:provider:segmentation_id', ADMIN],
  ['create_network:tags', ADMIN_OR_MEMBER],
  ['get_network', any(ADMIN_OR_READER, SERVICE, 'rule:shared', 'rule:external', 'rule:context_is_advsvc')],
  ['get_network:provider:network_type', ADMIN],
  ['get_network:provider:physical_network', ADMIN],
  ['get_network:provider:segmentation_id', ADMIN],
  ['get_network:tags', any(ADMIN_OR_READER, 'rule:shared', 'rule:external', 'rule:context_is_advsvc')],
  ['update_network', ADMIN_OR_MEMBER],
  ['update_network:shared', ADMIN],
  ['update_network:provider:network_type', ADMIN],
  ['update_network:provider:physical_network', ADMIN],
  ['update_network:provider:segmentation_id', ADMIN],
  ['update_network:router:external', ADMIN],
  ['update_network:is_default', ADMIN],
  ['update_network:port_security_enabled', ADMIN_OR_MEMBER],
  ['update_network:tags', ADMIN_OR_MEMBER],
  ['delete_network', ADMIN_OR_MEMBER],
  ['delete_network:tags', ADMIN_OR_MEMBER],

  // Subnets (subnet.py): the network's owner manages subnets on it.
  ['create_subnet', ADMIN_OR_NET_OWNER_MEMBER],
  ['create_subnet:segment_id', ADMIN],
  ['create_subnet:service_types', ADMIN],
  ['create_subnet:tags', any(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER)],
  ['get_subnet', any(PROJECT_READER, 'rule:shared', 'rule:external_network', ADMIN_OR_NET_OWNER_READER, SERVICE)],
  ['get_subnet:segment_id', ADMIN],
  ['get_subnet:tags', any(PROJECT_READER, 'rule:shared', 'rule:external_network', ADMIN_OR_NET_OWNER_READER)],
  ['update_subnet', any(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER)],
  ['update_subnet:segment_id', ADMIN],
  ['update_subnet:service_types', ADMIN],
  ['update_subnet:tags', any(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER)],
  ['delete_subnet', any(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER)],
  ['delete_subnet:tags', any(PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER)],

  // Ports (port.py): what reaches into the network's plumbing is for its owner, admins and services.
  ['create_port', any(ADMIN_OR_MEMBER, SERVICE)],
  ['create_port:device_id', any(ADMIN_OR_MEMBER, SERVICE)],
  ['create_port:device_owner', any('not rule:network_device', ADMIN_OR_SERVICE, NET_OWNER_MEMBER)],
  ['create_port:mac_address', NET_ADMIN],
  ['create_port:fixed_ips', any(ADMIN_OR_SERVICE, NET_OWNER_MEMBER, 'rule:shared')],
  ['create_port:fixed_ips:ip_address', NET_ADMIN],
  ['create_port:fixed_ips:subnet_id', any(ADMIN_OR_SERVICE, NET_OWNER_MEMBER, 'rule:shared')],
  ['create_port:port_security_enabled', NET_ADMIN],
  ['create_port:binding:host_id', ADMIN_OR_SERVICE],
  ['create_port:binding:profile', SERVICE],
  ['create_port:binding:vnic_type', any(ADMIN_OR_MEMBER, SERVICE)],
  ['create_port:allowed_address_pairs', any(ADMIN_OR_NET_OWNER_MEMBER, SERVICE)],
  ['create_port:allowed_address_pairs:mac_address', any(ADMIN_OR_NET_OWNER_MEMBER, SERVICE)],
  ['create_port:allowed_address_pairs:ip_address', any(ADMIN_OR_NET_OWNER_MEMBER, SERVICE)],
  ['create_port:tags', any(ADMIN_OR_MEMBER, 'rule:context_is_advsvc')],
  ['get_port', any(ADMIN_OR_SERVICE, NET_OWNER_READER, PROJECT_READER)],
  ['get_port:binding:vif_type', ADMIN_OR_SERVICE],
  ['get_port:binding:vif_details', ADMIN_OR_SERVICE],
  ['get_port:binding:host_id', ADMIN_OR_SERVICE],
  ['get_port:binding:profile', ADMIN_OR_SERVICE],
  ['get_port:tags', any('rule:context_is_advsvc', ADMIN_OR_NET_OWNER_READER, PROJECT_READER)],
  ['update_port', any(ADMIN_OR_SERVICE, PROJECT_MEMBER)],
  ['update_port:device_id', any(ADMIN_OR_MEMBER, SERVICE)],
  ['update_port:device_owner', any('not rule:network_device', ADMIN_OR_SERVICE, NET_OWNER_MEMBER)],
  ['update_port:mac_address', any(ADMIN_OR_SERVICE, NET_OWNER_MANAGER)],
  ['update_port:fixed_ips', NET_ADMIN],
  ['update_port:fixed_ips:ip_address', NET_ADMIN],
  ['update_port:fixed_ips:subnet_id', any(ADMIN_OR_SERVICE, NET_OWNER_MEMBER, 'rule:shared')],
  ['update_port:port_security_enabled', NET_ADMIN],
  ['update_port:binding:host_id', ADMIN_OR_SERVICE],
  ['update_port:binding:profile', SERVICE],
  ['update_port:binding:vnic_type', any(ADMIN_OR_SERVICE, PROJECT_MEMBER)],
  ['update_port:allowed_address_pairs', any(ADMIN_OR_NET_OWNER_MEMBER, SERVICE)],
  ['update_port:allowed_address_pairs:mac_address', any(ADMIN_OR_NET_OWNER_MEMBER, SERVICE)],
  ['update_port:allowed_address_pairs:ip_address', any(ADMIN_OR_NET_OWNER_MEMBER, SERVICE)],
  ['update_port:tags', any(ADMIN_OR_MEMBER, 'rule:context_is_advsvc')],
  ['delete_port', any(ADMIN_OR_SERVICE, NET_OWNER_MEMBER, PROJECT_MEMBER)],
  ['delete_port:tags', any('rule:context_is_advsvc', PROJECT_MEMBER, ADMIN_OR_NET_OWNER_MEMBER)],

  // Floating IPs (floatingip.py).
  ['create_floatingip', ADMIN_OR_MEMBER],
  ['create_floatingip:floating_ip_address', any(ADMIN, PROJECT_MANAGER)],
  ['create_floatingip:tags', ADMIN_OR_MEMBER],
  ['get_floatingip', ADMIN_OR_READER],
  ['get_floatingip:tags', ADMIN_OR_READER],
  ['update_floatingip', ADMIN_OR_MEMBER],
  ['update_floatingip:tags', ADMIN_OR_MEMBER],
  ['delete_floatingip', ADMIN_OR_MEMBER],
  ['delete_floatingip:tags', ADMIN_OR_MEMBER],

  // Routers (router.py).
  ['create_router', ADMIN_OR_MEMBER],
  ['create_router:distributed', ADMIN],
  ['create_router:ha', ADMIN],
  ['create_router:external_gateway_info', ADMIN_OR_MEMBER],
  ['create_router:external_gateway_info:network_id', ADMIN_OR_MEMBER],
  ['create_router:external_gateway_info:enable_snat', ADMIN],
  ['create_router:external_gateway_info:external_fixed_ips', ADMIN],
  ['create_router:tags', ADMIN_OR_MEMBER],
  ['get_router', ADMIN_OR_READER],
  ['get_router:distributed', ADMIN],
  ['get_router:ha', ADMIN],
  ['get_router:tags', ADMIN_OR_READER],
  ['update_router', ADMIN_OR_MEMBER],
  ['update_router:distributed', ADMIN],
  ['update_router:ha', ADMIN],
  ['update_router:external_gateway_info', ADMIN_OR_MEMBER],
  ['update_router:external_gateway_info:network_id', ADMIN_OR_MEMBER],
  ['update_router:external_gateway_info:enable_snat', ADMIN],
  ['update_router:external_gateway_info:external_fixed_ips', ADMIN],
  ['update_router:tags', ADMIN_OR_MEMBER],
  ['delete_router', ADMIN_OR_MEMBER],
  ['delete_router:tags', ADMIN_OR_MEMBER],
  ['add_router_interface', ADMIN_OR_MEMBER],
  ['remove_router_interface', ADMIN_OR_MEMBER],
  ['add_extraroutes', ADMIN_OR_MEMBER],
  ['remove_extraroutes', ADMIN_OR_MEMBER],

  // Security groups and rules (security_group.py): a rule belongs to its group's owner.
  ['create_security_group', ADMIN_OR_MEMBER],
  ['create_security_group:tags', ADMIN_OR_MEMBER],
  ['get_security_group', any(ADMIN_OR_READER, 'rule:shared_security_group')],
  ['get_security_group:tags', any(ADMIN_OR_READER, 'rule:shared_security_group')],
  ['update_security_group', ADMIN_OR_MEMBER],
  ['update_security_group:tags', ADMIN_OR_MEMBER],
  ['delete_security_group', ADMIN_OR_MEMBER],
  ['delete_security_group:tags', ADMIN_OR_MEMBER],
  ['create_security_group_rule', any(ADMIN, SG_OWNER_MEMBER)],
  ['get_security_group_rule', any(ADMIN, SG_OWNER_READER)],
  ['delete_security_group_rule', any(ADMIN, SG_OWNER_MEMBER)],

  // Subnet pools (subnetpool.py).
  ['create_subnetpool', ADMIN_OR_MEMBER],
  ['create_subnetpool:shared', ADMIN],
  ['create_subnetpool:is_default', ADMIN],
  ['create_subnetpool:tags', ADMIN_OR_MEMBER],
  ['get_subnetpool', any(ADMIN_OR_READER, 'rule:shared_subnetpools')],
  ['get_subnetpool:tags', any(ADMIN_OR_READER, 'rule:shared_subnetpools')],
  ['update_subnetpool', ADMIN_OR_MEMBER],
  ['update_subnetpool:is_default', ADMIN],
  ['update_subnetpool:tags', ADMIN_OR_MEMBER],
  ['delete_subnetpool', ADMIN_OR_MEMBER],
  ['delete_subnetpool:tags', ADMIN_OR_MEMBER],

  // RBAC policies (rbac.py): the policy's own project manages it; only an admin shares with everyone ('*').
  // That a non-admin may only manage policies of networks it owns is the resource's check (400, as Neutron).
  ['restrict_wildcard', any('not field:rbac_policy:target_tenant=*', ADMIN)],
  ['create_rbac_policy', ADMIN_OR_MEMBER],
  ['create_rbac_policy:target_tenant', 'rule:restrict_wildcard'],
  ['get_rbac_policy', ADMIN_OR_READER],
  ['update_rbac_policy', ADMIN_OR_MEMBER],
  ['update_rbac_policy:target_tenant', 'rule:restrict_wildcard'],
  ['delete_rbac_policy', ADMIN_OR_MEMBER],

  // Service providers (servicetype.py): any authenticated caller may list them.
  ['get_service_provider', ''],

  // Agents (agent.py): admin only; agents register themselves, so there is no create_agent.
  ['get_agent', ADMIN],
  ['update_agent', ADMIN],
  ['delete_agent', ADMIN],

  // Quotas (quotas.py): a project's own quotas are always readable (quotasv2.py checks get_quota only for
  // another project's, against the caller's project).
  ['get_quota', any(ADMIN, PROJECT_MANAGER)],
  ['update_quota', ADMIN],
  ['delete_quota', ADMIN],
]

export const DEFAULT_RULES: readonly RuleDefault[] = rows.map(([name, check]) => ({ name, check }))
