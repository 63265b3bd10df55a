//! The goosebit management helper against a real goosebit: upload a
//! generated .swu, assign it, and see a raw DDI poll offer it.

use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use testkit::peers::Goosebit;
use testkit::peers::goosebit_admin::{GoosebitAdmin, build_swu};

#[test]
fn uploaded_and_assigned_image_is_offered_over_ddi() {
    let Some(server) = Goosebit::start() else {
        return;
    };
    let admin =
        GoosebitAdmin::for_server(&server).unwrap_or_else(|e| panic!("{e}\n{}", server.log()));
    let payload = vec![0x5A_u8; 4096];
    let image = build_swu("1.0.1", "payload.bin", &payload);
    let software = admin
        .upload_software("demo-1.0.1.swu", image.clone())
        .unwrap_or_else(|e| panic!("{e}\n{}", server.log()));

    let http = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap();
    let device = format!("{}/controller/v1/gb-dev-1", server.ddi_url());
    // goosebit offers nothing until the device has registered with configData
    let first: Value = http.get(&device).send().unwrap().json().unwrap();
    assert!(first["_links"]["configData"]["href"].is_string(), "{first}");
    let put = http
        .put(format!("{device}/configData"))
        .json(&json!({"mode": "merge", "data": {"hw_boardname": "default", "hw_revision": "default", "sw_version": "1.0.0"}}))
        .send()
        .unwrap();
    assert_eq!(put.status(), 200);

    admin
        .assign("gb-dev-1", software)
        .unwrap_or_else(|e| panic!("{e}\n{}", server.log()));
    let row = admin.device("gb-dev-1").unwrap().expect("device listed");
    assert_eq!(row.update_mode, "Assigned");
    assert_eq!(row.sw_version.as_deref(), Some("1.0.0"));

    let poll: Value = http.get(&device).send().unwrap().json().unwrap();
    let href = poll["_links"]["deploymentBase"]["href"]
        .as_str()
        .unwrap_or_else(|| panic!("no deployment offered: {poll}"));
    let deployment: Value = http.get(href).send().unwrap().json().unwrap();
    let artifact = &deployment["deployment"]["chunks"][0]["artifacts"][0];
    assert_eq!(artifact["size"], json!(image.len()));
    assert_eq!(
        artifact["hashes"]["sha1"],
        json!(hex::encode(Sha1::digest(&image)))
    );
    assert_eq!(
        deployment["deployment"]["chunks"][0]["version"],
        json!("1.0.1")
    );

    // a second session on the same server works too
    let second =
        GoosebitAdmin::for_server(&server).unwrap_or_else(|e| panic!("{e}\n{}", server.log()));
    assert!(second.devices().unwrap().iter().any(|d| d.id == "gb-dev-1"));

    // the download serves exactly the uploaded image
    let download = artifact["_links"]["download"]["href"].as_str().unwrap();
    let bytes = http.get(download).send().unwrap().bytes().unwrap();
    assert_eq!(&bytes[..], &image[..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_calls_work_from_async_tests() {
    let Some(server) = Goosebit::start() else {
        return;
    };
    let admin =
        GoosebitAdmin::for_server(&server).unwrap_or_else(|e| panic!("{e}\n{}", server.log()));
    assert!(admin.devices().unwrap().is_empty());
    let image = build_swu("2.0.0", "p.bin", b"payload");
    let id = admin.upload_software("img.swu", image).unwrap();
    admin.assign("async-dev", id).unwrap();
    assert_eq!(
        admin
            .device("async-dev")
            .unwrap()
            .expect("listed")
            .update_mode,
        "Assigned"
    );
    // dropping the session inside the runtime is fine too
    drop(admin);
}
