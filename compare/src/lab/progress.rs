//! One line on stderr saying what runs now.

use std::io::Write;

/// Redrawn in place on a terminal, one line per step otherwise (CI logs).
pub struct Progress {
    pub tty: bool,
}

impl Progress {
    pub fn show(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2Kcompare: {text} …");
            let _ = err.flush();
        } else {
            let _ = writeln!(err, "compare: {text}");
        }
    }

    pub fn clear(&self) {
        if self.tty {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}
