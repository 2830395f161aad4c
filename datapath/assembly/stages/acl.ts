// ls_in_acl / ls_out_acl: security group rules (BEHAVIOUR.md "Security groups"). Stub until the ACL tables
// land: nothing is enforced.

/** ls_in_acl: the source port's egress rules. Returns true when the packet's fate is decided here. */
export function aclFromPort(): bool {
  return false
}

/** ls_out_acl: the destination port's ingress rules. */
export function aclToPort(): bool {
  return false
}
