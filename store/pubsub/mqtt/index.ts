// Registration of the MQTT pub/sub driver; mqtt.js is loaded only when the driver is opened.
import type { Driver } from '../../driver.js'
import type { PubSub } from '../../types.js'

export const mqttPubSubDriver: Driver<PubSub> = {
  name: 'mqtt',
  description: 'MQTT 5 broker (e.g. mosquitto): topics dragonflow/<topic>, QoS 1, automatic reconnect',
  schema: {
    url: { type: 'string', required: true, description: "broker URL, e.g. 'mqtt://127.0.0.1:1883'" },
    clientId: { type: 'string', description: 'MQTT client id (default: random)' },
    root: { type: 'string', description: "first topic level (default 'dragonflow')" },
    sessionExpirySeconds: { type: 'number', description: "how long the broker queues for a disconnected client (default 600)" },
  },
  open: async config => {
    const { openMqttPubSub } = await import('./mqtt-pubsub.js')
    return openMqttPubSub({
      url: config.url as string,
      ...(config.clientId !== undefined ? { clientId: config.clientId as string } : {}),
      ...(config.root !== undefined ? { root: config.root as string } : {}),
      ...(config.sessionExpirySeconds !== undefined ? { sessionExpirySeconds: config.sessionExpirySeconds as number } : {}),
    })
  },
}
