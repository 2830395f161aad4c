// Neutron's default quotas (neutron.conf [quotas] defaults); -1 means unlimited.
export const DEFAULT_QUOTAS: Record<string, number> = {
  network: 100,
  subnet: 100,
  port: 500,
  router: 10,
  floatingip: 50,
  security_group: 10,
  security_group_rule: 100,
  subnetpool: -1,
  rbac_policy: 10,
}

export const QUOTA_RESOURCES = Object.keys(DEFAULT_QUOTAS)

/**
 * Whether `delta` more objects fit a quota already used `used` times (Neutron's quota_limit_check): -1 is
 * unlimited. Used where one create stores objects of another resource too (a security group's default rules).
 */
export function fitsQuota(limit: number | undefined, used: number, delta: number): boolean {
  return limit === undefined || limit < 0 || used + delta <= limit
}
