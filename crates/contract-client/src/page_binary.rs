//! A page's own binary as its recipe starts it (the attacker's page, the
//! single-page app, the side-by-side workshop page): on a free port, its
//! address read from the first line it prints, plain HTTP/1.1 GETs to it,
//! and killed on drop, whatever the test's outcome.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

/// How long a binary may take to print its address, and a GET to answer.
const LIMIT: Duration = Duration::from_secs(30);

pub struct PageBinary {
    child: Child,
    /// `host:port`, as printed.
    pub address: String,
}

impl PageBinary {
    /// Starts `exe --port 0 ARGS` with `port_env` removed from its
    /// environment, and reads its address from the first line it prints,
    /// which starts with `prefix` (`attacker page on http://`).
    pub fn start(exe: &str, port_env: &str, args: &[&str], prefix: &str) -> Self {
        let mut child = Command::new(exe)
            .args(["--port", "0"])
            .args(args)
            .env_remove(port_env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{exe} starts: {e}"));
        let stdout = child.stdout.take();
        // The first line, or nothing if the binary never prints one: a read
        // in a thread, so that the wait has a limit.
        let (sent, first_line) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            if let Some(stdout) = stdout {
                let _ = BufReader::new(stdout).read_line(&mut line);
            }
            let _ = sent.send(line);
        });
        let mut running = Self {
            child,
            address: String::new(),
        };
        let line = first_line.recv_timeout(LIMIT).unwrap_or_default();
        running.address = line
            .trim()
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("{exe} printed no address after {prefix:?}: {line:?}"))
            .to_owned();
        assert!(
            !running.address.ends_with(":0"),
            "the port bound, not the one asked for: {line:?}"
        );
        running
    }

    /// `GET path`: the whole response, status line and headers included.
    pub fn get(&self, path: &str) -> String {
        let address = &self.address;
        let mut stream = TcpStream::connect(address).expect("the printed address answers");
        stream
            .set_read_timeout(Some(LIMIT))
            .expect("a read timeout");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
        )
        .expect("the request sent");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .expect("the response read");
        response
    }
}

impl Drop for PageBinary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
