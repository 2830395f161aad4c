// GET /v2.0/service-providers (Neutron's service-type extension): the drivers of advanced services (LBaaS, VPN,
// L3 flavors...). This API has none, so the list is empty; it still takes the filters, fields, sorting and
// paging of every other list, so a client's query is refused or answered as Neutron would.
import type { AttributeMap } from '../../model/attributes.js'
import { ApiError } from '../../model/errors.js'
import { type Reply, json } from '../http.js'
import { applyListQuery, dropFilterOnly, parseListQuery } from '../query.js'

export const SERVICE_PROVIDER_ATTRIBUTES: AttributeMap = {
  service_type: { filter: 'string' },
  name: { filter: 'string' },
  default: { filter: 'bool' },
}

export function listServiceProviders(opts: { method: string; hasId: boolean; params: URLSearchParams; baseUrl: string }): Reply {
  if (opts.hasId) throw new ApiError('HTTPNotFound')
  if (opts.method !== 'GET') throw new ApiError('HTTPMethodNotAllowed', { method: opts.method })
  const q = parseListQuery(opts.params, SERVICE_PROVIDER_ATTRIBUTES)
  const page = applyListQuery([], q, {
    attributes: SERVICE_PROVIDER_ATTRIBUTES,
    base: opts.params,
    link: p => `${opts.baseUrl}/v2.0/service-providers?${p.toString()}`,
  })
  dropFilterOnly(page.items, SERVICE_PROVIDER_ATTRIBUTES)
  return json(200, { service_providers: page.items })
}
