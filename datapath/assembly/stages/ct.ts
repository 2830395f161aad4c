// ls_in_ct / ls_out_ct: connection tracking for ports with stateful security groups (BEHAVIOUR.md
// "Security groups"). Stub until the connection table lands: nothing is tracked.

/** ls_in_ct: the source port's side. Returns true when the packet's fate is decided here. */
export function ctFromPort(): bool {
  return false
}

/** ls_out_ct: the destination port's side. */
export function ctToPort(): bool {
  return false
}
