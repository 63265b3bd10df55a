//! The `ddi-agent` binary against the testkit DDI server: it takes the
//! assigned update into its slot and reports success, logs a rejected token
//! without printing it, and refuses bad options with a message and a failure
//! exit code.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use testkit::ddi::{ActionStatus, ArtifactSpec, Assignment, DdiServer, ModuleSpec};

fn spawn_agent(server: &DdiServer, controller: &str, token: &str, dir: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ddi-agent"))
        .args(["--url", &server.url(), "--tenant", "DEFAULT"])
        .args(["--controller", controller, "--token", token])
        .arg("--work-dir")
        .arg(dir.join("work"))
        .arg("--slot")
        .arg(dir.join("slot"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ddi-agent starts")
}

/// Waits until `done` holds, for at most `limit`.
fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    done()
}

#[test]
fn the_agent_installs_the_assigned_update_into_its_slot_and_reports_success() {
    let server = DdiServer::start();
    server.register_controller("agent-1", Some("token-1"));
    let image: Vec<u8> = (0..300_000_u32).map(|i| (i % 251) as u8).collect();
    let dep = server.deploy(
        &["agent-1"],
        ModuleSpec::new("firmware", "2.0.0").artifact(ArtifactSpec::new("fw.bin", image.clone())),
        &Assignment::default(),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_agent(&server, "agent-1", "token-1", dir.path());
    let finished = wait_for(Duration::from_secs(60), || {
        server
            .action(dep.actions[0])
            .is_some_and(|a| a.status == ActionStatus::Finished)
    });
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert!(
        finished,
        "action not finished; agent said:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(dir.path().join("slot/fw.bin")).unwrap(),
        image
    );
    let last = server
        .action(dep.actions[0])
        .unwrap()
        .last_feedback()
        .cloned()
        .unwrap();
    assert_eq!(last.finished.as_deref(), Some("success"));
    // It authenticated with its target token, never anything else.
    assert!(
        server
            .requests()
            .iter()
            .filter(|r| r.controller.as_deref() == Some("agent-1"))
            .all(|r| r.authorization.as_deref() == Some("TargetToken token-1"))
    );
}

#[test]
fn a_wrong_token_is_reported_and_nothing_is_installed() {
    let server = DdiServer::start();
    server.register_controller("agent-2", Some("right"));
    server.deploy(
        &["agent-2"],
        ModuleSpec::new("firmware", "2.0.0").artifact(ArtifactSpec::new("fw.bin", &b"x"[..])),
        &Assignment::default(),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_agent(&server, "agent-2", "wrong", dir.path());
    let asked = wait_for(Duration::from_secs(30), || server.total_requests() > 0);
    std::thread::sleep(Duration::from_millis(300));
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(asked, "the agent never polled");
    assert!(stderr.contains("agent step failed"), "{stderr}");
    assert!(
        !stderr.contains("wrong"),
        "the token leaked into the log: {stderr}"
    );
    assert!(!dir.path().join("slot/fw.bin").exists());
}

#[test]
fn bad_options_fail_with_a_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_ddi-agent"))
        .args(["--url", "not a url", "--controller", "c"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("ddi-agent: "), "{stderr}");

    let out = Command::new(env!("CARGO_BIN_EXE_ddi-agent"))
        .args(["--url", "http://127.0.0.1:9", "--controller", "c"])
        .args(["--token", "a", "--gateway-token", "b"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "token and gateway token conflict");
}
