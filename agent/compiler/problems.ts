// What the compiler could not turn into entries, reported instead of thrown: one bad object must not stop the
// node from compiling everything else (CONVENTIONS 6). Codes are stable; tests and the controller match on them.

export type CompileProblemCode =
  /** An object names one that is not here yet (port before its network): it waits, parked. */
  | 'parked'
  /** extra_dhcp_opts: a name or code the compiler does not know or may not set. */
  | 'dhcp_option'
  /** A subnet with DHCP but neither a DHCP port nor a gateway to answer from. */
  | 'dhcp_no_server'
  /** A router extra route whose nexthop is on none of the router's interface subnets. */
  | 'route_unreachable'
  /** Two routes of one router for the same prefix: the first (direct routes first) is kept. */
  | 'route_duplicate'
  /** A stored object of an unexpected shape (no datapath key, wrong field types): its entries are left out. */
  | 'bad_object'
  /** More than a datapath row holds (PORT_SEC_MAX_PREFIXES, ROUTER_PORT_MAX_PREFIXES, ACL_PORT_MAX_GROUPS). */
  | 'too_many'
  /** A security group rule the datapath cannot enforce yet (remote address groups, DCCP ports): left out. */
  | 'acl_unsupported'
  /** A port with stateful and stateless groups (Neutron forbids it): enforced as stateful. */
  | 'acl_mixed_stateful'
  /** A flat/VLAN provider network followed here whose physical network has no uplink on this node. */
  | 'no_uplink'
  /** A router gateway no chassis can carry (none advertises the external network's physical network). */
  | 'no_gateway_chassis'

export interface CompileProblem {
  code: CompileProblemCode
  /** The object it is about, as "table/id". */
  object: string
  detail: string
}
