use chrono::TimeDelta;

/// Formats a duration as people read it: `45 s`, `12 min`, `1 h 30 min`, `2 d 3 h`.
pub fn format_duration(duration: TimeDelta) -> String {
    let seconds = duration.num_seconds().unsigned_abs();
    let (days, hours, minutes) = (seconds / 86_400, (seconds / 3600) % 24, (seconds / 60) % 60);
    if seconds < 60 {
        format!("{seconds} s")
    } else if seconds < 3600 {
        format!("{minutes} min")
    } else if days == 0 {
        if minutes == 0 {
            format!("{hours} h")
        } else {
            format!("{hours} h {minutes} min")
        }
    } else if hours == 0 {
        format!("{days} d")
    } else {
        format!("{days} d {hours} h")
    }
}

/// Formats a non-negative number rounded to a whole, with thin grouping commas: `12,345`.
pub fn format_number(value: f64) -> String {
    if !value.is_finite() {
        return "unbounded".to_owned();
    }
    let digits = format!("{:.0}", value.abs());
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if value < 0.0 && digits != "0" {
        grouped.insert(0, '-');
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(TimeDelta::seconds(45)), "45 s");
        assert_eq!(format_duration(TimeDelta::seconds(720)), "12 min");
        assert_eq!(format_duration(TimeDelta::seconds(5400)), "1 h 30 min");
        assert_eq!(format_duration(TimeDelta::seconds(7200)), "2 h");
        assert_eq!(
            format_duration(TimeDelta::seconds(3 * 86_400 + 7200)),
            "3 d 2 h"
        );
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(format_number(7913.4), "7,913");
        assert_eq!(format_number(1_234_567.0), "1,234,567");
        assert_eq!(format_number(12.0), "12");
        assert_eq!(format_number(f64::INFINITY), "unbounded");
    }
}
