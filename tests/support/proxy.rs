//! A forward proxy for tests: every connection, whatever host it names, is tunnelled to one
//! upstream (the test registry), so a registry with a made-up name can be reached through it
//! and nothing ever leaves 127.0.0.1. `CONNECT` is answered 200 and tunnelled; a plain request
//! (absolute form, `GET http://name/v2/`) is passed on as is (Go's server takes that form).
#![allow(dead_code)]

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A running proxy; it stops accepting when dropped (the listener thread ends with the test).
pub struct TestProxy {
    pub addr: String,
    /// The first line of each connection: `CONNECT host:port HTTP/1.1` or `GET http://… HTTP/1.1`.
    seen: Arc<Mutex<Vec<String>>>,
}

impl TestProxy {
    /// A proxy that sends everything to `upstream` (`127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("addr").to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (log, upstream) = (seen.clone(), upstream.to_string());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (log, upstream) = (log.clone(), upstream.clone());
                std::thread::spawn(move || serve(client, &upstream, &log));
            }
        });
        TestProxy { addr, seen }
    }

    /// `http://127.0.0.1:PORT`, for `HTTP_PROXY` / `HTTPS_PROXY`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The first line of every connection so far.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("log").clone()
    }
}

fn serve(mut client: TcpStream, upstream: &str, log: &Mutex<Vec<String>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte) {
            Ok(1) if head.len() < 64 * 1024 => head.push(byte[0]),
            _ => return,
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let first = text.lines().next().unwrap_or_default().to_string();
    log.lock().expect("log").push(first.clone());
    let Ok(mut server) = TcpStream::connect(upstream) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    if first.starts_with("CONNECT ") {
        if client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .is_err()
        {
            return;
        }
    } else if server.write_all(&head).is_err() {
        return;
    }
    let (Ok(mut client_read), Ok(mut server_write)) = (client.try_clone(), server.try_clone())
    else {
        return;
    };
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_read, &mut server_write);
        let _ = server_write.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut server, &mut client);
    let _ = client.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
}
