//! Redis-style log lines: `pid:R dd Mon yyyy hh:mm:ss.mmm L message`, where
//! R is the role (C while starting, then M for a master, S for a replica) and L the
//! level mark (`.` debug, `-` verbose, `*` notice, `#` warning). Times are UTC.

use std::fs::OpenOptions;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::node::LogLevel;

/// Where log lines go and which are kept.
#[derive(Clone, Debug)]
pub struct Logger {
    pid: u32,
    level: LogLevel,
    /// Empty for stdout.
    file: String,
    role: char,
}

impl Logger {
    pub fn new(pid: u32) -> Logger {
        Logger { pid, level: LogLevel::Notice, file: String::new(), role: 'C' }
    }

    /// Follows `loglevel` and `logfile`.
    pub fn configure(&mut self, loglevel: &str, logfile: &str) {
        self.level = match loglevel {
            "debug" => LogLevel::Debug,
            "verbose" => LogLevel::Verbose,
            "warning" => LogLevel::Warning,
            _ => LogLevel::Notice,
        };
        self.file = logfile.to_string();
    }

    /// From now on lines are marked as the master's.
    pub fn running(&mut self) {
        self.role = 'M';
    }

    /// Lines are marked S while the server is a replica, M while a master.
    pub fn replica(&mut self, yes: bool) {
        self.role = if yes { 'S' } else { 'M' };
    }

    pub fn log(&self, level: LogLevel, message: &str) {
        if level < self.level {
            return;
        }
        let mark = match level {
            LogLevel::Debug => '.',
            LogLevel::Verbose => '-',
            LogLevel::Notice => '*',
            LogLevel::Warning => '#',
        };
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
        let line = format!("{}:{} {} {} {}\n", self.pid, self.role, format_time(now_ms), mark, message);
        if self.file.is_empty() {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(line.as_bytes());
            let _ = out.flush();
        } else if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(&self.file) {
            let _ = f.write_all(line.as_bytes());
        }
    }

    pub fn notice(&self, message: &str) {
        self.log(LogLevel::Notice, message);
    }

    pub fn warning(&self, message: &str) {
        self.log(LogLevel::Warning, message);
    }
}

/// `25 Nov 2026 16:23:15.123` for a Unix time in milliseconds.
pub fn format_time(ms: i64) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let secs = ms.div_euclid(1000);
    let (days, day_secs) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        day,
        MONTHS[(month - 1) as usize],
        year,
        day_secs / 3600,
        day_secs / 60 % 60,
        day_secs % 60,
        ms.rem_euclid(1000)
    )
}

/// Days since 1970-01-01 to (year, month 1-12, day 1-31) in the proleptic
/// Gregorian calendar, counting in 400-year eras that start on March 1st so
/// that the leap day falls at the end of each year.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_like_redis_logs() {
        assert_eq!(format_time(0), "01 Jan 1970 00:00:00.000");
        assert_eq!(format_time(1_795_625_468_872), "25 Nov 2026 16:51:08.872");
        assert_eq!(format_time(951_782_400_000), "29 Feb 2000 00:00:00.000");
        assert_eq!(format_time(1_709_251_199_999), "29 Feb 2024 23:59:59.999");
    }
}
