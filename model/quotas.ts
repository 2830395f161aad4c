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
}

export const QUOTA_RESOURCES = Object.keys(DEFAULT_QUOTAS)
