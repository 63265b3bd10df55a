//! `Microsoft.Devices.DeviceCreated` / `DeviceDeleted` notifications in the
//! Event Grid schema, as IoT Hub publishes them (one event per element; a
//! webhook receives them in a JSON array).

use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;

/// Subscribers and the event counter.
#[derive(Debug, Default)]
pub(crate) struct EventSink {
    subscribers: Vec<UnboundedSender<Value>>,
    sequence: u64,
}

impl EventSink {
    pub(crate) fn subscribe(&mut self, tx: UnboundedSender<Value>) {
        self.subscribers.push(tx);
    }

    /// Publishes one event for `device_id` with `twin`; `created` picks the type.
    pub(crate) fn publish(&mut self, hub: &str, device_id: &str, twin: Value, created: bool) {
        if self.subscribers.is_empty() {
            return;
        }
        self.sequence += 1;
        let n = self.sequence;
        let kind = if created {
            "Microsoft.Devices.DeviceCreated"
        } else {
            "Microsoft.Devices.DeviceDeleted"
        };
        let event = json!({
            "id": format!("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", n, 0x5e11, 0x4000, 0x8000, n),
            "topic": format!(
                "/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/simulator/PROVIDERS/MICROSOFT.DEVICES/IOTHUBS/{hub}"
            ),
            "subject": format!("devices/{device_id}"),
            "eventType": kind,
            "eventTime": super::store::now_text(),
            "data": {"twin": twin, "hubName": hub, "deviceId": device_id},
            "dataVersion": "1",
            "metadataVersion": "1",
        });
        self.subscribers.retain(|s| s.send(event.clone()).is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_follow_the_event_grid_schema() {
        let mut sink = EventSink::default();
        sink.publish("h", "d", json!({}), true);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        sink.subscribe(tx);
        sink.publish("h", "d", json!({"deviceId": "d"}), false);
        let e = rx.try_recv().unwrap();
        assert_eq!(e["eventType"], "Microsoft.Devices.DeviceDeleted");
        assert_eq!(e["subject"], "devices/d");
        assert_eq!(e["data"]["hubName"], "h");
        assert_eq!(e["data"]["twin"]["deviceId"], "d");
        assert!(rx.try_recv().is_err(), "nothing before subscribing");
        drop(rx);
        sink.publish("h", "d", json!({}), true);
        assert!(sink.subscribers.is_empty(), "closed receivers are dropped");
    }
}
