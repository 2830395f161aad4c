// tempest.conf for running the Neutron project's API tests (neutron-tempest-plugin) against our API:
// dynamic credentials made through our Keystone v3 admin API, only the network service available, and
// api_extensions = exactly what GET /v2.0/extensions lists, so a test of an extension we do not advertise
// is skipped by tempest itself and every other test is held to what we claim.

export interface TempestConfOptions {
  /** http://127.0.0.1:PORT (the API serves Neutron at / and Keystone at /v3) */
  apiUrl: string
  adminPassword: string
  /** the seeded external network (router:external, with an IPv4 subnet) */
  publicNetworkId: string
  publicNetworkName: string
  extensions: readonly string[]
  logDir: string
}

/** Services tempest knows besides the network; all absent here (tempest skips their tests and clients). */
const OTHER_SERVICES = ['nova', 'glance', 'cinder', 'swift', 'heat', 'horizon', 'designate', 'octavia', 'ironic', 'manila'] as const

export function renderTempestConf(o: TempestConfOptions): string {
  const sections: Record<string, Record<string, string>> = {
    // debug: tempest logs each request's and response's headers and body (extract-seeds.ts reads them)
    DEFAULT: { log_dir: o.logDir, log_file: 'tempest.log', use_stderr: 'False', debug: 'True' },
    auth: {
      use_dynamic_credentials: 'True',
      admin_username: 'admin',
      admin_password: o.adminPassword,
      admin_project_name: 'admin',
      admin_domain_name: 'Default',
      default_credentials_domain_name: 'Default',
      // the plugin's API tests make their own networks; no per-project network, subnet and router
      create_isolated_networks: 'False',
    },
    identity: {
      uri_v3: `${o.apiUrl}/v3`,
      auth_version: 'v3',
      region: 'RegionOne',
      v3_endpoint_type: 'public',
      admin_role: 'admin',
      default_domain_id: 'default',
    },
    'identity-feature-enabled': { api_v2: 'False', api_v3: 'True' },
    service_available: { neutron: 'True', ...Object.fromEntries(OTHER_SERVICES.map(s => [s, 'False'])) },
    network: {
      catalog_type: 'network',
      region: 'RegionOne',
      endpoint_type: 'publicURL',
      public_network_id: o.publicNetworkId,
      floating_network_name: o.publicNetworkName,
      project_network_cidr: '10.100.0.0/16',
      project_network_mask_bits: '28',
      project_network_v6_cidr: '2001:db8::/48',
      project_network_v6_mask_bits: '64',
    },
    'network-feature-enabled': { api_extensions: o.extensions.join(','), ipv6: 'True', ipv6_subnet_attributes: 'True' },
    validation: { run_validation: 'False' },
    // everything stays on 127.0.0.1: no scenario tests, no guest images
    neutron_plugin_options: { image_is_advanced: 'False' },
  }
  return Object.entries(sections)
    .map(
      ([name, kv]) =>
        `[${name}]\n${Object.entries(kv)
          .map(([k, v]) => `${k} = ${v}`)
          .join('\n')}\n`,
    )
    .join('\n')
}
