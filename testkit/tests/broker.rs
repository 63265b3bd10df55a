//! The embedded broker against a real MQTT client (rumqttc), covering what
//! desired-state's manager and agents rely on. desired-state's own
//! `ActivityHarness` over this broker is tested in the benches crate
//! (`benches/tests/desired_embedded.rs`), because desired-state depends on
//! testkit.

use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use testkit::broker::Broker;
use tokio::sync::mpsc;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(5);

/// A connected client and the (topic, payload, retain) of every PUBLISH it
/// receives, after its CONNACK.
async fn client(
    port: u16,
    id: &str,
) -> (
    AsyncClient,
    mpsc::UnboundedReceiver<(String, Vec<u8>, bool)>,
) {
    let mut opts = MqttOptions::new(id, "127.0.0.1", port);
    opts.set_keep_alive(Duration::from_secs(5));
    opts.set_max_packet_size(1 << 20, 1 << 20);
    let (c, mut ev) = AsyncClient::new(opts, 64);
    let (tx, rx) = mpsc::unbounded_channel();
    let (up_tx, mut up_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(e) = ev.poll().await {
            match e {
                Event::Incoming(Packet::ConnAck(_)) => {
                    let _ = up_tx.send(());
                }
                Event::Incoming(Packet::Publish(p)) => {
                    let _ = tx.send((p.topic, p.payload.to_vec(), p.retain));
                }
                _ => {}
            }
        }
    });
    timeout(WAIT, up_rx.recv())
        .await
        .expect("connack in time")
        .expect("connected");
    (c, rx)
}

async fn next(
    rx: &mut mpsc::UnboundedReceiver<(String, Vec<u8>, bool)>,
) -> (String, Vec<u8>, bool) {
    timeout(WAIT, rx.recv())
        .await
        .expect("a message in time")
        .expect("client running")
}

/// Sends a marker through the broker and waits for it, so that everything
/// published before it has been routed.
async fn barrier(
    c: &AsyncClient,
    rx: &mut mpsc::UnboundedReceiver<(String, Vec<u8>, bool)>,
    tag: &str,
) -> Vec<(String, Vec<u8>, bool)> {
    let topic = format!("barrier/{tag}");
    c.subscribe(&topic, QoS::AtLeastOnce)
        .await
        .expect("subscribe queued");
    c.publish(&topic, QoS::AtLeastOnce, false, b"x".to_vec())
        .await
        .expect("publish queued");
    let mut before = Vec::new();
    loop {
        let m = next(rx).await;
        if m.0 == topic {
            return before;
        }
        before.push(m);
    }
}

#[tokio::test]
async fn routes_by_wildcards_at_both_qos() {
    let broker = Broker::start().await.unwrap();
    let (sub, mut rx) = client(broker.port(), "sub").await;
    let (publ, _prx) = client(broker.port(), "pub").await;
    sub.subscribe("a/+/c", QoS::AtLeastOnce).await.unwrap();
    sub.subscribe("x/#", QoS::AtMostOnce).await.unwrap();
    barrier(&sub, &mut rx, "1").await;
    publ.publish("a/b/c", QoS::AtLeastOnce, false, b"one".to_vec())
        .await
        .unwrap();
    publ.publish("a/b/d", QoS::AtLeastOnce, false, b"no".to_vec())
        .await
        .unwrap();
    publ.publish("x", QoS::AtMostOnce, false, b"two".to_vec())
        .await
        .unwrap();
    publ.publish("x/y/z", QoS::AtLeastOnce, false, b"three".to_vec())
        .await
        .unwrap();
    assert_eq!(
        next(&mut rx).await,
        ("a/b/c".into(), b"one".to_vec(), false)
    );
    assert_eq!(next(&mut rx).await, ("x".into(), b"two".to_vec(), false));
    assert_eq!(
        next(&mut rx).await,
        ("x/y/z".into(), b"three".to_vec(), false)
    );
    broker.stop().await;
}

#[tokio::test]
async fn keeps_replaces_and_clears_retained_messages() {
    let broker = Broker::start().await.unwrap();
    let (publ, mut prx) = client(broker.port(), "pub").await;
    publ.publish("state/a", QoS::AtLeastOnce, true, b"old".to_vec())
        .await
        .unwrap();
    publ.publish("state/a", QoS::AtLeastOnce, true, b"new".to_vec())
        .await
        .unwrap();
    publ.publish("state/b", QoS::AtLeastOnce, true, b"b".to_vec())
        .await
        .unwrap();
    publ.publish("state/b", QoS::AtLeastOnce, true, Vec::new())
        .await
        .unwrap();
    barrier(&publ, &mut prx, "p").await;

    let (sub, mut rx) = client(broker.port(), "late").await;
    sub.subscribe("state/+", QoS::AtLeastOnce).await.unwrap();
    let got = barrier(&sub, &mut rx, "s").await;
    assert_eq!(got, vec![("state/a".into(), b"new".to_vec(), true)]);

    // Live traffic to an existing subscription is not flagged retained.
    publ.publish("state/a", QoS::AtLeastOnce, true, b"live".to_vec())
        .await
        .unwrap();
    assert_eq!(
        next(&mut rx).await,
        ("state/a".into(), b"live".to_vec(), false)
    );
    broker.stop().await;
}

#[tokio::test]
async fn unsubscribe_stops_delivery() {
    let broker = Broker::start().await.unwrap();
    let (c, mut rx) = client(broker.port(), "c").await;
    c.subscribe("t", QoS::AtLeastOnce).await.unwrap();
    barrier(&c, &mut rx, "1").await;
    c.publish("t", QoS::AtLeastOnce, false, b"1".to_vec())
        .await
        .unwrap();
    assert_eq!(next(&mut rx).await.1, b"1".to_vec());
    c.unsubscribe("t").await.unwrap();
    c.publish("t", QoS::AtLeastOnce, false, b"2".to_vec())
        .await
        .unwrap();
    assert!(barrier(&c, &mut rx, "2").await.is_empty());
    broker.stop().await;
}

/// desired-state's plain-mode exchange, as its manager and agents use the
/// broker: the cloud publishes `deviceupdate/desiredstate`; the manager
/// fans it out to `<domain>update/desiredstate`; each agent answers on
/// `<domain>update/desiredstatefeedback` and keeps a retained
/// `<domain>update/currentstate`; the manager reports to the cloud on
/// `deviceupdate/desiredstatefeedback`. All QoS 1, many messages per
/// agent, so ordering and acknowledgements matter.
#[tokio::test]
async fn a_plain_mode_activity_completes() {
    const DOMAINS: [&str; 5] = [
        "containers",
        "firmware",
        "applications",
        "os",
        "configuration",
    ];
    const PROGRESS: usize = 50;
    let broker = Broker::start().await.unwrap();
    let port = broker.port();

    for d in DOMAINS {
        let (agent, mut rx) = client(port, &format!("agent-{d}")).await;
        agent
            .subscribe(format!("{d}update/desiredstate"), QoS::AtLeastOnce)
            .await
            .unwrap();
        agent
            .publish(
                format!("{d}update/currentstate"),
                QoS::AtLeastOnce,
                true,
                d.as_bytes().to_vec(),
            )
            .await
            .unwrap();
        tokio::spawn(async move {
            while let Some((_, payload, _)) = rx.recv().await {
                for i in 0..PROGRESS {
                    let fb = format!("{}:{i}", String::from_utf8_lossy(&payload));
                    agent
                        .publish(
                            format!("{d}update/desiredstatefeedback"),
                            QoS::AtLeastOnce,
                            false,
                            fb.into_bytes(),
                        )
                        .await
                        .unwrap();
                }
                agent
                    .publish(
                        format!("{d}update/desiredstatefeedback"),
                        QoS::AtLeastOnce,
                        false,
                        b"DONE".to_vec(),
                    )
                    .await
                    .unwrap();
            }
        });
    }

    let (manager, mut mrx) = client(port, "update-manager").await;
    manager
        .subscribe("deviceupdate/desiredstate", QoS::AtLeastOnce)
        .await
        .unwrap();
    for d in DOMAINS {
        manager
            .subscribe(format!("{d}update/desiredstatefeedback"), QoS::AtLeastOnce)
            .await
            .unwrap();
        manager
            .subscribe(format!("{d}update/currentstate"), QoS::AtLeastOnce)
            .await
            .unwrap();
    }
    let (cloud, mut crx) = client(port, "cloud").await;
    cloud
        .subscribe("deviceupdate/desiredstatefeedback", QoS::AtLeastOnce)
        .await
        .unwrap();
    barrier(&cloud, &mut crx, "ready").await;

    let payload = vec![b'{'; 300_000];
    cloud
        .publish(
            "deviceupdate/desiredstate",
            QoS::AtLeastOnce,
            false,
            payload.clone(),
        )
        .await
        .unwrap();

    let mut inventory = 0;
    let mut progress = std::collections::HashMap::<String, usize>::new();
    let mut done = 0;
    while done < DOMAINS.len() {
        let (topic, body, _) = next(&mut mrx).await;
        if topic == "deviceupdate/desiredstate" {
            assert_eq!(
                body.len(),
                payload.len(),
                "a large desired state arrives whole"
            );
            for d in DOMAINS {
                manager
                    .publish(
                        format!("{d}update/desiredstate"),
                        QoS::AtLeastOnce,
                        false,
                        d.as_bytes().to_vec(),
                    )
                    .await
                    .unwrap();
            }
        } else if topic.ends_with("update/currentstate") {
            inventory += 1;
        } else if body == b"DONE" {
            let d = topic.trim_end_matches("update/desiredstatefeedback");
            assert_eq!(
                progress.get(d),
                Some(&PROGRESS),
                "{d}: every progress message, before DONE"
            );
            done += 1;
        } else {
            let d = topic
                .trim_end_matches("update/desiredstatefeedback")
                .to_owned();
            let n = progress.entry(d.clone()).or_default();
            assert_eq!(
                body,
                format!("{d}:{n}").into_bytes(),
                "in order per publisher"
            );
            *n += 1;
        }
    }
    assert_eq!(
        inventory,
        DOMAINS.len(),
        "every retained current state reached the manager"
    );
    manager
        .publish(
            "deviceupdate/desiredstatefeedback",
            QoS::AtLeastOnce,
            false,
            b"COMPLETED".to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(next(&mut crx).await.1, b"COMPLETED".to_vec());
    broker.stop().await;
}

#[tokio::test]
async fn publishes_the_will_of_a_dropped_client_only() {
    let broker = Broker::start().await.unwrap();
    let (watcher, mut rx) = client(broker.port(), "watcher").await;
    watcher.subscribe("will/#", QoS::AtLeastOnce).await.unwrap();
    barrier(&watcher, &mut rx, "w").await;

    let mut opts = MqttOptions::new("mortal", "127.0.0.1", broker.port());
    opts.set_last_will(rumqttc::LastWill::new(
        "will/mortal",
        b"gone".to_vec(),
        QoS::AtLeastOnce,
        false,
    ));
    let (polite, mut ev) = AsyncClient::new(opts.clone(), 8);
    let pump = tokio::spawn(async move { while ev.poll().await.is_ok() {} });
    polite.disconnect().await.unwrap();
    timeout(WAIT, pump).await.unwrap().unwrap();
    assert!(
        barrier(&watcher, &mut rx, "after-disconnect")
            .await
            .is_empty(),
        "DISCONNECT discards the will"
    );

    // A takeover by the same client id drops the first connection.
    let (_a, _arx) = {
        let (c, mut ev) = AsyncClient::new(opts.clone(), 8);
        let (up_tx, mut up_rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(e) = ev.poll().await {
                if matches!(e, Event::Incoming(Packet::ConnAck(_))) {
                    let _ = up_tx.send(());
                }
            }
        });
        timeout(WAIT, up_rx.recv()).await.unwrap();
        (c, ())
    };
    let (_b, _brx) = client(broker.port(), "mortal").await;
    assert_eq!(
        next(&mut rx).await,
        ("will/mortal".into(), b"gone".to_vec(), false)
    );
    broker.stop().await;
}

#[tokio::test]
async fn stop_closes_clients_and_frees_the_port() {
    let broker = Broker::start().await.unwrap();
    let port = broker.port();
    let (_c, _rx) = client(port, "c").await;
    broker.stop().await;
    let again = Broker::start_on(port)
        .await
        .expect("the port is free again");
    assert_eq!(again.port(), port);
    again.stop().await;
}

#[tokio::test]
async fn runs_on_a_thread_of_its_own() {
    let broker = Broker::start_in_thread().unwrap();
    let (c, mut rx) = client(broker.port(), "c").await;
    c.subscribe("t/#", QoS::AtLeastOnce).await.unwrap();
    barrier(&c, &mut rx, "1").await;
    c.publish("t/x", QoS::AtLeastOnce, false, b"hi".to_vec())
        .await
        .unwrap();
    assert_eq!(next(&mut rx).await, ("t/x".into(), b"hi".to_vec(), false));
    broker.stop().await;
}

#[test]
fn a_threaded_broker_needs_no_runtime_and_stops_on_drop() {
    let broker = Broker::start_in_thread().unwrap();
    let port = broker.port();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    drop(broker);
    // The listener closes shortly after the drop.
    let deadline = std::time::Instant::now() + WAIT;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(std::time::Instant::now() < deadline, "still listening");
        std::thread::sleep(Duration::from_millis(10));
    }
}
