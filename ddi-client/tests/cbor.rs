//! CBOR on the wire (feature `cbor`): bodies are sent as CBOR and CBOR
//! answers (documents and error bodies) are decoded.

#![cfg(feature = "cbor")]
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns assert by unwrapping too

mod support;

use ddi_client::model::*;
use ddi_client::{Client, RetryClass};
use support::{Server, resp};

fn cbor<T: serde::Serialize>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(v, &mut out).unwrap();
    out
}

#[tokio::test]
async fn documents_and_feedback_travel_as_cbor() {
    let srv = Server::start(|req, _| {
        if req.method == "GET" {
            let doc = serde_json::json!({"config": {"polling": {"sleep": "00:00:40"}},
                "_links": {"deploymentBase": {"href": "deploymentBase/3?c=1"}}});
            resp(200, &[("Content-Type", "application/cbor")], &cbor(&doc))
        } else {
            let quota =
                serde_json::json!({"errorCode": "hawkbit.server.error.quota.tooManyEntries"});
            resp(429, &[("Content-Type", "application/cbor")], &cbor(&quota))
        }
    })
    .await;
    let c = Client::builder(srv.url(), "DEFAULT")
        .cbor(true)
        .build()
        .unwrap()
        .controller("d")
        .unwrap();
    let base = c.poll().await.unwrap();
    assert_eq!(base.sleep(), Some("00:00:40"));
    let link = base.links.deployment_base.unwrap();
    let fb = ActionFeedback::new(Execution::Proceeding, Finished::None).with_code(5);
    let err = c.deployment_feedback(&link, &fb).await.unwrap_err();
    assert!(err.is_quota_exceeded(), "cbor error body read: {err:?}");
    assert_eq!(err.retry_class(), RetryClass::TerminalForAction);
    let reqs = srv.requests();
    assert_eq!(reqs[0].header("accept"), Some("application/cbor"));
    assert_eq!(reqs[1].header("content-type"), Some("application/cbor"));
    assert_eq!(ActionFeedback::from_cbor(&reqs[1].body).unwrap(), fb);
}
