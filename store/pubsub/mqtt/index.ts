// Registration of the MQTT pub/sub driver; mqtt.js is loaded only when the driver is opened.
import Type from 'typebox'
import type { Driver } from '../../driver.js'
import type { PubSub } from '../../types.js'

export const MqttConfigSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, description: "broker URL, e.g. 'mqtt://127.0.0.1:1883'" }),
    clientId: Type.Optional(Type.String({ minLength: 1, description: 'MQTT client id (default: random)' })),
    root: Type.Optional(Type.String({ minLength: 1, description: "first topic level (default 'dragonflow')" })),
    sessionExpirySeconds: Type.Optional(
      Type.Integer({ minimum: 0, description: 'how long the broker queues for a disconnected client (default 600)' }),
    ),
  },
  { additionalProperties: false },
)

export const mqttPubSubDriver: Driver<PubSub, typeof MqttConfigSchema> = {
  name: 'mqtt',
  description: 'MQTT 5 broker (e.g. mosquitto): topics dragonflow/<topic>, QoS 1, automatic reconnect',
  schema: MqttConfigSchema,
  open: async config => {
    const { openMqttPubSub } = await import('./mqtt-pubsub.js')
    return openMqttPubSub({
      url: config.url,
      ...(config.clientId !== undefined ? { clientId: config.clientId } : {}),
      ...(config.root !== undefined ? { root: config.root } : {}),
      ...(config.sessionExpirySeconds !== undefined ? { sessionExpirySeconds: config.sessionExpirySeconds } : {}),
    })
  },
}
