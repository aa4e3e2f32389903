//! CPU time a server process spends, read from `/proc/PID/stat`: what a
//! request costs the server itself. A row's requests/s also holds the load
//! generator's share of the same cores, and moves with whatever else the
//! machine runs; its CPU time per request counts only the server.

use std::time::Duration;

/// The kernel reports process times in `USER_HZ` ticks, 100 a second on
/// every architecture Linux runs on.
const TICK: Duration = Duration::from_millis(10);

/// User and system time of every thread of `pid` so far; `None` where there
/// is no `/proc` (not Linux) or the process is gone.
pub fn used(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse(&stat)
}

fn parse(stat: &str) -> Option<Duration> {
    // The command name, in parentheses, may hold spaces: count fields from
    // after its closing one. utime and stime are fields 14 and 15.
    let mut after = stat.get(stat.rfind(')')? + 1..)?.split_whitespace();
    let utime: u32 = after.nth(11)?.parse().ok()?;
    let stime: u32 = after.next()?.parse().ok()?;
    Some(TICK * (utime + stime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_user_and_system_time_past_a_name_with_spaces() {
        let stat = "4242 (tokio rt) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 37 0 0 20 0 5 0";
        assert_eq!(parse(stat), Some(Duration::from_millis(2870)));
        assert_eq!(parse("4242 (x) S 1"), None);
    }

    #[test]
    fn this_process_has_used_some_cpu() {
        let me = std::process::id();
        assert!(used(me).is_some(), "no /proc/{me}/stat");
        // Spin until the kernel has counted a tick of this process's time.
        let mut spin = 0u64;
        while used(me) == Some(Duration::ZERO) {
            spin = std::hint::black_box(spin.wrapping_add(1));
        }
    }
}
