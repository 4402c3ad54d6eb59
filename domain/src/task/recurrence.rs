//! Recurrence patterns and the date of a series' next occurrence.

use chrono::{Datelike, Months, NaiveDate, Weekday};

text_enum!(Recurrence {
    Daily = "daily" / "Every day",
    Weekdays = "weekdays" / "Every weekday",
    Weekly = "weekly" / "Every week",
    Biweekly = "biweekly" / "Every other week",
    Monthly = "monthly" / "Every month",
    Quarterly = "quarterly" / "Every quarter",
    Yearly = "yearly" / "Every year",
});

impl Recurrence {
    /// The first occurrence strictly after `current`.
    ///
    /// Month-based patterns step from `anchor` (the series' first date), so a
    /// series on the 31st lands on the last day of short months and returns to
    /// the 31st afterwards; a Feb 29 yearly series falls on Feb 28 in common
    /// years and Feb 29 in leap years.
    pub fn next_after(self, anchor: NaiveDate, current: NaiveDate) -> NaiveDate {
        let months_step = match self {
            Recurrence::Daily => return current + chrono::Days::new(1),
            Recurrence::Weekdays => {
                let mut next = current + chrono::Days::new(1);
                while matches!(next.weekday(), Weekday::Sat | Weekday::Sun) {
                    next = next + chrono::Days::new(1);
                }
                return next;
            }
            Recurrence::Weekly => return current + chrono::Days::new(7),
            Recurrence::Biweekly => return current + chrono::Days::new(14),
            Recurrence::Monthly => 1,
            Recurrence::Quarterly => 3,
            Recurrence::Yearly => 12,
        };
        // Smallest k with anchor + k·step > current. The estimate from the
        // month difference is at most one step short, so the loop runs ≤ 2 times.
        let months_between = (current.year() - anchor.year()) * 12 + current.month() as i32 - anchor.month() as i32;
        let mut k = (months_between.max(0) as u32) / months_step;
        loop {
            let candidate =
                anchor.checked_add_months(Months::new(k * months_step)).expect("date within chrono's range");
            if candidate > current {
                return candidate;
            }
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn monthly_series_on_the_31st_clamps_to_month_end_and_returns_to_the_31st() {
        let anchor = d(2026, 1, 31);
        let feb = Recurrence::Monthly.next_after(anchor, anchor);
        assert_eq!(feb, d(2026, 2, 28));
        let mar = Recurrence::Monthly.next_after(anchor, feb);
        assert_eq!(mar, d(2026, 3, 31));
        assert_eq!(Recurrence::Monthly.next_after(anchor, mar), d(2026, 4, 30));
    }

    #[test]
    fn monthly_series_lands_on_feb_29_in_a_leap_year() {
        assert_eq!(Recurrence::Monthly.next_after(d(2028, 1, 30), d(2028, 1, 30)), d(2028, 2, 29));
    }

    #[test]
    fn yearly_leap_day_series_uses_feb_28_then_returns_to_feb_29() {
        let anchor = d(2028, 2, 29);
        let next = Recurrence::Yearly.next_after(anchor, anchor);
        assert_eq!(next, d(2029, 2, 28));
        let next = Recurrence::Yearly.next_after(anchor, d(2031, 2, 28));
        assert_eq!(next, d(2032, 2, 29));
    }

    #[test]
    fn quarterly_steps_three_months_across_a_year_end() {
        assert_eq!(Recurrence::Quarterly.next_after(d(2026, 11, 30), d(2026, 11, 30)), d(2027, 2, 28));
    }

    #[test]
    fn weekdays_skip_the_weekend() {
        // 2026-11-27 is a Friday.
        assert_eq!(Recurrence::Weekdays.next_after(d(2026, 11, 27), d(2026, 11, 27)), d(2026, 11, 30));
    }

    #[test]
    fn daily_and_weekly_cross_a_year_end() {
        assert_eq!(Recurrence::Daily.next_after(d(2026, 12, 31), d(2026, 12, 31)), d(2027, 1, 1));
        assert_eq!(Recurrence::Biweekly.next_after(d(2026, 12, 25), d(2026, 12, 25)), d(2027, 1, 8));
    }

    #[test]
    fn next_is_always_after_current_even_when_completed_late() {
        let anchor = d(2026, 1, 15);
        for &r in Recurrence::ALL {
            let current = d(2026, 6, 20);
            assert!(r.next_after(anchor, current) > current, "{r:?}");
        }
    }

    #[test]
    fn parse_round_trips_every_pattern() {
        for &r in Recurrence::ALL {
            assert_eq!(Recurrence::parse(r.as_str()), Some(r));
        }
        assert_eq!(Recurrence::parse("fortnightly"), None);
    }
}
