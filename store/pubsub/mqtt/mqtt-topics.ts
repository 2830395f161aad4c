// MQTT topic names for store topics: "<root>/<topic>", with the characters MQTT gives a meaning ('/', '+', '#')
// and our own '*' and '%' percent-escaped so a store topic can never become a wildcard or a level.
// Every change is also published once on "<root>/*", which is what a '*' subscriber listens to, so it hears each
// change exactly once however many topics the change has.
export function mqttTopic(root: string, topic: string): string {
  if (topic === '*') return `${root}/*`
  return `${root}/${topic.replace(/[%/+#*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`
}
