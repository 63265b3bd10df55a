//! Child-process plumbing shared by the peers: free ports, readiness, teardown.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::Child;
use std::thread;
use std::time::{Duration, Instant};

/// A TCP port on 127.0.0.1 that was free a moment ago.
///
/// The port is released before it is returned, so another process could take
/// it in between; the peers retry on a new port when their start fails.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("cannot find a free loopback port: {e}"))
}

/// Waits until something accepts TCP connections on `port`, or the child
/// exits, or `timeout` passes.
pub(crate) fn wait_for_port(child: &mut Child, port: u16, timeout: Duration) -> Result<(), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "exited with {status} before listening on port {port}"
            ));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("did not listen on port {port} within {timeout:?}"));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until an HTTP `GET path` on `port` gets any status line back.
pub(crate) fn wait_for_http(
    child: &mut Child,
    port: u16,
    path: &str,
    timeout: Duration,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        wait_for_port(child, port, timeout)?;
        if http_status(port, path).is_some() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("no HTTP answer on port {port} within {timeout:?}"));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// The status code of a plain `GET path` on loopback, if the server answered.
pub(crate) fn http_status(port: u16, path: &str) -> Option<u16> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0_u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// Kills and reaps a child; errors mean it is already gone.
pub(crate) fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}
