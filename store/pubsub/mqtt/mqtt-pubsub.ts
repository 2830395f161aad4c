// Pub/sub over an MQTT broker (mosquitto): QoS 1, MQTT 5, JSON payloads. mqtt.js reconnects on its own; QoS 1
// publishes made while disconnected are kept and sent after the reconnect (publish() resolves on the PUBACK).
//
// Sessions are persistent (Clean Start off, a session expiry): while a subscriber is disconnected the broker
// queues its QoS 1 messages and hands them over when it comes back, so a network blip or a broker restart (with
// broker persistence on) loses nothing. If the broker lost the session, mqtt.js subscribes again. close() sets
// the expiry to 0 so the broker forgets a client that left on purpose.
import { randomBytes } from 'node:crypto'
import mqtt, { type MqttClient } from 'mqtt'
import { type Change, type PubSub, StoreError, type Unsubscribe } from '../../types.js'
import { WarningLog } from '../../warning-log.js'
import { mqttTopic } from './mqtt-topics.js'
import { getLogger } from '../../../log/logger.js'

export interface MqttOptions {
  url: string
  clientId?: string
  /** First level of every topic (default 'dragonflow'). */
  root?: string
  reconnectPeriodMs?: number
  /** How long the broker keeps a disconnected client's session and queued messages (default 600 s). */
  sessionExpirySeconds?: number
  onWarning?: (err: StoreError) => void
}

export async function openMqttPubSub(opts: MqttOptions): Promise<MqttPubSub> {
  let client: MqttClient
  try {
    client = await mqtt.connectAsync(
      opts.url,
      {
        protocolVersion: 5,
        clientId: opts.clientId ?? `dragonflow-${randomBytes(6).toString('hex')}`,
        clean: false,
        properties: { sessionExpiryInterval: opts.sessionExpirySeconds ?? 600 },
        resubscribe: true,
        reconnectPeriod: opts.reconnectPeriodMs ?? 500,
        connectTimeout: 5_000,
      },
      false,
    )
  } catch (err) {
    throw new StoreError('unavailable', `mqtt ${opts.url}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  return new MqttPubSub(client, opts)
}

export class MqttPubSub implements PubSub {
  private readonly root: string
  /** MQTT topic -> handlers; one broker subscription per topic however many local handlers. */
  private readonly handlers = new Map<string, Set<(change: Change) => void>>()
  readonly warnings: WarningLog
  private closed = false

  constructor(
    private readonly client: MqttClient,
    private readonly opts: MqttOptions,
  ) {
    this.root = opts.root ?? 'dragonflow'
    this.warnings = new WarningLog(`dragonflow pubsub mqtt ${opts.url}`, opts.onWarning, getLogger('pubsub'))
    client.on('message', (topic, payload) => this.dispatch(topic, payload))
    // Connection errors are retried by mqtt.js; without a listener an 'error' event would crash the process.
    client.on('error', err => this.warn(new StoreError('unavailable', `connection: ${err.message}`, { cause: err })))
  }

  async publish(change: Change): Promise<void> {
    this.checkOpen()
    const payload = JSON.stringify(change)
    const topics = ['*', ...change.topics.filter(t => t !== '*')]
    try {
      await Promise.all(topics.map(t => this.client.publishAsync(mqttTopic(this.root, t), payload, { qos: 1 })))
    } catch (err) {
      throw new StoreError('unavailable', `mqtt publish: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
  }

  async subscribe(topic: string, handler: (change: Change) => void): Promise<Unsubscribe> {
    this.checkOpen()
    const name = mqttTopic(this.root, topic)
    let set = this.handlers.get(name)
    if (!set) {
      set = new Set()
      this.handlers.set(name, set)
      try {
        await this.client.subscribeAsync(name, { qos: 1 })
      } catch (err) {
        this.handlers.delete(name)
        throw new StoreError('unavailable', `mqtt subscribe ${name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
      }
    }
    set.add(handler)
    return async () => {
      const current = this.handlers.get(name)
      if (!current?.delete(handler) || current.size > 0) return
      this.handlers.delete(name)
      if (!this.closed && this.client.connected) await this.client.unsubscribeAsync(name).catch(() => undefined)
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.handlers.clear()
    // Forced when disconnected: a graceful end would wait for in-flight QoS 1 messages that cannot complete.
    await this.client.endAsync(!this.client.connected, { properties: { sessionExpiryInterval: 0 } })
  }

  private dispatch(topic: string, payload: Buffer): void {
    const set = this.handlers.get(topic)
    if (!set) return
    let change: Change
    try {
      change = JSON.parse(payload.toString('utf8')) as Change
      if (typeof change.table !== 'string' || typeof change.id !== 'string') throw new Error('not a change')
    } catch (err) {
      this.warn(new StoreError('bad_record', `mqtt message on ${topic} is not a change: ${String(err)}`))
      return
    }
    for (const h of set) {
      try {
        h(change)
      } catch (err) {
        this.warn(new StoreError('invalid', `a handler of ${topic} threw: ${String(err)}`, { cause: err }))
      }
    }
  }

  private warn(err: StoreError): void {
    this.warnings.report(err)
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError('unavailable', 'mqtt pub/sub is closed')
  }
}
