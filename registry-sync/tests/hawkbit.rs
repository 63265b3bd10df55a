//! The hawkBit connector against testkit's DDI simulator with its Management API.
#![cfg(feature = "hawkbit")]

#[test]
fn simulator_serves_the_management_api() {
    let server = testkit::ddi::DdiServer::builder()
        .mgmt_user("DEFAULT", "admin", "pw")
        .start();
    assert!(server.mgmt_url().ends_with("/rest/v1"));
}
