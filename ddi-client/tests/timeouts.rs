//! The client's time limits: a server that accepts but never answers, or
//! answers its head and then stalls, gives a typed, transient timeout in
//! about the configured time instead of hanging the agent.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use ddi_client::{Backoff, Client, ClientBuilder, ErrorKind, RetryClass};

/// A loopback server whose every connection is handled by `serve`, kept
/// open for a while so that only the client's own limits end the request.
fn server(serve: fn(std::net::TcpStream)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("a bound address"));
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || serve(stream));
        }
    });
    url
}

fn read_request(stream: &mut std::net::TcpStream) {
    let mut buf = [0_u8; 4096];
    let _ = stream.read(&mut buf);
}

/// Polls `url` once with `limits` set on a client that does not retry, and
/// returns the error after checking it came within 5 s (far below the 10 s
/// the servers here stall for) and is a transient timeout.
async fn poll_times_out(url: String, limits: impl FnOnce(&mut ClientBuilder)) -> ddi_client::Error {
    let mut b = Client::builder(url, "DEFAULT");
    b.backoff(Backoff::none());
    limits(&mut b);
    let c = b
        .build()
        .expect("a valid client")
        .controller("dev-1")
        .expect("a valid controller id");
    let started = Instant::now();
    let Err(err) = c.poll().await else {
        panic!("the poll did not fail");
    };
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(err.retry_class(), RetryClass::Transient, "{err:?}");
    err
}

#[tokio::test]
async fn a_silent_server_hits_the_request_timeout() {
    let url = server(|mut s| {
        read_request(&mut s);
        thread::sleep(Duration::from_secs(10));
    });
    let err = poll_times_out(url, |b| {
        b.request_timeout(Duration::from_millis(300));
    })
    .await;
    assert_eq!(err.kind(), ErrorKind::Timeout);
}

#[tokio::test]
async fn a_body_that_stalls_hits_the_read_timeout() {
    let url = server(|mut s| {
        read_request(&mut s);
        // Head and the start of a 1000-byte body, then nothing.
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"config\":");
        let _ = s.flush();
        thread::sleep(Duration::from_secs(10));
    });
    poll_times_out(url, |b| {
        b.read_timeout(Duration::from_millis(300));
    })
    .await;
}

#[tokio::test]
async fn a_server_that_never_finishes_the_handshake_hits_the_connect_timeout() {
    // TCP connects, but the TLS handshake never gets an answer: only the
    // connect timeout (which covers the handshake) can end this; the request
    // and read limits are far away.
    let url = server(|mut s| {
        read_request(&mut s);
        thread::sleep(Duration::from_secs(10));
    })
    .replace("http://", "https://");
    poll_times_out(url, |b| {
        b.connect_timeout(Duration::from_millis(300))
            .request_timeout(Duration::from_secs(60))
            .read_timeout(Duration::from_secs(60));
    })
    .await;
}
