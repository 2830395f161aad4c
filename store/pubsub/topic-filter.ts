// Topic matching shared by pub/sub drivers: a subscriber of '*' hears every change once; a subscriber of a topic
// hears changes whose topics include it.
import type { Change } from '../types.js'

export const ALL_TOPICS = '*'

export function matchesTopic(change: Change, topic: string): boolean {
  return topic === ALL_TOPICS || change.topics.includes(topic)
}
