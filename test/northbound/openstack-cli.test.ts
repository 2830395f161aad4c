// The real `openstack` CLI (python3-openstackclient) against `dragonflow api`, once on the embedded store and
// once on a private etcd: create, list, show, set, unset and delete every resource, and the error texts users
// see for bad input and conflicts. Happy paths run as batches through the CLI's interactive mode (one Python
// start per batch); error cases are batched too and matched by their distinct messages on stderr.
import t, { type Test } from 'tap'
import { startEtcd } from '../helpers/servers.js'
import { type ApiProcess, cliEnv, jsonDocuments, noAuthEnv, openstack, removeDir, startApi } from './helpers/api-process.js'

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI JSON output

async function batch(_t: Test, env: NodeJS.ProcessEnv, lines: string[]): Promise<{ docs: Obj[]; stderr: string }> {
  const r = await openstack(env, [], lines.join('\n') + '\n')
  return { docs: jsonDocuments(r.stdout) as Obj[], stderr: r.stderr }
}

async function scenario(t: Test, api: ApiProcess): Promise<void> {
  const env = noAuthEnv(api.url)

  // --- create
  const setup = await batch(t, env, [
    'network create n1 -f json',
    'network create n2 --mtu 1400 -f json',
    'subnet create s1 --network n1 --subnet-range 10.0.0.0/24 --dns-nameserver 8.8.8.8 -f json',
    'subnet create s6 --network n1 --ip-version 6 --subnet-range fd00:1::/64 --ipv6-ra-mode slaac --ipv6-address-mode slaac -f json',
    'port create p1 --network n1 --fixed-ip subnet=s1,ip-address=10.0.0.10 -f json',
    'port create p2 --network n1 -f json',
    'port create p3 --network n1 --disable-port-security --no-security-group -f json',
    'security group create sg1 -f json',
    'security group rule create sg1 --protocol tcp --dst-port 22 -f json',
    'security group rule create sg1 --protocol icmp -f json',
    'network create ext --external -f json',
    'subnet create extsub --network ext --subnet-range 172.24.4.0/24 --no-dhcp -f json',
    'router create r1 -f json',
    'router add subnet r1 s1',
    'router set r1 --external-gateway ext',
    'router show r1 -f json',
    'floating ip create ext --port p1 -f json',
  ])
  t.equal(setup.stderr.trim(), '', 'no errors while creating')
  t.equal(setup.docs.length, 15, 'every create printed its object')
  const [n1, n2, s1, s6, p1, p2, p3, sg1, rule22, ruleIcmp, ext, extsub, r1Created, r1, fip] = setup.docs
  if (!n1 || !n2 || !s1 || !s6 || !p1 || !p2 || !p3 || !sg1 || !rule22 || !ruleIcmp || !ext || !extsub || !r1Created || !r1 || !fip) {
    t.fail(`setup incomplete:\n${JSON.stringify(setup.docs).slice(0, 2000)}\n${setup.stderr}\n${api.log().slice(-3000)}`)
    return
  }
  t.equal(n1.mtu, 1442, 'a Geneve network gets the underlay MTU minus encapsulation')
  t.equal(n2.mtu, 1400, 'mtu given as a string by the CLI is accepted')
  t.equal(n1.revision_number, 1)
  t.equal(s1.gateway_ip, '10.0.0.1')
  t.same(s1.allocation_pools, [{ start: '10.0.0.2', end: '10.0.0.254' }])
  t.same(s1.dns_nameservers, ['8.8.8.8'])
  t.equal(s6.ip_version, 6)
  t.equal(s6.ipv6_address_mode, 'slaac')
  t.same(
    p1.fixed_ips.map((f: Obj) => f.ip_address),
    ['10.0.0.10'],
  )
  t.match(p1.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/)
  t.equal(p2.fixed_ips.length, 2, 'a port gets an IPv4 address and its SLAAC address')
  t.ok(
    p2.fixed_ips.some((f: Obj) => /^10\.0\.0\.\d+$/.test(f.ip_address) && f.ip_address !== '10.0.0.1'),
    'IPv4 from the pool, not the gateway',
  )
  t.ok(
    p2.fixed_ips.some((f: Obj) => f.ip_address.startsWith('fd00:1::')),
    'IPv6 from the SLAAC subnet',
  )
  t.equal(p2.security_group_ids.length, 1, 'the default security group')
  t.equal(p3.port_security_enabled, false)
  t.same(p3.security_group_ids, [])
  t.equal(rule22.port_range_min, 22)
  t.equal(ruleIcmp.protocol, 'icmp')
  t.equal(ext['router:external'], true)
  t.equal(r1.external_gateway_info?.network_id, ext.id, 'router gateway on the external network')
  t.equal(r1.interfaces_info?.[0]?.ip_address, '10.0.0.1', 'the interface holds the subnet gateway')
  t.equal(fip.fixed_ip_address, '10.0.0.10')
  t.equal(fip.router_id, r1.id)
  t.match(fip.floating_ip_address, /^172\.24\.4\.\d+$/)

  // --- set, unset, list, show
  const edit = await batch(t, env, [
    'network set n1 --name n1b --description desc1 --tag red --tag blue',
    'network show n1b -f json',
    'network unset n1b --tag red',
    'network show n1b -f json -c tags',
    'subnet set s1 --name s1b --dns-nameserver 1.1.1.1',
    'subnet unset s1b --dns-nameserver 8.8.8.8',
    'subnet show s1b -f json',
    'port set p1 --name p1b --host compute-1 --allowed-address ip-address=10.0.0.200',
    'port show p1b -f json',
    `port unset p1b --allowed-address ip-address=10.0.0.200,mac-address=${p1.mac_address}`,
    'port set p2 --security-group sg1',
    'port show p2 -f json',
    'router set r1 --route destination=192.168.0.0/24,gateway=10.0.0.20',
    'router add route r1 --route destination=192.168.1.0/24,gateway=10.0.0.21 -f json',
    'router show r1 -f json',
    'router unset r1 --route destination=192.168.0.0/24,gateway=10.0.0.20',
    'router remove route r1 --route destination=192.168.1.0/24,gateway=10.0.0.21 -f json',
    'router show r1 -f json -c routes',
    `floating ip unset --port ${fip.id}`,
    `floating ip show ${fip.id} -f json`,
    `floating ip set --port p1b ${fip.id}`,
    'network list -f json',
    'port list --network n1b -f json',
    'port list --fixed-ip ip-address=10.0.0.10 -f json',
    'network list --tags blue -f json',
    'security group rule list sg1 -f json',
    'floating ip list -f json',
    'router list -f json',
    'subnet list --network n1b -f json',
  ])
  t.equal(edit.stderr.trim(), '', 'no errors while editing')
  const [n1b, n1tags, s1b, p1b, p2b, , r1routes, , r1after, fipDown, nets, n1ports, byIp, byTag, rules, fips, routers, subnets] = edit.docs
  t.equal(n1b?.name, 'n1b')
  t.equal(n1b?.description, 'desc1')
  t.same([...(n1b?.tags ?? [])].sort(), ['blue', 'red'])
  t.same(n1tags?.tags, ['blue'])
  t.ok((n1b?.revision_number ?? 0) > 1, 'revision_number grows on change')
  t.same(s1b?.dns_nameservers, ['1.1.1.1'])
  t.equal(p1b?.binding_host_id, 'compute-1')
  t.equal(p1b?.binding_vif_type, 'ovs')
  t.same(
    p1b?.allowed_address_pairs,
    [{ ip_address: '10.0.0.200', mac_address: p1.mac_address }],
    'an address pair gets the port MAC, as in Neutron',
  )
  t.ok(p2b?.security_group_ids?.includes(sg1.id), 'sg1 added to the port')
  t.equal(r1routes?.routes?.length, 2, 'two extra routes')
  t.same(r1after?.routes, [])
  t.equal(fipDown?.port_id, null, 'floating IP disassociated')
  t.same(nets?.map((n: Obj) => n.Name).sort(), ['ext', 'n1b', 'n2'])
  t.equal(n1ports?.length, 5, 'p1, p2, p3, the DHCP port and the router interface')
  t.equal(byIp?.length, 1, 'filter by fixed IP')
  t.same(
    byTag?.map((n: Obj) => n.Name),
    ['n1b'],
    'filter by tag',
  )
  t.equal(rules?.length, 4, 'two egress defaults and two added rules')
  t.equal(fips?.[0]?.Port, p1.id, 'floating IP associated again')
  t.equal(routers?.length, 1)
  t.equal(subnets?.length, 2)

  // --- errors users see
  const errors = await batch(t, env, [
    'port create px --network n1b --fixed-ip subnet=s1b,ip-address=10.0.0.10',
    'port create px --network n1b --fixed-ip ip-address=10.9.9.9',
    `port create px --network n1b --mac-address ${p1.mac_address}`,
    'subnet create sx --network n1b --subnet-range 10.0.0.1/24',
    'subnet create sx --network n1b --subnet-range 10.0.0.0/25',
    'subnet create sx --network n2 --subnet-range 10.5.0.0/24 --gateway 10.6.0.1',
    'subnet create sx --network n2 --subnet-range 10.5.0.0/24 --allocation-pool start=10.5.0.1,end=10.5.0.20',
    'security group rule create sg1 --protocol tcp --dst-port 22',
    'security group delete sg1',
    'network delete n1b',
    'subnet delete s1b',
    'router delete r1',
    'router set r1 --route destination=192.168.9.0/24,gateway=10.99.0.1',
    'floating ip create n2',
    'network create nx --provider-network-type vlan',
  ])
  const expected: [string, string][] = [
    ['IP address 10.0.0.10 already allocated in subnet', 'IpAddressAlreadyAllocated'],
    ['IP address 10.9.9.9 is not a valid IP for any of the subnets on the specified network', 'InvalidIpForNetwork'],
    [`The mac address ${p1.mac_address} is in use`, 'MacAddressInUse'],
    ["Invalid input for cidr. Reason: '10.0.0.1/24' isn't a recognized IP subnet cidr, '10.0.0.0/24' is recommended", 'bad CIDR'],
    ['overlaps with another subnet', 'overlapping subnet'],
    ['Gateway is not valid on subnet', 'gateway outside the CIDR'],
    ['Gateway ip 10.5.0.1 conflicts with allocation pool 10.5.0.1-10.5.0.20', 'gateway in a pool'],
    [`Security group rule already exists. Rule id is ${rule22.id}`, 'duplicate rule'],
    [`Security Group ${sg1.id} in use`, 'group in use'],
    [`Unable to complete operation on network ${n1.id}. There are one or more ports still in use on the network`, 'NetworkInUse'],
    [`Unable to complete operation on subnet ${s1.id}: One or more ports have an IP allocation from this subnet`, 'SubnetInUse'],
    [`Router ${r1.id} still has ports`, 'RouterInUse'],
    ['the nexthop is not connected with router', 'bad route'],
    [`Network ${n2.id} is not a valid external network`, 'floating IP on an internal network'],
    ['physical_network required for VLAN provider network', 'provider attributes checked'],
  ]
  for (const [text, what] of expected) t.ok(errors.stderr.includes(text), `${what}: stderr says "${text}"`)
  t.match(errors.stderr, /409/, 'conflicts are 409')
  t.match(errors.stderr, /400/, 'bad input is 400')

  // --- delete everything
  const cleanup = await batch(t, env, [
    `floating ip delete ${fip.id}`,
    'router unset r1 --external-gateway',
    'router remove subnet r1 s1b',
    'router delete r1',
    'port delete p1b p2 p3',
    `security group rule delete ${rule22.id}`,
    'security group delete sg1',
    'subnet delete s6',
    'subnet delete s1b',
    'network delete n1b n2 ext',
    'network list -f json',
    'port list -f json',
    'router list -f json',
    'floating ip list -f json',
  ])
  t.equal(cleanup.stderr.trim(), '', 'everything deletes cleanly')
  t.same(cleanup.docs, [[], [], [], []], 'nothing left behind (DHCP and router ports included)')
}

t.test('openstack CLI against the embedded store', async t => {
  const api = await startApi({ store: 'embedded' })
  t.teardown(async () => {
    await api.kill()
    removeDir(api.dataDir)
  })
  await scenario(t, api)
  t.equal(await api.stop(), 0, 'SIGTERM shuts down cleanly')
})

t.test('openstack CLI against etcd', async t => {
  const etcd = await startEtcd()
  const api = await startApi({ store: 'etcd', etcdEndpoint: etcd.endpoint })
  t.teardown(async () => {
    await api.kill()
    removeDir(api.dataDir)
    await etcd.dispose()
  })
  await scenario(t, api)
})

t.test('openstack CLI password flow through the Keystone subset', async t => {
  const api = await startApi({ store: 'embedded', auth: 'keystone', adminPassword: 'adminpw', adminToken: 'tok-admin' })
  t.teardown(async () => {
    await api.kill()
    removeDir(api.dataDir)
  })
  const creds = (user: string, password: string, project: string): NodeJS.ProcessEnv =>
    cliEnv({
      OS_AUTH_URL: `${api.url}/v3`,
      OS_USERNAME: user,
      OS_PASSWORD: password,
      OS_PROJECT_NAME: project,
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_IDENTITY_API_VERSION: '3',
    })
  const admin = await batch(t, creds('admin', 'adminpw', 'admin'), [
    'network create adminnet -f json',
    'project create demo -f json',
    'user create --password demopw --project demo demo -f json',
    'role add --project demo --user demo member',
    'token issue -f json',
  ])
  t.equal(admin.stderr.trim(), '', 'admin works through a password token')
  const [net, demo, , token] = admin.docs
  t.equal(net?.name, 'adminnet')
  t.equal(demo?.name, 'demo')
  t.ok(token?.id, 'a token was issued')
  const member = await batch(t, creds('demo', 'demopw', 'demo'), [
    'network list -f json',
    'network create demonet -f json',
    'network create vl --provider-network-type vlan --provider-physical-network physnet1 --provider-segment 100',
    'network show adminnet',
  ])
  const [list, own] = member.docs
  t.same(list, [], "a project does not see another project's network")
  t.equal(own?.project_id, demo?.id, "a network is created in the token's project")
  t.match(member.stderr, /disallowed by policy/, 'provider attributes are admin only (403)')
  t.match(member.stderr, /No Network found for adminnet/, "another project's network is not found")
  const bad = await openstack(creds('demo', 'wrong', 'demo'), ['network', 'list'])
  t.not(bad.code, 0)
  t.match(bad.stderr, /401|authenticat/i, 'a wrong password is refused')
})
