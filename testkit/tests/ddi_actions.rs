//! The action state machine: handling types, feedback transitions, the
//! confirmation and cancel flows, maintenance windows, installedBase,
//! actionHistory, configData and quotas.

mod support;

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use support::*;
use testkit::ddi::{
    ActionStatus, ActionType, Assignment, DdiServer, EntrySource, MaintenanceWindow, ModuleSpec,
    TenantConfig,
};

fn action_url(server: &DdiServer, kind: &str, id: impl std::fmt::Display) -> String {
    format!("{}/{kind}/{id}", server.controller_url("dev-1"))
}

#[test]
fn handling_types_follow_the_action_type() {
    let cases = [
        (ActionType::Soft, "attempt", "attempt"),
        (ActionType::Forced, "forced", "forced"),
        (ActionType::DownloadOnly, "forced", "skip"),
        (
            ActionType::TimeForced {
                force_at: SystemTime::now() - Duration::from_secs(1),
            },
            "forced",
            "forced",
        ),
    ];
    for (action_type, download, update) in cases {
        let server = token_server();
        let d = deploy(&server, b"abc", &Assignment::new(action_type));
        let doc = get_json(&link(&poll(&server), "deploymentBase").unwrap());
        assert_eq!(
            doc["id"],
            json!(d.actions[0].to_string()),
            "ids are strings"
        );
        assert_eq!(
            doc["deployment"]["download"],
            json!(download),
            "{action_type:?}"
        );
        assert_eq!(
            doc["deployment"]["update"],
            json!(update),
            "{action_type:?}"
        );
        assert!(doc["deployment"].get("maintenanceWindow").is_none());
        let chunk = &doc["deployment"]["chunks"][0];
        assert_eq!(
            (
                chunk["part"].as_str(),
                chunk["name"].as_str(),
                chunk["version"].as_str()
            ),
            (Some("os"), Some("fw"), Some("1.0"))
        );
        let artifact = &chunk["artifacts"][0];
        assert_eq!(artifact["size"], json!(3));
        assert_eq!(
            artifact["hashes"]["sha256"],
            json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        // a stock server links only download-http and md5sum-http
        let rels: Vec<&String> = artifact["_links"].as_object().unwrap().keys().collect();
        assert_eq!(rels.len(), 2, "{rels:?}");
        assert!(artifact["_links"]["download-http"]["href"].is_string());
        assert!(
            artifact["_links"]["md5sum-http"]["href"]
                .as_str()
                .unwrap()
                .ends_with("fw.bin.MD5SUM")
        );
    }
}

#[test]
fn chunks_carry_metadata_encryption_and_legacy_part_names() {
    let server = token_server();
    let m = server.create_module(
        ModuleSpec::new("app", "2")
            .part("application")
            .metadata("k", "v")
            .encrypted(),
    );
    let os = server.create_module(ModuleSpec::new("os", "3"));
    let dist = server.create_distribution("set", "1", &[m, os]);
    server.assign("dev-1", dist, &Assignment::default());
    let doc = get_json(&link(&poll(&server), "deploymentBase").unwrap());
    let chunks = doc["deployment"]["chunks"].as_array().unwrap();
    assert_eq!(chunks[0]["part"], json!("bApp"));
    assert_eq!(chunks[0]["encrypted"], json!(true));
    assert_eq!(chunks[0]["metadata"], json!([{"key": "k", "value": "v"}]));
    assert!(chunks[1].get("encrypted").is_none() && chunks[1].get("metadata").is_none());
    assert_eq!(chunks[1]["artifacts"], json!([]));
}

#[test]
fn success_closes_the_action_and_offers_installed_base() {
    let server = token_server();
    let d = deploy(&server, b"abc", &Assignment::default());
    let id = d.actions[0];
    let fb_url = format!("{}/feedback", action_url(&server, "deploymentBase", id));
    let progress = json!({"status": {"execution": "proceeding", "result": {"finished": "none", "progress": {"cnt": 1, "of": 3}}, "code": 12, "details": ["writing"]}, "timestamp": 1_700_000_000_000_i64});
    assert_eq!(post_json(&fb_url, &progress).status(), 200);
    let a = server.action(id).unwrap();
    assert_eq!(a.status, ActionStatus::Running);
    let last = a.last_feedback().unwrap();
    assert_eq!(last.progress, Some((1, Some(3))));
    assert_eq!(last.code, Some(12));
    assert_eq!(last.timestamp, Some(1_700_000_000_000));
    assert_eq!(
        last.messages,
        vec!["writing", "Device reported status code: 12"]
    );
    assert_eq!(last.body.as_ref().unwrap(), &progress);

    assert_eq!(
        post_json(&fb_url, &feedback("closed", "success")).status(),
        200
    );
    let a = server.action(id).unwrap();
    assert_eq!((a.status, a.active), (ActionStatus::Finished, false));
    assert_eq!(a.feedback().count(), 2);
    let p = poll(&server);
    assert!(link(&p, "deploymentBase").is_none());
    let installed = link(&p, "installedBase").unwrap();
    assert!(installed.ends_with(&format!("/installedBase/{id}")));
    assert!(
        link(&p, "configData").is_some(),
        "attributes are requested after an update"
    );
    let doc = get_json(&installed);
    assert_eq!(doc["id"], json!(id.to_string()));
    // a closed action answers 410 to more feedback, with an empty body
    let gone = post_json(&fb_url, &feedback("proceeding", "none"));
    assert_eq!(gone.status(), 410);
    assert!(gone.bytes().unwrap().is_empty());
}

#[test]
fn failure_is_an_error_and_not_installed() {
    let server = token_server();
    let id = deploy(&server, b"abc", &Assignment::default()).actions[0];
    let fb_url = format!("{}/feedback", action_url(&server, "deploymentBase", id));
    assert_eq!(
        post_json(&fb_url, &feedback("closed", "failure")).status(),
        200
    );
    let a = server.action(id).unwrap();
    assert_eq!((a.status, a.active), (ActionStatus::Error, false));
    assert_eq!(
        a.last_feedback().unwrap().messages,
        vec!["Update Server: Target reported CLOSED with ERROR!."]
    );
    assert!(link(&poll(&server), "installedBase").is_none());
    // installedBase of a failed (closed) action is still readable
    assert_eq!(get(&action_url(&server, "installedBase", id)).status(), 200);
}

#[test]
fn download_only_closes_on_downloaded() {
    let server = token_server();
    let id = deploy(&server, b"abc", &Assignment::new(ActionType::DownloadOnly)).actions[0];
    let fb_url = format!("{}/feedback", action_url(&server, "deploymentBase", id));
    assert_eq!(
        post_json(&fb_url, &feedback("download", "none")).status(),
        200
    );
    assert_eq!(server.action(id).unwrap().status, ActionStatus::Download);
    assert_eq!(
        post_json(&fb_url, &feedback("downloaded", "none")).status(),
        200
    );
    let a = server.action(id).unwrap();
    assert_eq!((a.status, a.active), (ActionStatus::Downloaded, false));
    assert!(link(&poll(&server), "deploymentBase").is_none());
}

#[test]
fn invalid_feedback_is_a_400_with_an_error_body() {
    let server = token_server();
    let id = deploy(&server, b"abc", &Assignment::default()).actions[0];
    let fb_url = format!("{}/feedback", action_url(&server, "deploymentBase", id));
    for bad in [
        json!({"status": {"execution": "exploded", "result": {"finished": "none"}}}),
        json!({"status": {"execution": "closed", "result": null}}),
        json!({"status": {"execution": "closed", "result": {"finished": "none"}, "details": ["<new> tag"]}}),
    ] {
        let r = post_json(&fb_url, &bad);
        assert_eq!(r.status(), 400, "{bad}");
        let body: Value = r.json().unwrap();
        assert!(
            body["errorCode"]
                .as_str()
                .unwrap()
                .starts_with("hawkbit.server.error."),
            "{body}"
        );
    }
    assert_eq!(server.action(id).unwrap().feedback().count(), 0);
    // someone else's or unknown action: 404 with an error body
    let r = post_json(
        &format!("{}/feedback", action_url(&server, "deploymentBase", 999)),
        &feedback("proceeding", "none"),
    );
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().unwrap()["errorCode"],
        json!("hawkbit.server.error.repo.entityNotFound")
    );
    let other = server
        .deploy(
            &["dev-2"],
            ModuleSpec::new("x", "1"),
            &Assignment::default(),
        )
        .actions[0];
    let r = post_json(
        &format!("{}/feedback", action_url(&server, "deploymentBase", other)),
        &feedback("proceeding", "none"),
    );
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().unwrap()["message"],
        json!(format!("Not a valid action ({other}) for target: dev-1"))
    );
}

#[test]
fn status_entry_quota_gives_429_but_final_feedback_passes() {
    let server = DdiServer::builder()
        .tenant(
            "DEFAULT",
            TenantConfig {
                max_status_entries_per_action: 3,
                ..TenantConfig::default()
            },
        )
        .start();
    server.register_controller("dev-1", Some(TOKEN));
    let id = deploy(&server, b"abc", &Assignment::default()).actions[0];
    let fb_url = format!("{}/feedback", action_url(&server, "deploymentBase", id));
    // one server entry from the assignment, then two intermediate feedbacks fit
    assert_eq!(
        post_json(&fb_url, &feedback("proceeding", "none")).status(),
        200
    );
    assert_eq!(
        post_json(&fb_url, &feedback("proceeding", "none")).status(),
        200
    );
    let r = post_json(&fb_url, &feedback("proceeding", "none"));
    assert_eq!(r.status(), 429);
    assert_eq!(
        r.json::<Value>().unwrap()["errorCode"],
        json!("hawkbit.server.error.quota.tooManyEntries")
    );
    assert_eq!(
        post_json(&fb_url, &feedback("closed", "success")).status(),
        200
    );
    assert_eq!(server.action(id).unwrap().status, ActionStatus::Finished);
}

#[test]
fn action_history_returns_device_messages_newest_first() {
    let server = token_server();
    let id = deploy(&server, b"abc", &Assignment::default()).actions[0];
    let fb_url = format!("{}/feedback", action_url(&server, "deploymentBase", id));
    for step in ["one", "two", "three"] {
        let body = json!({"status": {"execution": "proceeding", "result": {"finished": "none"}, "details": [step]}});
        assert_eq!(post_json(&fb_url, &body).status(), 200);
    }
    let base = action_url(&server, "deploymentBase", id);
    let none = get_json(&base);
    assert!(none.get("actionHistory").is_none());
    let two = get_json(&format!("{base}?actionHistory=2"));
    assert_eq!(
        two["actionHistory"],
        json!({"status": "RUNNING", "messages": ["three", "two"]})
    );
    let all = get_json(&format!("{base}?actionHistory=-1"));
    assert_eq!(
        all["actionHistory"]["messages"],
        json!(["three", "two", "one"])
    );
    assert_eq!(get(&format!("{base}?actionHistory=abc")).status(), 400);
}

#[test]
fn confirmation_flow_with_deny_confirm_and_auto_confirm() {
    let server = token_server();
    let id = deploy(
        &server,
        b"abc",
        &Assignment::default().confirmation_required(),
    )
    .actions[0];
    let p = poll(&server);
    assert!(link(&p, "deploymentBase").is_none());
    let confirm_href = link(&p, "confirmationBase").unwrap();
    assert!(confirm_href.contains(&format!("/confirmationBase/{id}?c=")));
    // deploymentBase and its feedback hide a waiting action
    assert_eq!(
        get(&action_url(&server, "deploymentBase", id)).status(),
        404
    );
    let fb = post_json(
        &format!("{}/feedback", action_url(&server, "deploymentBase", id)),
        &feedback("proceeding", "none"),
    );
    assert_eq!(fb.status(), 404);
    let doc = get_json(&confirm_href);
    assert_eq!(doc["id"], json!(id.to_string()));
    assert_eq!(doc["confirmation"]["update"], json!("forced"));
    let base = get_json(&format!(
        "{}/confirmationBase",
        server.controller_url("dev-1")
    ));
    assert_eq!(base["autoConfirm"], json!({"active": false}));
    assert!(link(&base, "activateAutoConfirm").is_some());
    assert_eq!(link(&base, "confirmationBase").unwrap(), confirm_href);

    let cfb = format!("{}/feedback", action_url(&server, "confirmationBase", id));
    let deny = json!({"confirmation": "denied", "code": 3, "details": ["user said no"]});
    assert_eq!(post_json(&cfb, &deny).status(), 200);
    let a = server.action(id).unwrap();
    assert_eq!(a.status, ActionStatus::WaitForConfirmation);
    let last = a.last_feedback().unwrap();
    assert_eq!(last.source, EntrySource::ConfirmationFeedback);
    assert_eq!(
        last.messages,
        vec!["user said no", "Device reported status code: 3"]
    );
    assert_eq!(
        post_json(&cfb, &json!({"confirmation": "confirmed"})).status(),
        200
    );
    assert_eq!(server.action(id).unwrap().status, ActionStatus::Running);
    assert!(link(&poll(&server), "deploymentBase").is_some());
    // no longer waiting: 404; closed: 410
    assert_eq!(
        post_json(&cfb, &json!({"confirmation": "confirmed"})).status(),
        404
    );
    assert_eq!(get(&confirm_href).status(), 404);
    post_json(
        &format!("{}/feedback", action_url(&server, "deploymentBase", id)),
        &feedback("closed", "success"),
    );
    assert_eq!(
        post_json(&cfb, &json!({"confirmation": "confirmed"})).status(),
        410
    );

    // auto-confirm confirms what waits and what comes later
    let waiting = deploy(
        &server,
        b"v2",
        &Assignment::default().confirmation_required(),
    )
    .actions[0];
    let activate = format!(
        "{}/confirmationBase/activateAutoConfirm",
        server.controller_url("dev-1")
    );
    let r = post_json(
        &activate,
        &json!({"initiator": "alice", "remark": "trusted"}),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(
        server.action(waiting).unwrap().status,
        ActionStatus::Running
    );
    let base = get_json(&format!(
        "{}/confirmationBase",
        server.controller_url("dev-1")
    ));
    assert_eq!(base["autoConfirm"]["active"], json!(true));
    assert_eq!(base["autoConfirm"]["initiator"], json!("alice"));
    assert!(base["autoConfirm"]["activatedAt"].as_i64().unwrap() > 0);
    assert!(link(&base, "deactivateAutoConfirm").is_some());
    let again = post_json(&activate, &json!({}));
    assert_eq!(again.status(), 409);
    assert_eq!(
        again.json::<Value>().unwrap()["errorCode"],
        json!("hawkbit.server.error.repo.autoConfAlreadyActive")
    );
    let deactivate = format!(
        "{}/confirmationBase/deactivateAutoConfirm",
        server.controller_url("dev-1")
    );
    assert_eq!(
        http()
            .post(&deactivate)
            .header("Authorization", auth())
            .send()
            .unwrap()
            .status(),
        200
    );
    assert!(server.controller("dev-1").unwrap().auto_confirm.is_none());
    // activation without a body gets hawkBit's fallback remark
    assert_eq!(
        http()
            .post(&activate)
            .header("Authorization", auth())
            .send()
            .unwrap()
            .status(),
        200
    );
    let remark = server
        .controller("dev-1")
        .unwrap()
        .auto_confirm
        .unwrap()
        .remark
        .unwrap();
    assert!(
        remark.starts_with("Initiated using the Device Direct Integration API"),
        "{remark}"
    );
}

#[test]
fn cancel_accept_and_reject() {
    let server = token_server();
    let id = deploy(&server, b"abc", &Assignment::default()).actions[0];
    let cancel_fb = format!("{}/feedback", action_url(&server, "cancelAction", id));
    // not cancelling yet
    assert_eq!(get(&action_url(&server, "cancelAction", id)).status(), 404);
    let r = post_json(&cancel_fb, &feedback("closed", "success"));
    assert_eq!(r.status(), 405);
    assert_eq!(
        r.json::<Value>().unwrap()["errorCode"],
        json!("hawkbit.server.error.action.notCancelable")
    );

    server.cancel(id).unwrap();
    let p = poll(&server);
    assert!(link(&p, "deploymentBase").is_none());
    let href = link(&p, "cancelAction").unwrap();
    assert!(
        href.ends_with(&format!("/cancelAction/{id}")),
        "no c= on cancel links: {href}"
    );
    let doc = get_json(&href);
    assert_eq!(
        doc,
        json!({"id": id.to_string(), "cancelAction": {"stopId": id.to_string()}})
    );
    assert_eq!(
        get(&action_url(&server, "deploymentBase", id)).status(),
        404
    );

    // reject: back to running, visible as deploymentBase again
    assert_eq!(
        post_json(&cancel_fb, &feedback("rejected", "none")).status(),
        200
    );
    let a = server.action(id).unwrap();
    assert_eq!((a.status, a.active), (ActionStatus::Running, true));
    assert_eq!(
        a.last_feedback().unwrap().status,
        ActionStatus::CancelRejected
    );
    assert!(link(&poll(&server), "deploymentBase").is_some());

    // cancel again and accept
    server.cancel(id).unwrap();
    assert_eq!(
        post_json(&cancel_fb, &feedback("closed", "success")).status(),
        200
    );
    let a = server.action(id).unwrap();
    assert_eq!((a.status, a.active), (ActionStatus::Canceled, false));
    let p = poll(&server);
    assert!(link(&p, "cancelAction").is_none() && link(&p, "deploymentBase").is_none());
    assert!(
        server.cancel(id).is_err(),
        "a closed action cannot be cancelled"
    );
}

#[test]
fn a_new_assignment_cancels_the_open_one() {
    let server = token_server();
    let first = deploy(&server, b"v1", &Assignment::default()).actions[0];
    let second = deploy(&server, b"v2", &Assignment::default()).actions[0];
    assert_eq!(
        server.action(first).unwrap().status,
        ActionStatus::Canceling
    );
    let href = link(&poll(&server), "cancelAction").unwrap();
    assert!(href.ends_with(&format!("/cancelAction/{first}")));
    let cancel_fb = format!("{}/feedback", action_url(&server, "cancelAction", first));
    assert_eq!(
        post_json(&cancel_fb, &feedback("closed", "success")).status(),
        200
    );
    let next = link(&poll(&server), "deploymentBase").unwrap();
    assert!(next.contains(&format!("/deploymentBase/{second}?")));
}

#[test]
fn maintenance_window_skips_update_until_open_and_cancels_when_lapsed() {
    let server = token_server();
    let id = deploy(
        &server,
        b"abc",
        &Assignment::new(ActionType::Soft).maintenance(MaintenanceWindow::Manual { open: false }),
    )
    .actions[0];
    let doc = get_json(&link(&poll(&server), "deploymentBase").unwrap());
    assert_eq!(doc["deployment"]["download"], json!("attempt"));
    assert_eq!(doc["deployment"]["update"], json!("skip"));
    assert_eq!(doc["deployment"]["maintenanceWindow"], json!("unavailable"));
    server
        .set_maintenance_window(id, Some(MaintenanceWindow::Manual { open: true }))
        .unwrap();
    let doc = get_json(&link(&poll(&server), "deploymentBase").unwrap());
    assert_eq!(doc["deployment"]["update"], json!("attempt"));
    assert_eq!(doc["deployment"]["maintenanceWindow"], json!("available"));

    // a window in the future shortens the sleep to a third of the gap (>= 30 s)
    let ahead = MaintenanceWindow::Scheduled {
        start: SystemTime::now() + Duration::from_secs(180),
        duration: Duration::from_secs(60),
    };
    server.set_maintenance_window(id, Some(ahead)).unwrap();
    let sleep = poll(&server)["config"]["polling"]["sleep"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(sleep == "00:00:59" || sleep == "00:01:00", "{sleep}");

    let lapsed = MaintenanceWindow::Scheduled {
        start: SystemTime::now() - Duration::from_secs(120),
        duration: Duration::from_secs(60),
    };
    server.set_maintenance_window(id, Some(lapsed)).unwrap();
    let p = poll(&server);
    assert!(link(&p, "cancelAction").is_some(), "{p}");
    assert_eq!(server.action(id).unwrap().status, ActionStatus::Canceling);
}

#[test]
fn config_data_merge_replace_remove() {
    let server = token_server();
    let url = format!("{}/configData", server.controller_url("dev-1"));
    let attrs = |s: &DdiServer| s.controller("dev-1").unwrap().attributes;
    assert_eq!(
        put_json(&url, &json!({"data": {"a": "1", "b": "2"}})).status(),
        200
    );
    assert_eq!(
        put_json(
            &url,
            &json!({"mode": "merge", "data": {"b": null, "c": "3"}})
        )
        .status(),
        200
    );
    assert_eq!(
        attrs(&server).into_iter().collect::<Vec<_>>(),
        vec![("a".into(), "1".into()), ("c".into(), "3".into())]
    );
    assert_eq!(
        put_json(&url, &json!({"mode": "remove", "data": {"a": ""}})).status(),
        200
    );
    assert_eq!(attrs(&server).len(), 1);
    assert_eq!(
        put_json(
            &url,
            &json!({"mode": "replace", "data": {"z": "26"}, "unknown": 1})
        )
        .status(),
        200
    );
    assert_eq!(
        attrs(&server).into_iter().collect::<Vec<_>>(),
        vec![("z".into(), "26".into())]
    );
    // legacy bodies with id/time/status are accepted
    let legacy = json!({"id": "x", "time": "20190809T121314", "status": {"result": {"finished": "success"}, "execution": "closed"}, "data": {"k": "v"}});
    assert_eq!(put_json(&url, &legacy).status(), 200);
    let r = put_json(&url, &json!({"data": {"k": "ümlaut"}}));
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().unwrap()["errorCode"],
        json!("hawkbit.server.error.repo.invalidTargetAttributes")
    );
    assert_eq!(
        put_json(&url, &json!({"mode": "sideways", "data": {}})).status(),
        400
    );
    let many: serde_json::Map<String, Value> =
        (0..101).map(|i| (format!("k{i}"), json!("v"))).collect();
    let r = put_json(&url, &json!({"mode": "replace", "data": many}));
    assert_eq!(r.status(), 429);
}

#[test]
fn installed_base_put_declares_an_offline_version() {
    let server = token_server();
    let module = server.create_module(ModuleSpec::new("fw", "9"));
    server.create_distribution("fw-set", "9.0", &[module]);
    let url = format!("{}/installedBase", server.controller_url("dev-1"));
    let r = put_json(&url, &json!({"name": "fw-set", "version": "9.0"}));
    assert_eq!(r.status(), 201);
    assert_eq!(
        put_json(&url, &json!({"name": "fw-set", "version": "9.0"})).status(),
        200
    );
    let r = put_json(&url, &json!({"name": "fw-set", "version": "0.0"}));
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().unwrap()["errorCode"],
        json!("hawkbit.server.error.repo.entityNotFound")
    );
    let installed = link(&poll(&server), "installedBase").unwrap();
    let doc = get_json(&installed);
    assert_eq!(doc["deployment"]["chunks"][0]["version"], json!("9"));
    // an open action is not an installed one
    let open = deploy(&server, b"x", &Assignment::default()).actions[0];
    assert_eq!(
        get(&action_url(&server, "installedBase", open)).status(),
        404
    );
}
