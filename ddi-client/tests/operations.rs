//! Every DDI operation against a scripted server: method, path, headers,
//! bodies, and the status-code semantics.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns assert by unwrapping too

mod support;

use std::time::Duration;

use ddi_client::client::{AutoConfirmChange, InstalledBaseChange};
use ddi_client::model::*;
use ddi_client::{Auth, Backoff, Client, Controller, ErrorKind, RetryClass};
use support::{Request, Server, json, resp};

fn client(url: &str) -> Client {
    Client::builder(url, "DEFAULT")
        .auth(Auth::GatewayToken("gw".into()))
        .backoff(Backoff::new(
            Duration::from_millis(1),
            Duration::from_millis(4),
            3,
        ))
        .build()
        .unwrap()
}

fn ctl(url: &str) -> Controller {
    client(url).controller("dev 1").unwrap()
}

/// A server that answers each operation like hawkBit would.
fn hawkbit(req: &Request, _: usize) -> Vec<u8> {
    let root = "/DEFAULT/controller/v1/dev%201";
    let Some(rest) = req.path().strip_prefix(root) else {
        return resp(404, &[], b"");
    };
    match (req.method.as_str(), rest) {
        ("GET", "") => json(
            200,
            r#"{"config":{"polling":{"sleep":"PT24H"}},"_links":{"deploymentBase":{"href":"/DEFAULT/controller/v1/dev%201/deploymentBase/7?c=-5"}}}"#,
        ),
        ("GET", "/deploymentBase/7") => json(
            200,
            r#"{"id":"7","deployment":{"download":"forced","update":"attempt","chunks":[]},"actionHistory":{"status":"RUNNING","messages":["m"]}}"#,
        ),
        ("POST", "/deploymentBase/7/feedback")
        | ("POST", "/cancelAction/9/feedback")
        | ("POST", "/confirmationBase/7/feedback") => resp(200, &[], b""),
        ("GET", "/cancelAction/9") => json(200, r#"{"id":"9","cancelAction":{"stopId":"9"}}"#),
        ("PUT", "/configData") => resp(200, &[], b""),
        ("GET", "/installedBase/4") => json(200, r#"{"id":"4","deployment":{"chunks":[]}}"#),
        ("PUT", "/installedBase") => resp(201, &[], b""),
        ("GET", "/confirmationBase") => json(
            200,
            r#"{"autoConfirm":{"active":true,"initiator":"me","activatedAt":5},"_links":{"deactivateAutoConfirm":{"href":"x"}}}"#,
        ),
        ("GET", "/confirmationBase/7") => json(200, r#"{"id":7,"confirmation":{"chunks":[]}}"#),
        ("POST", "/confirmationBase/activateAutoConfirm") => resp(
            409,
            &[],
            br#"{"errorCode":"hawkbit.server.error.repo.autoConfAlreadyActive"}"#,
        ),
        ("POST", "/confirmationBase/deactivateAutoConfirm") => resp(200, &[], b""),
        ("GET", "/softwaremodules/3/artifacts") => json(
            200,
            r#"[{"filename":"a","size":1,"_links":{"md5sum-http":{"href":"/DEFAULT/controller/v1/dev%201/softwaremodules/3/artifacts/a.MD5SUM"}}}]"#,
        ),
        ("GET", "/softwaremodules/3/artifacts/a.MD5SUM") => {
            resp(200, &[], b"0cc175b9c0f1b6a831c399e269772661  a")
        }
        _ => resp(404, &[], b""),
    }
}

#[tokio::test]
async fn all_operations_hit_the_right_resource() {
    let srv = Server::start(hawkbit).await;
    let c = ctl(&srv.url());
    let base = c.poll().await.unwrap();
    assert_eq!(
        parse_sleep(base.sleep().unwrap()),
        Ok(Duration::from_secs(86_400))
    );
    let link = base.links.deployment_base.clone().unwrap();
    let d = c
        .deployment_base(&link, ddi_client::HistoryRequest::Latest(5))
        .await
        .unwrap();
    assert_eq!(d.id, ActionId::new("7"));
    assert_eq!(d.deployment.update, Some(Handling::Attempt));
    let fb = ActionFeedback::new(Execution::Proceeding, Finished::None)
        .with_progress(1, 2)
        .with_code(3)
        .timestamped_now();
    c.deployment_feedback(&link, &fb).await.unwrap();
    let cancel_link = c.action_link("cancelAction", &ActionId::new("9"));
    let cancel = c.cancel_action(&cancel_link).await.unwrap();
    assert_eq!(cancel.cancel_action.stop_id, ActionId::new("9"));
    c.cancel_feedback(
        &cancel_link,
        &ActionFeedback::new(Execution::Closed, Finished::Success),
    )
    .await
    .unwrap();
    c.put_config_data(None, &ConfigData::new(ConfigMode::Replace).with("k", "v"))
        .await
        .unwrap();
    c.installed_base(
        &c.action_link("installedBase", &ActionId::new("4")),
        ddi_client::HistoryRequest::Omit,
    )
    .await
    .unwrap();
    let change = c
        .put_installed_base(&AssignedVersion {
            name: "ds".into(),
            version: "1".into(),
        })
        .await
        .unwrap();
    assert_eq!(change, InstalledBaseChange::Created);
    let cb = c.confirmation_base().await.unwrap();
    assert!(cb.auto_confirm.active);
    let conf_link = c.action_link("confirmationBase", &ActionId::new("7"));
    assert_eq!(
        c.confirmation_action(&conf_link, ddi_client::HistoryRequest::Omit)
            .await
            .unwrap()
            .id,
        ActionId::new("7")
    );
    let cf = ConfirmationFeedback {
        confirmation: Confirmation::Denied,
        code: Some(-4),
        details: vec!["user said no".into()],
    };
    c.confirmation_feedback(&conf_link, &cf).await.unwrap();
    assert_eq!(
        c.activate_auto_confirm(None).await.unwrap(),
        AutoConfirmChange::AlreadyActive
    );
    c.deactivate_auto_confirm().await.unwrap();
    let arts = c.artifacts(3).await.unwrap();
    let md5 = c.md5sum(&arts[0]).await.unwrap();
    assert_eq!(md5.md5, "0cc175b9c0f1b6a831c399e269772661");

    let reqs = srv.requests();
    let seen: Vec<String> = reqs
        .iter()
        .map(|r| format!("{} {}", r.method, r.target))
        .collect();
    let root = "/DEFAULT/controller/v1/dev%201";
    let expect = [
        format!("GET {root}"),
        format!("GET {root}/deploymentBase/7?c=-5&actionHistory=5"),
        format!("POST {root}/deploymentBase/7/feedback"),
        format!("GET {root}/cancelAction/9"),
        format!("POST {root}/cancelAction/9/feedback"),
        format!("PUT {root}/configData"),
        format!("GET {root}/installedBase/4"),
        format!("PUT {root}/installedBase"),
        format!("GET {root}/confirmationBase"),
        format!("GET {root}/confirmationBase/7"),
        format!("POST {root}/confirmationBase/7/feedback"),
        format!("POST {root}/confirmationBase/activateAutoConfirm"),
        format!("POST {root}/confirmationBase/deactivateAutoConfirm"),
        format!("GET {root}/softwaremodules/3/artifacts"),
        format!("GET {root}/softwaremodules/3/artifacts/a.MD5SUM"),
    ];
    assert_eq!(seen, expect);
    for r in &reqs {
        assert_eq!(
            r.header("authorization"),
            Some("GatewayToken gw"),
            "{}",
            r.target
        );
        if !r.body.is_empty() {
            assert_eq!(
                r.header("content-type"),
                Some("application/json"),
                "{}",
                r.target
            );
        }
    }
    let fb_body: serde_json::Value = serde_json::from_slice(&reqs[2].body).unwrap();
    assert_eq!(
        fb_body["status"]["result"]["progress"],
        serde_json::json!({"cnt": 1, "of": 2})
    );
    assert_eq!(fb_body["status"]["code"], 3);
    assert!(
        fb_body["timestamp"].is_i64()
            && fb_body.get("id").is_none()
            && fb_body.get("time").is_none()
    );
    let cf_body: serde_json::Value = serde_json::from_slice(&reqs[10].body).unwrap();
    assert_eq!(
        cf_body,
        serde_json::json!({"confirmation": "denied", "code": -4, "details": ["user said no"]})
    );
}

#[tokio::test]
async fn conditional_poll_reuses_cached_document_on_304() {
    let srv = Server::start(|req, _| {
        if req.header("if-none-match") == Some("\"e1\"") {
            resp(304, &[("ETag", "\"e1\"")], b"")
        } else {
            resp(
                200,
                &[("ETag", "\"e1\""), ("Content-Type", "application/hal+json")],
                br#"{"config":{"polling":{"sleep":"00:01:00"}},"_links":{}}"#,
            )
        }
    })
    .await;
    let c = ctl(&srv.url());
    let first = c.poll().await.unwrap();
    let second = c.poll().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(srv.requests()[1].header("if-none-match"), Some("\"e1\""));
    assert_eq!(
        c.poll_conditional(Some("\"e1\"")).await.unwrap(),
        ddi_client::PollResponse::NotModified
    );
}

#[tokio::test]
async fn huge_json_is_refused_without_buffering_it() {
    let srv = Server::start(|_, _| {
        let body = format!(
            r#"{{"config":{{"polling":{{"sleep":"{}"}}}}}}"#,
            "9".repeat(200_000)
        );
        json(200, &body)
    })
    .await;
    let c = Client::builder(srv.url(), "DEFAULT")
        .max_document_bytes(64 * 1024)
        .build()
        .unwrap();
    let err = c.controller("d").unwrap().poll().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BodyTooLarge);
}

#[tokio::test]
async fn malformed_document_is_a_decode_error() {
    let srv = Server::start(|_, _| {
        json(
            200,
            r#"{"id": "1", "deployment": {"chunks": [{"part": 5}]}}"#,
        )
    })
    .await;
    let c = ctl(&srv.url());
    let err = c
        .deployment_base(
            &Link::new(format!("{}/x", srv.url())),
            ddi_client::HistoryRequest::Omit,
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(
        std::error::Error::source(&err)
            .unwrap()
            .to_string()
            .contains("deployment base")
    );
}

#[tokio::test]
async fn rate_limit_429_is_retried_then_succeeds() {
    let srv = Server::start(|_, i| {
        if i < 2 {
            resp(429, &[], b"")
        } else {
            json(200, "{}")
        }
    })
    .await;
    ctl(&srv.url()).poll().await.unwrap();
    assert_eq!(srv.requests().len(), 3);
}

#[tokio::test]
async fn quota_429_is_terminal_for_the_action_and_not_retried() {
    let srv = Server::start(|_, _| {
        resp(429, &[("Content-Type", "application/json")], br#"{"exceptionClass":"x","errorCode":"hawkbit.server.error.quota.tooManyEntries","message":"quota"}"#)
    })
    .await;
    let c = ctl(&srv.url());
    let fb = ActionFeedback::new(Execution::Proceeding, Finished::None);
    let err = c
        .deployment_feedback(
            &Link::new("/DEFAULT/controller/v1/dev%201/deploymentBase/1"),
            &fb,
        )
        .await
        .unwrap_err();
    assert!(err.is_quota_exceeded() && !err.is_rate_limited());
    assert_eq!(err.retry_class(), RetryClass::TerminalForAction);
    assert_eq!(
        err.error_code(),
        Some("hawkbit.server.error.quota.tooManyEntries")
    );
    assert_eq!(srv.requests().len(), 1);
}

#[tokio::test]
async fn closed_action_410_and_auth_401_are_classified() {
    let srv = Server::start(|req, _| {
        if req.method == "POST" {
            resp(410, &[], b"")
        } else {
            resp(401, &[], b"")
        }
    })
    .await;
    let c = ctl(&srv.url());
    let fb = ActionFeedback::new(Execution::Closed, Finished::Success);
    let err = c
        .deployment_feedback(&Link::new("deploymentBase/1"), &fb)
        .await
        .unwrap_err();
    assert!(err.is_gone());
    assert_eq!(err.retry_class(), RetryClass::TerminalForAction);
    assert_eq!(
        srv.requests()[0].path(),
        "/DEFAULT/controller/v1/dev%201/deploymentBase/1/feedback"
    );
    let err = c.poll().await.unwrap_err();
    assert!(err.is_unauthorized());
    assert_eq!(err.retry_class(), RetryClass::Auth);
}

#[tokio::test]
async fn token_dropped_by_cross_origin_redirect_is_reported() {
    let real = Server::start(|req, _| {
        if req.header("authorization").is_some() {
            json(200, "{}")
        } else {
            resp(401, &[], b"")
        }
    })
    .await;
    let target = real.url();
    let front = Server::start(move |req, _| {
        resp(
            301,
            &[("Location", &format!("{target}{}", req.target))],
            b"",
        )
    })
    .await;
    let err = ctl(&front.url()).poll().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthDroppedOnRedirect);
    assert_eq!(err.retry_class(), RetryClass::Auth);
    assert_eq!(real.requests()[0].header("authorization"), None);
}

#[tokio::test]
async fn server_errors_are_retried_with_bounded_backoff() {
    let srv = Server::start(|_, _| resp(503, &[], b"")).await;
    let err = ctl(&srv.url()).poll().await.unwrap_err();
    assert_eq!(err.status_code(), Some(503));
    assert!(err.is_transient());
    assert_eq!(srv.requests().len(), 4, "first attempt plus 3 retries");
}

#[tokio::test]
async fn gateway_mode_serves_many_controllers_on_one_client() {
    let srv = Server::start(|req, _| {
        json(
            200,
            &format!(
                r#"{{"config":{{"polling":{{"sleep":"00:00:{:02}"}}}}}}"#,
                req.path().len() % 60
            ),
        )
    })
    .await;
    let client = client(&srv.url());
    let handles: Vec<_> = (0..300)
        .map(|i| {
            let c = client.controller(&format!("gw-{i}")).unwrap();
            tokio::spawn(async move { c.poll().await.map(|b| b.sleep().map(str::to_owned)) })
        })
        .collect();
    for h in handles {
        assert!(h.await.unwrap().unwrap().is_some());
    }
    let mut paths: Vec<String> = srv.requests().iter().map(|r| r.path().to_owned()).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), 300);
    assert!(
        srv.requests()
            .iter()
            .all(|r| r.header("authorization") == Some("GatewayToken gw"))
    );
    let per_device = client.controller_with_token("solo", "tt").unwrap();
    per_device.poll().await.unwrap();
    assert_eq!(
        srv.requests().last().unwrap().header("authorization"),
        Some("TargetToken tt")
    );
}

#[test]
fn invalid_configuration_is_a_caller_bug() {
    let e = Client::builder("ftp://x", "DEFAULT").build().unwrap_err();
    assert_eq!(
        (e.kind(), e.retry_class()),
        (ErrorKind::Config, RetryClass::CallerBug)
    );
    let c = Client::builder("http://127.0.0.1:1", "DEFAULT")
        .build()
        .unwrap();
    assert!(c.controller("").is_err());
    assert!(c.controller(&"x".repeat(257)).is_err());
    assert!(
        Client::builder("http://h", "T")
            .add_root_pem("not pem")
            .build()
            .is_err()
    );
    assert!(format!("{:?}", Auth::TargetToken("s3cret".into())).contains("redacted"));
}

#[tokio::test]
async fn explicit_proxy_receives_the_requests() {
    let proxy =
        Server::start(|_, _| json(200, r#"{"config":{"polling":{"sleep":"00:00:30"}}}"#)).await;
    let c = Client::builder("http://ddi.invalid", "DEFAULT")
        .auth(Auth::TargetToken("t".into()))
        .proxy(proxy.url())
        .build()
        .unwrap()
        .controller("d")
        .unwrap();
    assert_eq!(c.poll().await.unwrap().sleep(), Some("00:00:30"));
    let req = &proxy.requests()[0];
    assert_eq!(req.target, "http://ddi.invalid/DEFAULT/controller/v1/d");
    assert_eq!(req.header("authorization"), Some("TargetToken t"));
}

#[tokio::test]
async fn retry_after_is_honoured_up_to_the_cap() {
    let srv = Server::start(|_, i| {
        if i == 0 {
            resp(503, &[("Retry-After", "1")], b"")
        } else {
            json(200, "{}")
        }
    })
    .await;
    let c = Client::builder(srv.url(), "DEFAULT")
        .backoff(Backoff::new(
            Duration::from_millis(1),
            Duration::from_secs(5),
            2,
        ))
        .build()
        .unwrap()
        .controller("d")
        .unwrap();
    let start = std::time::Instant::now();
    c.poll().await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(srv.requests().len(), 2);
}

#[test]
fn server_path_prefixes_and_ids_are_encoded_as_segments() {
    for server in ["http://h:1/prefix", "http://h:1/prefix/"] {
        let c = Client::builder(server, "TEN ANT").build().unwrap();
        let ctl = c.controller("a b/c").unwrap();
        assert_eq!(
            ctl.root_url().as_str(),
            "http://h:1/prefix/TEN%20ANT/controller/v1/a%20b%2Fc"
        );
        let link = ctl.action_link("deploymentBase", &ActionId::new("5"));
        assert_eq!(
            link.href,
            "http://h:1/prefix/TEN%20ANT/controller/v1/a%20b%2Fc/deploymentBase/5"
        );
    }
}
