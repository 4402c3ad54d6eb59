//! When a brief is due: the rule the hourly scheduler applies to each person.

use super::model::{BriefPrefs, Frequency};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

/// The local date a brief is due for at `now`, if one is: the person has briefs
/// on, it is their day (for weekly briefs), and their chosen time has come in
/// their timezone. The caller keeps it to one brief per person per local date.
///
/// Working in local wall-clock time makes DST changes harmless: on a spring-forward
/// day a 02:30 brief is due at the first tick after the gap; on a fall-back day the
/// repeated hour finds the date already briefed.
pub fn due_date(now: DateTime<Utc>, tz: Tz, prefs: &BriefPrefs) -> Option<NaiveDate> {
    if !prefs.enabled {
        return None;
    }
    let local = now.with_timezone(&tz);
    let weekday = local.weekday().number_from_monday() as i16;
    if prefs.frequency == Frequency::Weekly && weekday != prefs.day_of_week {
        return None;
    }
    (local.time() >= prefs.time_of_day).then(|| local.date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveTime, TimeZone};

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn daily(h: u32, m: u32) -> BriefPrefs {
        BriefPrefs { time_of_day: NaiveTime::from_hms_opt(h, m, 0).unwrap(), ..BriefPrefs::default() }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn due_at_the_local_time_not_before() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        // 05:00 UTC = 06:00 in Paris (winter): not yet; 06:00 UTC = 07:00: due.
        assert_eq!(due_date(at(2026, 12, 1, 5, 0), paris, &daily(7, 0)), None);
        assert_eq!(due_date(at(2026, 12, 1, 6, 0), paris, &daily(7, 0)), Some(date(2026, 12, 1)));
    }

    #[test]
    fn both_sides_of_the_date_line_get_their_own_local_date() {
        let kiritimati: Tz = "Pacific/Kiritimati".parse().unwrap(); // UTC+14
        let pago: Tz = "Pacific/Pago_Pago".parse().unwrap(); // UTC-11
        let now = at(2026, 12, 1, 20, 0);
        assert_eq!(due_date(now, kiritimati, &daily(7, 0)), Some(date(2026, 12, 2)));
        assert_eq!(due_date(now, pago, &daily(7, 0)), Some(date(2026, 12, 1)));
    }

    #[test]
    fn a_time_skipped_by_spring_forward_is_due_at_the_next_tick() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // 2026-03-08: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist that day.
        assert_eq!(due_date(at(2026, 3, 8, 6, 0), ny, &daily(2, 30)), None, "01:00 EST");
        assert_eq!(due_date(at(2026, 3, 8, 7, 0), ny, &daily(2, 30)), Some(date(2026, 3, 8)), "03:00 EDT");
    }

    #[test]
    fn the_repeated_hour_of_fall_back_is_the_same_date() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // 2026-11-01: 01:00–02:00 happens twice (05:00 and 06:00 UTC).
        assert_eq!(due_date(at(2026, 11, 1, 5, 30), ny, &daily(1, 0)), Some(date(2026, 11, 1)));
        assert_eq!(due_date(at(2026, 11, 1, 6, 30), ny, &daily(1, 0)), Some(date(2026, 11, 1)));
    }

    #[test]
    fn weekly_briefs_only_on_their_day_and_none_when_off() {
        let utc: Tz = "UTC".parse().unwrap();
        let friday = BriefPrefs { frequency: Frequency::Weekly, day_of_week: 5, ..daily(7, 0) };
        assert_eq!(due_date(at(2026, 12, 3, 9, 0), utc, &friday), None, "a Thursday");
        assert_eq!(due_date(at(2026, 12, 4, 9, 0), utc, &friday), Some(date(2026, 12, 4)));
        let off = BriefPrefs { enabled: false, ..daily(7, 0) };
        assert_eq!(due_date(at(2026, 12, 4, 9, 0), utc, &off), None);
    }
}
