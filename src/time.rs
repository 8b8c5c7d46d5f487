//! Calendars and date arithmetic that are right to the day.
//!
//! Deadlines in action plans are written as "within 20 workdays", "by the end of the month",
//! "12 months after entry into force". Each of these has a trap that a generic date library
//! papers over: PRC workdays depend on the State Council's yearly holiday schedule and its
//! make-up workdays (調休), adding a month to January 31 has no single right answer, and a
//! timestamp recorded in UTC belongs to a different civil day in Beijing. This module makes each
//! choice explicit: workday arithmetic refuses to guess about years its calendar does not know,
//! month overflow follows a rule the plan names, and every conversion that could leave the range
//! of representable dates is an error instead of a panic or a silent wrap.
//!
//! Dates are [`Date`]s (days since 1970-01-01). chrono does the calendar work; it is only ever
//! asked to *build* a date from components through its checked constructors, so an impossible
//! date such as 2019-02-31 is reported, never normalised into March behind our back.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta};

use crate::model::{Duration, DurationUnit};
use crate::value::Date;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Why a calendar could not be built or could not answer a workday question.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CalendarError {
    /// The date was listed both as a holiday and as a make-up workday. The two lists come from
    /// different lines of a notice, so a date in both is a transcription error that must not be
    /// resolved by whichever list happened to be read last.
    Conflict { calendar: String, date: Date },
    /// Answering needed a year the calendar has no holidays or make-up days for. Guessing
    /// "Monday to Friday" there would move deadlines by up to a week around Spring Festival.
    NotCovered { calendar: String, year: i32, query: WorkdayQuery },
    /// The date is outside the range chrono can represent (or the walk would leave `i32` days).
    OutOfRange { calendar: String, date: Date },
}

/// The workday question that was being answered when an error occurred, for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WorkdayQuery {
    /// `from` plus `n` workdays (backwards when negative).
    Add { from: Date, n: i64 },
    /// Rolling `from` forward to a workday.
    RollForward { from: Date },
    /// Counting the workdays in `(from, to]`.
    Between { from: Date, to: Date },
}

impl fmt::Display for WorkdayQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            WorkdayQuery::Add { from, n } => {
                write!(f, "{}", Offset { date: from, amount: n, unit: DurationUnit::Workday })
            }
            WorkdayQuery::RollForward { from } => {
                write!(f, "rolling {} forward to a workday", Shown(from))
            }
            WorkdayQuery::Between { from, to } => {
                write!(f, "counting the workdays after {} up to {}", Shown(from), Shown(to))
            }
        }
    }
}

impl fmt::Display for CalendarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalendarError::Conflict { calendar, date } => write!(
                f,
                "{} cannot be both a holiday and a make-up workday of the calendar `{calendar}`",
                Shown(*date)
            ),
            CalendarError::NotCovered { calendar, year, query } => {
                write!(f, "the calendar `{calendar}` does not cover {year} (needed for {query})")
            }
            CalendarError::OutOfRange { calendar, date } => write!(
                f,
                "{} is outside the supported dates ({} to {}) of the calendar `{calendar}`",
                Shown(*date),
                NaiveDate::MIN,
                NaiveDate::MAX
            ),
        }
    }
}

impl std::error::Error for CalendarError {}

/// Why a date computation or a datetime conversion failed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TimeError {
    /// Month arithmetic landed on a day the target month lacks (`missing`, as year, month, day)
    /// and the plan's rule is [`MonthOverflow::Reject`].
    MonthOverflow { date: Date, amount: i64, unit: DurationUnit, missing: (i32, u32, u32) },
    /// The starting date or the result is outside the dates chrono can represent.
    OutOfRange { date: Date, amount: i64, unit: DurationUnit },
    /// Workdays were asked for but the plan has no calendar to count them with.
    NoCalendar { date: Date, amount: i64 },
    /// The calendar could not answer the workday question.
    Calendar(CalendarError),
    /// The text is not a date and time in one of the accepted forms.
    BadDateTime { text: String },
    /// The plan's UTC offset is not strictly within ±24 hours.
    BadPlanOffset { secs: i32 },
    /// The datetime, moved into the plan's offset, is outside the dates chrono can represent. RFC 3339's
    /// four-digit years keep this from happening today; the variant keeps the conversion checked regardless.
    DateTimeOutOfRange { text: String, plan_offset_secs: i32 },
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::MonthOverflow { date, amount, unit, missing: (y, m, d) } => write!(
                f,
                "{} has no {} and the plan's month overflow rule is `{}`",
                Offset { date: *date, amount: *amount, unit: *unit },
                ShownYmd(*y, *m, *d),
                MonthOverflow::Reject.name()
            ),
            TimeError::OutOfRange { date, amount, unit } => write!(
                f,
                "{} falls outside the supported dates ({} to {})",
                Offset { date: *date, amount: *amount, unit: *unit },
                NaiveDate::MIN,
                NaiveDate::MAX
            ),
            TimeError::NoCalendar { date, amount } => write!(
                f,
                "{} needs a calendar of holidays and the plan has none",
                Offset { date: *date, amount: *amount, unit: DurationUnit::Workday }
            ),
            TimeError::Calendar(e) => e.fmt(f),
            TimeError::BadDateTime { text } => write!(
                f,
                "cannot read `{text}` as a date and time (expected e.g. \
                 `2019-09-30T23:30:00+08:00`, `2019-09-30 23:30:00Z` or `2019-09-30T23:30:00`)"
            ),
            TimeError::BadPlanOffset { secs } => {
                write!(f, "the plan's UTC offset of {secs} seconds is not within ±24 hours")
            }
            TimeError::DateTimeOutOfRange { text, plan_offset_secs } => write!(
                f,
                "`{text}` at UTC{} falls outside the supported dates ({} to {})",
                ShownOffset(*plan_offset_secs),
                NaiveDate::MIN,
                NaiveDate::MAX
            ),
        }
    }
}

impl std::error::Error for TimeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TimeError::Calendar(e) => Some(e),
            _ => None,
        }
    }
}

impl From<CalendarError> for TimeError {
    fn from(e: CalendarError) -> Self {
        TimeError::Calendar(e)
    }
}

// ---------------------------------------------------------------------------------------------
// Display helpers that never panic
// ---------------------------------------------------------------------------------------------

/// Shows a date like chrono's `%Y-%m-%d` does, for *any* `Date`. `Date`'s own `Display` goes
/// through chrono and panics outside chrono's range, and error messages are exactly where such
/// dates turn up.
struct Shown(Date);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil(self.0);
        ShownYmd(y, m, d).fmt(f)
    }
}

/// Year, month and day shown like chrono's `%Y-%m-%d`, valid or not (for "has no 2019-02-31").
struct ShownYmd(i32, u32, u32);

impl fmt::Display for ShownYmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ShownYmd(y, m, d) = *self;
        if (0..=9999).contains(&y) {
            write!(f, "{y:04}-{m:02}-{d:02}")
        } else {
            // chrono signs years outside 0..=9999 (ISO 8601 expanded years): -0001, +10000.
            write!(f, "{y:+05}-{m:02}-{d:02}")
        }
    }
}

/// `2019-01-31 + 1 month`, `2019-10-08 - 3 workdays`.
struct Offset {
    date: Date,
    amount: i64,
    unit: DurationUnit,
}

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.amount < 0 { '-' } else { '+' };
        let n = self.amount.unsigned_abs();
        let plural = self.unit.name();
        let name = if n == 1 { plural.strip_suffix('s').unwrap_or(plural) } else { plural };
        write!(f, "{} {sign} {n} {name}", Shown(self.date))
    }
}

/// `+08:00`.
struct ShownOffset(i32);

impl fmt::Display for ShownOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { '-' } else { '+' };
        let s = self.0.unsigned_abs();
        write!(f, "{sign}{:02}:{:02}", s / 3600, s % 3600 / 60)?;
        if !s.is_multiple_of(60) {
            write!(f, ":{:02}", s % 60)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Calendar
// ---------------------------------------------------------------------------------------------

/// Holidays and make-up workdays (調休) of a plan's calendar. Weekends (Sat/Sun) are rest days
/// unless listed as make-up workdays; listed holidays are rest days even on weekdays.
///
/// Which years the calendar knows is inferred from the data (see [`Calendar::covers`]), so a
/// calendar only ever answers for years someone actually transcribed a schedule for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Calendar {
    pub name: String,
    holidays: BTreeSet<Date>,
    makeup_workdays: BTreeSet<Date>,
}

impl Calendar {
    pub fn new(name: impl Into<String>) -> Self {
        Calendar { name: name.into(), ..Calendar::default() }
    }

    /// Lists `d` as a rest day. Adding the same holiday twice is harmless; a date that is
    /// already a make-up workday is a conflict, because the notice cannot have meant both.
    pub fn add_holiday(&mut self, d: Date) -> Result<(), CalendarError> {
        self.check_listable(d, &self.makeup_workdays)?;
        self.holidays.insert(d);
        Ok(())
    }

    /// Lists `d` (normally a Saturday or Sunday) as a workday. A date that is already a
    /// holiday is a conflict.
    pub fn add_makeup_workday(&mut self, d: Date) -> Result<(), CalendarError> {
        self.check_listable(d, &self.holidays)?;
        self.makeup_workdays.insert(d);
        Ok(())
    }

    /// Dates outside chrono's range are refused so that every year [`Calendar::covers`] can
    /// report is a year whose dates can all be shown and computed with.
    fn check_listable(&self, d: Date, other: &BTreeSet<Date>) -> Result<(), CalendarError> {
        if naive(d).is_none() {
            return Err(CalendarError::OutOfRange { calendar: self.name.clone(), date: d });
        }
        if other.contains(&d) {
            return Err(CalendarError::Conflict { calendar: self.name.clone(), date: d });
        }
        Ok(())
    }

    /// Whether `d` is a workday by this calendar's lists and the Saturday/Sunday weekend. This
    /// does not check coverage: it answers "what the lists say", which for an uncovered year is
    /// just the weekend rule. The counting methods below are the ones that refuse to guess.
    pub fn is_workday(&self, d: Date) -> bool {
        if self.makeup_workdays.contains(&d) {
            true
        } else if self.holidays.contains(&d) {
            false
        } else {
            !is_weekend(d)
        }
    }

    /// Does the calendar know this year at all (has any holiday or make-up day in it)? Workday
    /// arithmetic that crosses a year the calendar does not cover is an error, never a silent
    /// guess: every PRC year has holidays, so a year with none listed is a year nobody entered.
    pub fn covers(&self, year: i32) -> bool {
        let (Some(first), Some(last)) = (Date::from_ymd(year, 1, 1), Date::from_ymd(year, 12, 31)) else {
            return false;
        };
        self.holidays.range(first..=last).next().is_some() || self.makeup_workdays.range(first..=last).next().is_some()
    }

    /// The Nth workday after `d` (d itself not counted), as deadlines like "within 20 workdays
    /// of receipt" count. n = 0 → d. Errors if it crosses an uncovered year.
    ///
    /// Only the days actually stepped over need a covered year: `d`'s own year does not matter
    /// because `d` is never classified.
    pub fn add_workdays(&self, d: Date, n: u32) -> Result<Date, CalendarError> {
        self.step_workdays(d, i64::from(n))
    }

    /// `d` if a workday, else the next workday (deadline rolling: a deadline falling on a rest
    /// day moves to the next workday).
    pub fn roll_forward(&self, d: Date) -> Result<Date, CalendarError> {
        let query = WorkdayQuery::RollForward { from: d };
        let mut day = d;
        let mut known = None;
        loop {
            self.require_cover(day, &mut known, query)?;
            if self.is_workday(day) {
                return Ok(day);
            }
            day = self.next(day, 1)?;
        }
    }

    /// The number of workdays in `(a, b]`: the half-open interval makes this the inverse of
    /// [`Calendar::add_workdays`] (`workdays_between(d, add_workdays(d, n)) == n`). An empty
    /// interval (`b <= a`) has no workdays and needs no coverage.
    pub fn workdays_between(&self, a: Date, b: Date) -> Result<u32, CalendarError> {
        let query = WorkdayQuery::Between { from: a, to: b };
        let mut count: u32 = 0;
        let mut day = a;
        let mut known = None;
        while day < b {
            day = self.next(day, 1)?;
            self.require_cover(day, &mut known, query)?;
            if self.is_workday(day) {
                // At most `b - a` days are visited, which is below 2^32, so this cannot overflow.
                count = count.saturating_add(1);
            }
        }
        Ok(count)
    }

    /// `n` workdays from `from`, backwards when negative: the Nth workday before `from`, with
    /// `from` itself not counted either way.
    fn step_workdays(&self, from: Date, n: i64) -> Result<Date, CalendarError> {
        let query = WorkdayQuery::Add { from, n };
        let step = if n < 0 { -1 } else { 1 };
        let mut remaining = n.unsigned_abs();
        let mut day = from;
        let mut known = None;
        // Terminates: every step either finds a workday or moves towards the end of the covered
        // years, past which `require_cover` fails.
        while remaining > 0 {
            day = self.next(day, step)?;
            self.require_cover(day, &mut known, query)?;
            if self.is_workday(day) {
                remaining -= 1;
            }
        }
        Ok(day)
    }

    fn next(&self, d: Date, step: i32) -> Result<Date, CalendarError> {
        d.0.checked_add(step)
            .map(Date)
            .ok_or_else(|| CalendarError::OutOfRange { calendar: self.name.clone(), date: d })
    }

    /// Fails unless `d`'s year is covered; `known` caches the last year found covered so a walk
    /// does one lookup per year rather than per day.
    fn require_cover(&self, d: Date, known: &mut Option<i32>, query: WorkdayQuery) -> Result<(), CalendarError> {
        let year = year_of(d);
        if *known != Some(year) {
            if !self.covers(year) {
                return Err(CalendarError::NotCovered { calendar: self.name.clone(), year, query });
            }
            *known = Some(year);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Month arithmetic
// ---------------------------------------------------------------------------------------------

/// What to do when adding months lands past the end of a month (Jan 31 + 1 month). Plans
/// disagree, and reporting obligations differ in law from contract terms, so the plan names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MonthOverflow {
    /// → Feb 28/29 (end of month): "one month after Jan 31" stays in February.
    Clamp,
    /// → Mar 3 / Mar 2: the days spill into the next month, like OPA (Go's `AddDate`) and JS.
    Spill,
    /// An error: the plan author must say what they mean.
    Reject,
}

impl MonthOverflow {
    /// The rule's name as written in plans and error messages.
    pub fn name(self) -> &'static str {
        match self {
            MonthOverflow::Clamp => "clamp",
            MonthOverflow::Spill => "spill",
            MonthOverflow::Reject => "reject",
        }
    }
}

/// `d` plus `months` calendar months, keeping the day of the month; when the target month is
/// too short, `rule` decides. Negative `months` go back in time (Mar 31 − 1 month overflows
/// February just the same).
pub fn add_months(d: Date, months: i32, rule: MonthOverflow) -> Result<Date, TimeError> {
    let amount = i64::from(months);
    shift_months(d, amount, rule, amount, DurationUnit::Month)
}

/// `d` plus a plan duration: days, weeks, months, years (= 12 months, so Feb 29 + 1 year follows
/// the month overflow rule), workdays (needs a calendar, else an error). Negative amounts go
/// back in time, workdays too (−1 workday is the workday before `d`).
pub fn add_duration(d: Date, dur: Duration, rule: MonthOverflow, cal: Option<&Calendar>) -> Result<Date, TimeError> {
    let amount = dur.amount;
    let out_of_range = || TimeError::OutOfRange { date: d, amount, unit: dur.unit };
    match dur.unit {
        DurationUnit::Day => shift_days(d, amount).ok_or_else(out_of_range),
        DurationUnit::Week => amount.checked_mul(7).and_then(|n| shift_days(d, n)).ok_or_else(out_of_range),
        DurationUnit::Month => shift_months(d, amount, rule, amount, dur.unit),
        DurationUnit::Year => {
            let months = amount.checked_mul(12).ok_or_else(out_of_range)?;
            shift_months(d, months, rule, amount, dur.unit)
        }
        DurationUnit::Workday => {
            let cal = cal.ok_or(TimeError::NoCalendar { date: d, amount })?;
            Ok(cal.step_workdays(d, amount)?)
        }
    }
}

/// The shared body of month and year arithmetic; `amount` and `unit` are what the plan wrote,
/// kept for the error message.
fn shift_months(d: Date, months: i64, rule: MonthOverflow, amount: i64, unit: DurationUnit) -> Result<Date, TimeError> {
    let out_of_range = || TimeError::OutOfRange { date: d, amount, unit };
    let (y, m, day) = civil(d);
    let index = (i64::from(y) * 12 + i64::from(m) - 1).checked_add(months).ok_or_else(out_of_range)?;
    let year = i32::try_from(index.div_euclid(12)).map_err(|_| out_of_range())?;
    let month = index.rem_euclid(12) as u32 + 1;
    let last = days_in_month(year, month);
    if day <= last {
        return Date::from_ymd(year, month, day).ok_or_else(out_of_range);
    }
    match rule {
        MonthOverflow::Clamp => Date::from_ymd(year, month, last).ok_or_else(out_of_range),
        MonthOverflow::Spill => Date::from_ymd(year, month, last)
            .and_then(|end| shift_days(end, i64::from(day - last)))
            .ok_or_else(out_of_range),
        MonthOverflow::Reject => Err(TimeError::MonthOverflow { date: d, amount, unit, missing: (year, month, day) }),
    }
}

// ---------------------------------------------------------------------------------------------
// Calendar fields and periods
// ---------------------------------------------------------------------------------------------

/// The end of an open-ended range (`2019-10-01 ..`), as the grammar writes it.
pub const OPEN_END: Date = Date(OPEN_END_DAYS);
/// 9999-12-31 as days from 1970-01-01 (checked by a test below).
const OPEN_END_DAYS: i32 = 2_932_896;

/// The last day of `d`'s month ("by the end of the month"). Defined for every `Date`; only in
/// the partial month at the very end of `i32` days (year 5881580) does it saturate.
pub fn end_of_month(d: Date) -> Date {
    let (y, m, day) = civil(d);
    Date(d.0.saturating_add((days_in_month(y, m) - day) as i32))
}

/// The first day of `d`'s month. Saturates only in the partial month at the very start of
/// `i32` days (year -5877641).
pub fn start_of_month(d: Date) -> Date {
    let (_, _, day) = civil(d);
    Date(d.0.saturating_sub((day - 1) as i32))
}

/// The proleptic Gregorian year of `d`, for any `Date`.
pub fn year_of(d: Date) -> i32 {
    civil(d).0
}

/// The month of `d`, 1..=12.
pub fn month_of(d: Date) -> u32 {
    civil(d).1
}

/// The day of the month of `d`, 1..=31.
pub fn day_of(d: Date) -> u32 {
    civil(d).2
}

/// Months as (year, month) occurrences within [from, to] inclusive, for recurring obligations
/// ("report monthly"). A month counts when any of its days falls in the range, so a plan
/// running from 2019-01-15 still owes a January report. Empty when `from > to`.
pub fn months_in(from: Date, to: Date) -> Vec<(i32, u32)> {
    periods_in(from, to, 12).map(|i| (i.div_euclid(12) as i32, i.rem_euclid(12) as u32 + 1)).collect()
}

/// Quarters as (year, quarter 1..=4) occurrences within [from, to] inclusive, counted like
/// [`months_in`]: a quarter counts when any of its days falls in the range.
pub fn quarters_in(from: Date, to: Date) -> Vec<(i32, u32)> {
    periods_in(from, to, 4).map(|i| (i.div_euclid(4) as i32, i.rem_euclid(4) as u32 + 1)).collect()
}

/// The running indices (`year * per_year + period`) of the periods touched by [from, to].
fn periods_in(from: Date, to: Date, per_year: i64) -> impl Iterator<Item = i64> {
    let index = |d: Date| {
        let (y, m, _) = civil(d);
        i64::from(y) * per_year + (i64::from(m) - 1) * per_year / 12
    };
    (from <= to).then(|| index(from)..=index(to)).into_iter().flatten()
}

// ---------------------------------------------------------------------------------------------
// Datetimes
// ---------------------------------------------------------------------------------------------

/// Parse a datetime with an offset (`2019-09-30T23:30:00+08:00`, `2019-09-30 23:30:00Z`, or
/// without offset = already civil) and convert it to the civil date in the given fixed UTC
/// offset (in seconds; China is +28800).
///
/// This matters because systems log in UTC while deadlines run in civil days: 17:00 UTC on
/// September 30 is already October 1 in Beijing. Text without an offset is taken to be in the
/// plan's time already (as is a bare `2019-09-30`). Fractional seconds are accepted; an offset
/// must be `Z` or `±HH:MM` (RFC 3339), so a malformed offset is an error rather than being
/// mistaken for civil time.
pub fn civil_date_of(datetime_text: &str, plan_offset_secs: i32) -> Result<Date, TimeError> {
    if plan_offset_secs.unsigned_abs() >= 86_400 {
        return Err(TimeError::BadPlanOffset { secs: plan_offset_secs });
    }
    if let Ok(day) = NaiveDate::parse_from_str(datetime_text, "%Y-%m-%d") {
        return Ok(Date::from_naive(day));
    }
    civil_time_of(datetime_text, plan_offset_secs).map(|local| Date::from_naive(local.date()))
}

/// The moment a datetime names, as civil time in the plan's UTC offset (see [`civil_date_of`]);
/// a bare date is not a moment. Fractions of a second are refused unless they are zero: writ
/// keeps moments to the second, and would otherwise have to round.
pub fn civil_datetime_of(datetime_text: &str, plan_offset_secs: i32) -> Result<crate::value::DateTime, TimeError> {
    use chrono::Timelike;
    let local = civil_time_of(datetime_text, plan_offset_secs)?;
    if local.nanosecond() != 0 {
        return Err(TimeError::BadDateTime { text: datetime_text.to_owned() });
    }
    crate::value::DateTime::new(Date::from_naive(local.date()), local.hour(), local.minute(), local.second())
        .ok_or_else(|| TimeError::BadDateTime { text: datetime_text.to_owned() })
}

fn civil_time_of(datetime_text: &str, plan_offset_secs: i32) -> Result<NaiveDateTime, TimeError> {
    if plan_offset_secs.unsigned_abs() >= 86_400 {
        return Err(TimeError::BadPlanOffset { secs: plan_offset_secs });
    }
    let out_of_range = || TimeError::DateTimeOutOfRange { text: datetime_text.to_owned(), plan_offset_secs };
    let plan_offset = TimeDelta::try_seconds(i64::from(plan_offset_secs)).ok_or_else(out_of_range)?;

    // The shape nearly every export writes, `2019-01-01T08:00:00`, read without the format
    // machinery; anything else (or a field out of range) goes the long way.
    if let Some(local) = plain_datetime(datetime_text.as_bytes()) {
        return Ok(local);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(datetime_text) {
        return dt.naive_utc().checked_add_signed(plan_offset).ok_or_else(out_of_range);
    }
    const CIVIL_FORMATS: [&str; 4] =
        ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"];
    for format in CIVIL_FORMATS {
        if let Ok(local) = NaiveDateTime::parse_from_str(datetime_text, format) {
            return Ok(local);
        }
    }
    Err(TimeError::BadDateTime { text: datetime_text.to_owned() })
}

/// `YYYY-MM-DDTHH:MM:SS` (or with a space for the `T`), as civil time, when every field is in
/// range.
fn plain_datetime(b: &[u8]) -> Option<NaiveDateTime> {
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') || b[13] != b':' || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    let date = chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)
}

// ---------------------------------------------------------------------------------------------
// The PRC schedule
// ---------------------------------------------------------------------------------------------

/// A date written as year, month, day in the schedule tables below.
type Ymd = (i32, u32, u32);

/// Inclusive ranges of PRC public holidays, 2019–2020.
const PRC_HOLIDAYS: &[(Ymd, Ymd)] = &[
    // 2019: 國辦發明電〔2018〕15號 (2018-12-04). Its New Year break began on 2018-12-30 with a
    // make-up day on 2018-12-29; those 2018 dates are left out on purpose, since listing them
    // would make the calendar claim to cover 2018.
    ((2019, 1, 1), (2019, 1, 1)),
    ((2019, 2, 4), (2019, 2, 10)),
    // The notice gives only 04-05, 06-07 and 09-13 "with the weekend"; the weekend days are
    // listed too, which changes nothing.
    ((2019, 4, 5), (2019, 4, 7)),
    // Labour Day as extended by 國辦發明電〔2019〕3號 (2019-03-22); originally 05-01 only.
    ((2019, 5, 1), (2019, 5, 4)),
    ((2019, 6, 7), (2019, 6, 9)),
    ((2019, 9, 13), (2019, 9, 15)),
    ((2019, 10, 1), (2019, 10, 7)),
    // 2020: 國辦發明電〔2019〕16號 (2019-11-21).
    ((2020, 1, 1), (2020, 1, 1)),
    ((2020, 1, 24), (2020, 1, 30)),
    // The Spring Festival holiday extended to 2020-02-02 by 國辦發明電〔2020〕1號 (2020-01-27,
    // during the COVID-19 outbreak). This also cancels the make-up workday the 2019-11-21
    // notice had set on Saturday 2020-02-01, which is therefore not listed below.
    ((2020, 1, 31), (2020, 2, 2)),
    ((2020, 4, 4), (2020, 4, 6)),
    ((2020, 5, 1), (2020, 5, 5)),
    ((2020, 6, 25), (2020, 6, 27)),
    ((2020, 10, 1), (2020, 10, 8)),
];

/// PRC make-up workdays (調休上班), 2019–2020, from the same notices.
const PRC_MAKEUP_WORKDAYS: &[Ymd] = &[
    (2019, 2, 2),
    (2019, 2, 3),
    (2019, 4, 28),
    (2019, 5, 5),
    (2019, 9, 29),
    (2019, 10, 12),
    (2020, 1, 19),
    (2020, 4, 26),
    (2020, 5, 9),
    (2020, 6, 28),
    (2020, 9, 27),
    (2020, 10, 10),
];

/// The official PRC (national) schedule for 2019 and 2020. This data will move into policy
/// files; the function exists for tests and as a reference for the shape of that data.
pub fn prc_2019_2020() -> Calendar {
    let date = |(y, m, d): Ymd| Date::from_ymd(y, m, d).expect("the built-in PRC schedule lists only real dates");
    let mut cal = Calendar::new("PRC-2019-2020");
    for &(first, last) in PRC_HOLIDAYS {
        for day in date(first).0..=date(last).0 {
            cal.add_holiday(Date(day)).expect("the built-in PRC schedule has no conflicts");
        }
    }
    for &day in PRC_MAKEUP_WORKDAYS {
        cal.add_makeup_workday(date(day)).expect("the built-in PRC schedule has no conflicts");
    }
    cal
}

// ---------------------------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------------------------

/// Days in one Gregorian 400-year cycle. The calendar (leap years and weekdays alike, since
/// 146097 = 7 × 20871) repeats exactly with this period.
const DAYS_PER_400_YEARS: i64 = 146_097;

/// `(year, month, day)` of any `Date`, including the ones outside chrono's ±262143 years: the
/// date is moved by whole 400-year cycles into 1970..2370, where chrono decomposes it, and the
/// years are added back. This keeps the infallible accessors (`year_of`, …) panic-free for
/// every `i32` without a second, hand-written calendar algorithm.
fn civil(d: Date) -> (i32, u32, u32) {
    let n = i64::from(d.0);
    let cycles = n.div_euclid(DAYS_PER_400_YEARS);
    // 0 ≤ rest < 146097, i.e. 1970-01-01 ..= 2369-12-31.
    let rest = n.rem_euclid(DAYS_PER_400_YEARS) as i32;
    let shifted = NaiveDate::from_epoch_days(rest).expect("1970..2370 is within chrono's range");
    // |cycles| ≤ 14700, so the year stays far inside i32.
    let year = (i64::from(shifted.year()) + 400 * cycles) as i32;
    (year, shifted.month(), shifted.day())
}

/// `d` as a chrono date, if chrono can represent it.
fn naive(d: Date) -> Option<NaiveDate> {
    NaiveDate::from_epoch_days(d.0)
}

/// `d + n` days, if both are within chrono's range.
fn shift_days(d: Date, n: i64) -> Option<Date> {
    naive(d)?.checked_add_signed(TimeDelta::try_days(n)?).map(Date::from_naive)
}

/// Saturday or Sunday. 1970-01-01 was a Thursday (index 3 counting from Monday = 0); computed
/// arithmetically so it is defined for every `Date`.
fn is_weekend(d: Date) -> bool {
    (i64::from(d.0) + 3).rem_euclid(7) >= 5
}

fn is_leap_year(y: i32) -> bool {
    y.rem_euclid(4) == 0 && (y.rem_euclid(100) != 0 || y.rem_euclid(400) == 0)
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if is_leap_year(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

/// Occurrences one `every` block may have; past it, its verdicts are `unknown` with the count.
pub const MAX_OCCURRENCES: u64 = 1200;

/// How many months, quarters or years touch [a, b], counted without listing them.
pub fn occurrence_count(unit: crate::syntax::ast::EveryUnit, a: Date, b: Date) -> u64 {
    use crate::syntax::ast::EveryUnit;
    if b < a {
        return 0;
    }
    let per_year: i64 = match unit {
        EveryUnit::Month => 12,
        EveryUnit::Quarter => 4,
        EveryUnit::Year => 1,
    };
    let index = |d: Date| i64::from(year_of(d)) * per_year + (i64::from(month_of(d)) - 1) * per_year / 12;
    (index(b) - index(a) + 1).max(0) as u64
}

#[cfg(test)]
mod tests {

    #[test]
    fn open_end_is_the_last_day_of_9999() {
        assert_eq!(OPEN_END, Date::from_ymd(9999, 12, 31).unwrap());
    }
    use super::*;
    use chrono::Weekday;

    fn d(s: &str) -> Date {
        Date::parse_iso(s).unwrap_or_else(|| panic!("bad test date {s}"))
    }

    fn dur(amount: i64, unit: DurationUnit) -> Duration {
        Duration { amount, unit }
    }

    /// The shape read without the format machinery gives what the formats give, and leaves
    /// everything else to them.
    #[test]
    fn a_plain_datetime_reads_as_its_format_does() {
        let by_format = |t: &str| {
            ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        };
        for t in ["2019-01-01T08:00:00", "2019-12-31 23:59:59", "2020-02-29T00:00:00", "0001-01-01T00:00:00"] {
            assert_eq!(plain_datetime(t.as_bytes()), by_format(t), "{t}");
            assert!(plain_datetime(t.as_bytes()).is_some(), "{t}");
        }
        for t in [
            "2019-02-30T08:00:00",
            "2019-01-01T24:00:00",
            "2019-01-01T08:00:60",
            "2019-1-01T08:00:00x",
            "+019-01-01T08:00:00",
        ] {
            assert_eq!(plain_datetime(t.as_bytes()), None, "{t}");
        }
        assert!(civil_datetime_of("2019-02-30T08:00:00", 8 * 3600).is_err());
        assert_eq!(
            civil_datetime_of("2019-01-01T08:00:00", 8 * 3600),
            civil_datetime_of("2019-01-01T00:00:00Z", 8 * 3600)
        );
    }

    #[test]
    fn twenty_workdays_after_2019_05_20_skip_dragon_boat() {
        let cal = prc_2019_2020();
        assert_eq!(naive(d("2019-05-20")).map(|n| n.weekday()), Some(Weekday::Mon));
        assert!(!cal.is_workday(d("2019-06-07")));
        assert_eq!(cal.add_workdays(d("2019-05-20"), 20), Ok(d("2019-06-18")));
        assert_eq!(cal.workdays_between(d("2019-05-20"), d("2019-06-18")), Ok(20));
    }

    #[test]
    fn five_workdays_across_national_day_2019() {
        let cal = prc_2019_2020();
        assert!(cal.is_workday(d("2019-09-29")), "Sunday 09-29 is a make-up workday");
        assert_eq!(cal.add_workdays(d("2019-09-27"), 5), Ok(d("2019-10-10")));
        assert_eq!(cal.add_workdays(d("2019-09-27"), 0), Ok(d("2019-09-27")));
        assert_eq!(cal.add_workdays(d("2019-09-27"), 1), Ok(d("2019-09-29")));
    }

    #[test]
    fn roll_forward_and_makeup_saturday() {
        let cal = prc_2019_2020();
        assert_eq!(cal.roll_forward(d("2019-10-05")), Ok(d("2019-10-08")));
        assert_eq!(cal.roll_forward(d("2019-10-09")), Ok(d("2019-10-09")));
        assert!(cal.is_workday(d("2019-10-12")), "Saturday 10-12 is a make-up workday");
        assert_eq!(cal.roll_forward(d("2019-10-12")), Ok(d("2019-10-12")));
        // Ordinary weekend, no holiday involved.
        assert_eq!(cal.roll_forward(d("2019-11-02")), Ok(d("2019-11-04")));
        // The 2020 extension: Saturday 02-01 is no longer a make-up workday.
        assert_eq!(cal.roll_forward(d("2020-01-24")), Ok(d("2020-02-03")));
    }

    #[test]
    fn prc_yearly_workday_totals() {
        let cal = prc_2019_2020();
        // 2019 had 250 workdays. 2020 had 251 by the 2019-11-21 notice; the extension made
        // Friday 01-31 a holiday and cancelled the Saturday 02-01 make-up day.
        assert_eq!(cal.workdays_between(d("2018-12-31"), d("2019-12-31")), Ok(250));
        assert_eq!(cal.workdays_between(d("2019-12-31"), d("2020-12-31")), Ok(249));
        assert!(cal.covers(2019) && cal.covers(2020));
        assert!(!cal.covers(2018) && !cal.covers(2021));
        // Every make-up day is a weekend day, or listing it would mean nothing.
        for &(y, m, day) in PRC_MAKEUP_WORKDAYS {
            assert!(is_weekend(d(&format!("{y}-{m:02}-{day:02}"))), "{y}-{m}-{day}");
        }
    }

    #[test]
    fn jan_31_plus_one_month_under_each_rule() {
        let jan31 = d("2019-01-31");
        assert_eq!(add_months(jan31, 1, MonthOverflow::Clamp), Ok(d("2019-02-28")));
        assert_eq!(add_months(jan31, 1, MonthOverflow::Spill), Ok(d("2019-03-03")));
        let err = add_months(jan31, 1, MonthOverflow::Reject).unwrap_err();
        assert_eq!(
            err.to_string(),
            "2019-01-31 + 1 month has no 2019-02-31 and the plan's month overflow rule is `reject`"
        );
        let leap = d("2020-01-31");
        assert_eq!(add_months(leap, 1, MonthOverflow::Clamp), Ok(d("2020-02-29")));
        assert_eq!(add_months(leap, 1, MonthOverflow::Spill), Ok(d("2020-03-02")));
        assert!(add_months(leap, 1, MonthOverflow::Reject).is_err());
        // A day that exists in the target month is the same under every rule.
        for rule in [MonthOverflow::Clamp, MonthOverflow::Spill, MonthOverflow::Reject] {
            assert_eq!(add_months(d("2019-01-28"), 1, rule), Ok(d("2019-02-28")));
            assert_eq!(add_months(jan31, 2, rule), Ok(d("2019-03-31")));
            assert_eq!(add_months(jan31, 0, rule), Ok(jan31));
            assert_eq!(add_months(d("2019-11-29"), 3, rule), Ok(d("2020-02-29")));
        }
    }

    #[test]
    fn months_backwards_and_across_years() {
        let mar31 = d("2019-03-31");
        assert_eq!(add_months(mar31, -1, MonthOverflow::Clamp), Ok(d("2019-02-28")));
        assert_eq!(add_months(mar31, -1, MonthOverflow::Spill), Ok(d("2019-03-03")));
        assert_eq!(
            add_months(mar31, -1, MonthOverflow::Reject).unwrap_err().to_string(),
            "2019-03-31 - 1 month has no 2019-02-31 and the plan's month overflow rule is `reject`"
        );
        assert_eq!(add_months(d("2019-01-15"), -1, MonthOverflow::Reject), Ok(d("2018-12-15")));
        assert_eq!(add_months(d("2019-01-15"), -13, MonthOverflow::Reject), Ok(d("2017-12-15")));
        assert_eq!(add_months(d("2019-12-15"), 1, MonthOverflow::Reject), Ok(d("2020-01-15")));
        assert_eq!(add_months(d("2019-05-31"), 12, MonthOverflow::Reject), Ok(d("2020-05-31")));
    }

    #[test]
    fn feb_29_plus_one_year_under_each_rule() {
        let feb29 = d("2020-02-29");
        let year = dur(1, DurationUnit::Year);
        assert_eq!(add_duration(feb29, year, MonthOverflow::Clamp, None), Ok(d("2021-02-28")));
        assert_eq!(add_duration(feb29, year, MonthOverflow::Spill, None), Ok(d("2021-03-01")));
        let err = add_duration(feb29, year, MonthOverflow::Reject, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "2020-02-29 + 1 year has no 2021-02-29 and the plan's month overflow rule is `reject`"
        );
        let four = dur(4, DurationUnit::Year);
        assert_eq!(add_duration(feb29, four, MonthOverflow::Reject, None), Ok(d("2024-02-29")));
        let back = dur(-1, DurationUnit::Year);
        assert_eq!(add_duration(feb29, back, MonthOverflow::Clamp, None), Ok(d("2019-02-28")));
        assert_eq!(add_duration(feb29, back, MonthOverflow::Spill, None), Ok(d("2019-03-01")));
        // 1900 is not a leap year, 2000 is.
        let feb28 = d("1899-02-28");
        assert_eq!(add_duration(feb28, dur(1, DurationUnit::Year), MonthOverflow::Reject, None), Ok(d("1900-02-28")));
        assert_eq!(add_months(d("1900-01-29"), 1, MonthOverflow::Clamp), Ok(d("1900-02-28")));
        assert_eq!(add_months(d("2000-01-29"), 1, MonthOverflow::Reject), Ok(d("2000-02-29")));
    }

    #[test]
    fn days_and_weeks() {
        let r = MonthOverflow::Reject;
        let x = d("2019-12-25");
        assert_eq!(add_duration(x, dur(7, DurationUnit::Day), r, None), Ok(d("2020-01-01")));
        assert_eq!(add_duration(x, dur(-25, DurationUnit::Day), r, None), Ok(d("2019-11-30")));
        assert_eq!(add_duration(x, dur(2, DurationUnit::Week), r, None), Ok(d("2020-01-08")));
        assert_eq!(add_duration(x, dur(-1, DurationUnit::Week), r, None), Ok(d("2019-12-18")));
        assert_eq!(add_duration(x, dur(0, DurationUnit::Month), r, None), Ok(x));
    }

    #[test]
    fn workdays_need_a_calendar() {
        let err = add_duration(d("2019-09-27"), dur(5, DurationUnit::Workday), MonthOverflow::Clamp, None).unwrap_err();
        assert_eq!(err.to_string(), "2019-09-27 + 5 workdays needs a calendar of holidays and the plan has none");
        let cal = prc_2019_2020();
        assert_eq!(
            add_duration(d("2019-09-27"), dur(5, DurationUnit::Workday), MonthOverflow::Clamp, Some(&cal)),
            Ok(d("2019-10-10"))
        );
    }

    #[test]
    fn uncovered_years_are_errors() {
        let cal = prc_2019_2020();
        let err = cal.add_workdays(d("2020-12-28"), 5).unwrap_err();
        assert_eq!(
            err,
            CalendarError::NotCovered {
                calendar: "PRC-2019-2020".into(),
                year: 2021,
                query: WorkdayQuery::Add { from: d("2020-12-28"), n: 5 },
            }
        );
        assert_eq!(
            err.to_string(),
            "the calendar `PRC-2019-2020` does not cover 2021 (needed for 2020-12-28 + 5 workdays)"
        );
        // Landing exactly on the last covered workday is fine.
        assert_eq!(cal.add_workdays(d("2020-12-28"), 3), Ok(d("2020-12-31")));
        assert!(cal.add_workdays(d("2020-12-28"), 4).is_err());
        // The start date itself is never classified, so it may lie in an uncovered year.
        assert_eq!(cal.add_workdays(d("2018-12-31"), 1), Ok(d("2019-01-02")));
        assert!(cal.roll_forward(d("2021-01-01")).is_err());
        assert!(cal.roll_forward(d("2020-12-31")).is_ok());
        assert_eq!(
            cal.workdays_between(d("2020-12-01"), d("2021-01-10")).unwrap_err().to_string(),
            "the calendar `PRC-2019-2020` does not cover 2021 \
             (needed for counting the workdays after 2020-12-01 up to 2021-01-10)"
        );
        // Large counts run out of covered years instead of looping.
        assert!(cal.add_workdays(d("2019-01-01"), u32::MAX).is_err());
        assert!(Calendar::new("empty").add_workdays(d("2019-01-01"), 1).is_err());
        let mut cal = prc_2019_2020();
        cal.add_holiday(d("2021-01-01")).unwrap();
        assert_eq!(cal.add_workdays(d("2020-12-28"), 5), Ok(d("2021-01-05")));
    }

    #[test]
    fn negative_workdays_go_backwards() {
        let cal = prc_2019_2020();
        let back = |from: &str, n: i64| {
            add_duration(d(from), dur(n, DurationUnit::Workday), MonthOverflow::Reject, Some(&cal))
        };
        assert_eq!(back("2019-10-08", -1), Ok(d("2019-09-30")));
        assert_eq!(back("2019-10-08", -2), Ok(d("2019-09-29")), "Sunday make-up workday");
        assert_eq!(back("2019-10-08", -3), Ok(d("2019-09-27")));
        assert_eq!(back("2019-10-08", 0), Ok(d("2019-10-08")));
        assert_eq!(back("2019-06-18", -20), Ok(d("2019-05-20")));
        let err = back("2019-01-03", -2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the calendar `PRC-2019-2020` does not cover 2018 (needed for 2019-01-03 - 2 workdays)"
        );
        assert_eq!(back("2019-01-03", -1), Ok(d("2019-01-02")));
    }

    #[test]
    fn workdays_round_trip_over_2019_and_2020() {
        let cal = prc_2019_2020();
        let first = d("2019-01-01");
        let last = d("2020-12-31");
        for day in first.0..=last.0 {
            let day = Date(day);
            for n in 0..30u32 {
                match cal.add_workdays(day, n) {
                    Ok(end) => {
                        assert!(end >= day);
                        assert!(n == 0 || cal.is_workday(end), "{day} + {n} landed on a rest day");
                        assert_eq!(cal.workdays_between(day, end), Ok(n), "{day} + {n}");
                        // Nothing earlier would do: one day less has one workday fewer.
                        if n > 0 {
                            assert_eq!(cal.workdays_between(day, Date(end.0 - 1)), Ok(n - 1));
                        }
                    }
                    Err(CalendarError::NotCovered { year: 2021, .. }) => {
                        let left = cal.workdays_between(day, last).unwrap();
                        assert!(left < n, "{day} + {n}: only {left} workdays remain in 2020");
                    }
                    Err(e) => panic!("{day} + {n}: {e}"),
                }
                // Backwards: the Nth workday before `day` has n workdays in [it, day).
                match cal.step_workdays(day, -i64::from(n)) {
                    Ok(start) => {
                        assert!(start <= day);
                        let before = Date(start.0 - 1);
                        if start.0 > first.0 {
                            let count = cal.workdays_between(before, Date(day.0 - 1));
                            assert_eq!(count, Ok(n), "{day} - {n}");
                        }
                    }
                    Err(CalendarError::NotCovered { year: 2018, .. }) => {
                        let left = cal.workdays_between(Date(first.0 - 1), Date(day.0 - 1)).unwrap();
                        assert!(left < n, "{day} - {n}: only {left} workdays precede it in 2019");
                    }
                    Err(e) => panic!("{day} - {n}: {e}"),
                }
            }
            let rolled = cal.roll_forward(day);
            if let Ok(r) = rolled {
                assert!(cal.is_workday(r));
                assert_eq!(cal.workdays_between(day, r), Ok(u32::from(day != r)));
            }
        }
    }

    #[test]
    fn holiday_and_makeup_conflict() {
        let mut cal = Calendar::new("test");
        cal.add_holiday(d("2019-10-01")).unwrap();
        cal.add_holiday(d("2019-10-01")).unwrap();
        let err = cal.add_makeup_workday(d("2019-10-01")).unwrap_err();
        assert_eq!(err.to_string(), "2019-10-01 cannot be both a holiday and a make-up workday of the calendar `test`");
        cal.add_makeup_workday(d("2019-10-12")).unwrap();
        assert!(cal.add_holiday(d("2019-10-12")).is_err());
        assert!(!cal.is_workday(d("2019-10-01")));
        assert!(cal.is_workday(d("2019-10-12")));
        assert!(Calendar::new("x").add_holiday(Date(i32::MAX)).is_err());
    }

    #[test]
    fn month_fields_and_bounds() {
        let x = d("2020-02-13");
        assert_eq!((year_of(x), month_of(x), day_of(x)), (2020, 2, 13));
        assert_eq!(end_of_month(x), d("2020-02-29"));
        assert_eq!(end_of_month(d("2019-02-01")), d("2019-02-28"));
        assert_eq!(end_of_month(d("2019-12-31")), d("2019-12-31"));
        assert_eq!(start_of_month(x), d("2020-02-01"));
        assert_eq!(start_of_month(d("2020-03-01")), d("2020-03-01"));
        assert_eq!(year_of(d("1969-12-31")), 1969);
    }

    #[test]
    fn months_and_quarters_in_a_range() {
        let months = months_in(d("2019-01-01"), d("2019-12-31"));
        assert_eq!(months.len(), 12);
        assert_eq!(months[0], (2019, 1));
        assert_eq!(months[11], (2019, 12));
        assert_eq!(months_in(d("2019-11-15"), d("2020-02-01")), vec![(2019, 11), (2019, 12), (2020, 1), (2020, 2)]);
        assert_eq!(months_in(d("2019-05-31"), d("2019-05-31")), vec![(2019, 5)]);
        assert!(months_in(d("2019-06-01"), d("2019-05-31")).is_empty());
        assert_eq!(quarters_in(d("2019-01-01"), d("2019-12-31")), vec![(2019, 1), (2019, 2), (2019, 3), (2019, 4)]);
        assert_eq!(quarters_in(d("2019-12-31"), d("2020-04-01")), vec![(2019, 4), (2020, 1), (2020, 2)]);
        assert_eq!(quarters_in(d("2019-03-31"), d("2019-04-01")), vec![(2019, 1), (2019, 2)]);
        assert!(quarters_in(d("2019-04-01"), d("2019-03-31")).is_empty());
        assert_eq!(months_in(d("-0001-12-01"), d("0000-01-01")), vec![(-1, 12), (0, 1)]);
    }

    #[test]
    fn civil_dates_of_datetimes() {
        let cn = 28_800;
        assert_eq!(civil_date_of("2019-09-30T17:00:00Z", cn), Ok(d("2019-10-01")));
        assert_eq!(civil_date_of("2019-09-30T15:59:59Z", cn), Ok(d("2019-09-30")));
        assert_eq!(civil_date_of("2019-09-30 23:30:00Z", cn), Ok(d("2019-10-01")));
        assert_eq!(civil_date_of("2019-09-30T23:30:00+08:00", cn), Ok(d("2019-09-30")));
        assert_eq!(civil_date_of("2019-09-30T23:30:00.250+08:00", cn), Ok(d("2019-09-30")));
        assert_eq!(civil_date_of("2019-10-01T00:30:00+09:00", cn), Ok(d("2019-09-30")));
        assert_eq!(civil_date_of("2019-09-30T20:00:00-05:00", cn), Ok(d("2019-10-01")));
        assert_eq!(civil_date_of("2019-09-30T20:00:00-05:00", 0), Ok(d("2019-10-01")));
        assert_eq!(civil_date_of("2019-09-30T20:00:00-05:00", -18_000), Ok(d("2019-09-30")));
        // No offset: already civil, whatever the plan's offset.
        assert_eq!(civil_date_of("2019-09-30T23:30:00", cn), Ok(d("2019-09-30")));
        assert_eq!(civil_date_of("2019-09-30 23:30", cn), Ok(d("2019-09-30")));
        assert_eq!(civil_date_of("2019-09-30", cn), Ok(d("2019-09-30")));
        for bad in [
            "",
            "2019-09-30T23:30:00+8",
            "2019-09-30T23:30:00 +08:00",
            "2019-02-30T10:00:00Z",
            "2019-09-30T24:30:00",
            "2019-09-31",
            "30/09/2019",
            "2019-09-30T23:30:00+08:00 ",
        ] {
            assert_eq!(civil_date_of(bad, cn), Err(TimeError::BadDateTime { text: bad.into() }), "{bad:?}");
        }
        assert_eq!(civil_date_of("2019-09-30", 86_400), Err(TimeError::BadPlanOffset { secs: 86_400 }));
        assert!(civil_date_of("2019-09-30", i32::MIN).is_err());
        // RFC 3339 has four-digit years only, so expanded years are not datetimes here.
        assert!(matches!(civil_date_of("+262143-12-31T23:00:00Z", cn), Err(TimeError::BadDateTime { .. })));
        assert_eq!(civil_date_of("9999-12-31T23:00:00-12:00", 50_400), Ok(d("+10000-01-02")));
        assert_eq!(civil_date_of("0000-01-01T00:00:00+12:00", -43_200), Ok(d("-0001-12-31")));
    }

    #[test]
    fn civil_agrees_with_chrono_and_display() {
        // Every day from 1600 to 2500, and a coarse sweep over all of chrono's range.
        let dense = d("1600-01-01").0..=d("2500-12-31").0;
        let sparse = (NaiveDate::MIN.to_epoch_days()..=NaiveDate::MAX.to_epoch_days()).step_by(9_973);
        for n in dense.chain(sparse).chain([NaiveDate::MIN.to_epoch_days(), NaiveDate::MAX.to_epoch_days()]) {
            let date = Date(n);
            let nd = naive(date).unwrap();
            assert_eq!(civil(date), (nd.year(), nd.month(), nd.day()), "{nd}");
            let weekend = matches!(nd.weekday(), Weekday::Sat | Weekday::Sun);
            assert_eq!(is_weekend(date), weekend, "{nd}");
            assert_eq!(days_in_month(nd.year(), nd.month()), nd.num_days_in_month() as u32);
            assert_eq!(Shown(date).to_string(), date.to_string());
        }
    }

    #[test]
    fn extreme_inputs_are_errors_not_panics() {
        let rules = [MonthOverflow::Clamp, MonthOverflow::Spill, MonthOverflow::Reject];
        let units =
            [DurationUnit::Day, DurationUnit::Week, DurationUnit::Month, DurationUnit::Year, DurationUnit::Workday];
        let cal = prc_2019_2020();
        let dates = [Date(i32::MIN), Date(i32::MIN + 1), Date(-1), Date(0), Date(i32::MAX - 1), Date(i32::MAX)];
        let amounts = [i64::MIN, i64::from(i32::MIN), -1, 0, 1, i64::from(i32::MAX), i64::MAX];
        for &x in &dates {
            let _ = (year_of(x), month_of(x), day_of(x), end_of_month(x), start_of_month(x));
            let _ = Shown(x).to_string();
            let _ = cal.is_workday(x);
            let _ = cal.roll_forward(x);
            let _ = cal.add_workdays(x, u32::MAX);
            for &y in &dates {
                let _ = cal.workdays_between(x, y);
            }
            for rule in rules {
                for m in [i32::MIN, -1, 1, i32::MAX] {
                    if let Err(e) = add_months(x, m, rule) {
                        let _ = e.to_string();
                    }
                }
                for &amount in &amounts {
                    for unit in units {
                        if let Err(e) = add_duration(x, dur(amount, unit), rule, Some(&cal)) {
                            let _ = e.to_string();
                        }
                    }
                }
            }
        }
        assert!(add_duration(Date(i32::MAX), dur(0, DurationUnit::Day), MonthOverflow::Clamp, None).is_err());
        assert!(add_months(d("2019-01-31"), i32::MAX, MonthOverflow::Clamp).is_err());
        assert_eq!(
            add_duration(d("2019-01-31"), dur(300_000, DurationUnit::Year), MonthOverflow::Clamp, None)
                .unwrap_err()
                .to_string(),
            "2019-01-31 + 300000 years falls outside the supported dates (-262143-01-01 to +262142-12-31)"
        );
        assert!(!cal.covers(i32::MIN) && !cal.covers(i32::MAX));
        // The ends of `i32` days are still decomposed consistently.
        assert_eq!(Shown(Date(i32::MAX)).to_string(), "+5881580-07-11");
        assert_eq!(Shown(Date(i32::MIN)).to_string(), "-5877641-06-23");
        assert_eq!(end_of_month(Date(i32::MAX)), Date(i32::MAX));
        assert_eq!(start_of_month(Date(i32::MIN)), Date(i32::MIN));
        assert_eq!(start_of_month(Date(i32::MAX)), Date(i32::MAX - 10));
        for text in ["-262144-01-01T00:00:00Z", "+999999-01-01T00:00:00Z", "99999999999999999999-01-01"] {
            let _ = civil_date_of(text, 28_800);
            let _ = civil_date_of(text, -28_800);
        }
    }
}
