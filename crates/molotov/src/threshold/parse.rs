//! The threshold grammar: `METRIC OP VALUE [abort [after DURATION]]`.
//!
//! ```text
//! METRIC := (scenario | request) ['[' NAME ']'] '.' STAT
//!         | failures | failures.count | rate | requests.rate
//!         | errors '[' KIND ']' | status '[' CLASS-OR-CODE ']'
//!         | late | dropped | started ['.count'] | lag '.' LATENCY   (the open model)
//!         | generator '.' (busy | peak | saturated)
//! STAT   := LATENCY | count | rate | failures | failures.count
//! LATENCY := pN (p95, p99.9) | min | max | mean
//! OP     := < | <= | > | >= | == | !=
//! VALUE  := NUMBER [us | ms | s | %]
//! ```

use std::fmt;
use std::time::Duration;

use molotov_core::parse_duration;

/// One threshold, parsed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Threshold {
    /// The expression as given (trimmed, spaces collapsed).
    pub(crate) text: String,
    pub(crate) metric: Metric,
    pub(crate) op: Op,
    pub(crate) limit: Limit,
    /// `abort`: stop the run as soon as it fails, but not before this much of it ran.
    pub(crate) abort: Option<Duration>,
}

/// Scenario runs or requests, all or one by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) requests: bool,
    pub(crate) name: Option<String>,
}

/// What is measured.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Metric {
    /// A latency statistic of the successful runs (or responses), in µs.
    Latency(Target, Stat),
    /// Runs (or requests), successes and failures.
    Count(Target),
    /// Runs (or requests) per second over the run.
    Rate(Target),
    /// Failed runs (requests without a response): a ratio with `%`, else a count.
    Failures(Target, Form),
    /// Requests that failed with an HTTP error kind (a share of the requests), or scenario
    /// runs that failed with any other kind, an exception class (a share of the runs).
    Errors(String, Form),
    /// Responses with a status (`503`) or in a class (`5xx`), over all requests.
    Status(StatusMatch, Form),
    /// The open model's runs: late (a share of the runs started), dropped or started (a
    /// share of the runs scheduled); a count without `%`.
    Arrivals(Arrival, Form),
    /// A statistic of the open model's start lags, in µs.
    Lag(Stat),
    /// How busy the load generator's thread was.
    Generator(Load),
}

/// Which of the open model's runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    Late,
    Dropped,
    Started,
}

impl Arrival {
    /// The metric's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Arrival::Late => "late",
            Arrival::Dropped => "dropped",
            Arrival::Started => "started",
        }
    }
}

/// A figure of the load generator's thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Load {
    /// Its mean share of the run running or waiting for a core.
    Busy,
    /// Its busiest second's share.
    Peak,
    /// The time it was saturated: a share of the run (`%`), seconds (a plain number) or a
    /// duration.
    Saturated(Form),
    SaturatedTime,
}

/// Whether a failures/errors/status metric is compared as a ratio or a count: decided by the
/// limit's unit (`%`) unless the metric says (`failures.count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    Ratio,
    Count,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Stat {
    Percentile(f64),
    Min,
    Max,
    Mean,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusMatch {
    Code(u16),
    /// The hundreds digit: 5 for `5xx`.
    Class(u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    pub(crate) fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Op::Lt => value < limit,
            Op::Le => value <= limit,
            Op::Gt => value > limit,
            Op::Ge => value >= limit,
            Op::Eq => (value - limit).abs() < 1e-9,
            Op::Ne => (value - limit).abs() >= 1e-9,
        }
    }

    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }
}

/// The limit, in the metric's unit: µs for latencies, a fraction for ratios (1 % is 0.01).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Limit {
    Micros(f64),
    Ratio(f64),
    Number(f64),
}

/// Why an expression was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ThresholdError {
    pub(crate) expression: String,
    pub(crate) reason: String,
}

impl fmt::Display for ThresholdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "threshold {:?}: {} (see `molotov --help`: e.g. \"scenario.p95 < 200ms\", \
             \"failures < 1%\")",
            self.expression, self.reason
        )
    }
}

impl std::error::Error for ThresholdError {}

const METRICS: &str = "expected scenario.STAT, scenario[NAME].STAT, request.STAT, \
                       request[METHOD NAME].STAT, failures, failures.count, rate, \
                       requests.rate, errors[KIND], status[CLASS], late, dropped, started, \
                       lag.STAT or generator.busy|peak|saturated";

impl std::str::FromStr for Threshold {
    type Err = ThresholdError;

    fn from_str(text: &str) -> Result<Threshold, ThresholdError> {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let fail = |reason: String| ThresholdError {
            expression: text.clone(),
            reason,
        };
        let (body, abort) = split_abort(&text).map_err(fail)?;
        if let Some(open) = body.find('[') {
            if !body[open..].contains(']') {
                return Err(fail(format!("`{}` is not closed by `]`", &body[..=open])));
            }
        }
        let (left, op, right) = split_op(body).ok_or_else(|| {
            fail("no comparison (one of <, <=, >, >=, ==, != between a metric and a value)".into())
        })?;
        let metric = metric(left.trim()).map_err(fail)?;
        let limit = value(right.trim()).map_err(fail)?;
        let metric = check_units(metric, limit).map_err(fail)?;
        Ok(Threshold {
            text: text.clone(),
            metric,
            op,
            limit,
            abort,
        })
    }
}

/// `... abort` or `... abort after 10s`.
fn split_abort(text: &str) -> Result<(&str, Option<Duration>), String> {
    if let Some(body) = text.strip_suffix(" abort") {
        return Ok((body, Some(Duration::ZERO)));
    }
    if let Some(at) = text.rfind(" abort after ") {
        let grace = &text[at + " abort after ".len()..];
        let grace = parse_duration(grace)
            .ok_or_else(|| format!("`abort after` needs a duration such as 10s, not {grace:?}"))?;
        return Ok((&text[..at], Some(grace)));
    }
    Ok((text, None))
}

/// Finds the comparison outside brackets (names may hold anything but `]`).
fn split_op(text: &str) -> Option<(&str, Op, &str)> {
    let bytes = text.as_bytes();
    let mut in_brackets = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'[' if !in_brackets => in_brackets = true,
            b']' if in_brackets => in_brackets = false,
            b'<' | b'>' | b'=' | b'!' if !in_brackets => {
                let two = bytes.get(i + 1) == Some(&b'=');
                let op = match (b, two) {
                    (b'<', true) => Op::Le,
                    (b'<', false) => Op::Lt,
                    (b'>', true) => Op::Ge,
                    (b'>', false) => Op::Gt,
                    (b'=', true) => Op::Eq,
                    (b'!', true) => Op::Ne,
                    _ => return None,
                };
                let width = if two { 2 } else { 1 };
                return Some((&text[..i], op, &text[i + width..]));
            }
            _ => {}
        }
    }
    None
}

/// `head`, `head[name]`, then `.rest`.
fn split_metric(text: &str) -> Result<(&str, Option<&str>, &str), String> {
    let (head, after) = match text.find(['[', '.']) {
        Some(i) => text.split_at(i),
        None => (text, ""),
    };
    if let Some(inner) = after.strip_prefix('[') {
        let close = inner
            .find(']')
            .ok_or_else(|| format!("`{head}[` is not closed by `]`"))?;
        let name = inner[..close].trim();
        if name.is_empty() {
            return Err(format!("`{head}[]` names nothing"));
        }
        let rest = &inner[close + 1..];
        let rest = if rest.is_empty() {
            ""
        } else {
            rest.strip_prefix('.')
                .ok_or_else(|| format!("unexpected {rest:?} after `{head}[{name}]`"))?
        };
        return Ok((head, Some(name), rest));
    }
    Ok((head, None, after.strip_prefix('.').unwrap_or(after)))
}

fn metric(text: &str) -> Result<Metric, String> {
    if text.is_empty() {
        return Err(format!("no metric before the comparison ({METRICS})"));
    }
    let (head, name, rest) = split_metric(text)?;
    let named = name.map(str::to_owned);
    match (head, rest) {
        ("scenario" | "scenarios" | "request" | "requests", _) => {
            let target = Target {
                requests: head.starts_with("request"),
                name: named,
            };
            stat(target, rest)
        }
        ("failures", "") if name.is_none() => Ok(Metric::Failures(Target::all_runs(), Form::Ratio)),
        ("failures", "count") if name.is_none() => {
            Ok(Metric::Failures(Target::all_runs(), Form::Count))
        }
        ("rate", "") if name.is_none() => Ok(Metric::Rate(Target::all_runs())),
        ("errors", "") => match name {
            Some(kind) => Ok(Metric::Errors(kind.to_owned(), Form::Ratio)),
            None => Err("`errors` needs a kind: errors[timeout]".into()),
        },
        ("errors", "count") if name.is_some() => Ok(Metric::Errors(
            name.unwrap_or_default().to_owned(),
            Form::Count,
        )),
        ("status", "" | "count") => {
            let Some(spec) = name else {
                return Err("`status` needs a code or class: status[5xx], status[404]".into());
            };
            let form = if rest == "count" {
                Form::Count
            } else {
                Form::Ratio
            };
            Ok(Metric::Status(status_match(spec)?, form))
        }
        ("late" | "dropped" | "started", "" | "count") if name.is_none() => {
            let arrival = match head {
                "late" => Arrival::Late,
                "dropped" => Arrival::Dropped,
                _ => Arrival::Started,
            };
            let form = if rest == "count" {
                Form::Count
            } else {
                Form::Ratio
            };
            Ok(Metric::Arrivals(arrival, form))
        }
        ("lag", "") if name.is_none() => {
            Err("`lag` needs a statistic: lag.p99, .max, .min, .mean".into())
        }
        ("lag", _) if name.is_none() => match latency_stat(rest) {
            Some(stat) => Ok(Metric::Lag(stat)),
            None if rest.starts_with('p') => Err(bad_percentile(rest)),
            None => Err(format!(
                "unknown statistic {rest:?} of `lag` (the open model's start lag: pN, min, \
                 max, mean)"
            )),
        },
        ("generator", _) if name.is_some() => {
            Err("`generator` has no name in brackets: generator.busy, .peak, .saturated".into())
        }
        ("generator", "") => {
            Err("`generator` needs a figure: generator.busy, .peak, .saturated".into())
        }
        ("generator", "busy") => Ok(Metric::Generator(Load::Busy)),
        ("generator", "peak") => Ok(Metric::Generator(Load::Peak)),
        ("generator", "saturated") => Ok(Metric::Generator(Load::Saturated(Form::Ratio))),
        ("generator", _) => Err(format!(
            "unknown figure {rest:?} of `generator` (busy, peak or saturated)"
        )),
        _ => Err(format!("unknown metric {text:?} ({METRICS})")),
    }
}

/// Why `p`, which starts with `p`, is not a percentile.
fn bad_percentile(p: &str) -> String {
    match p[1..].parse::<f64>() {
        Ok(_) => format!("percentile {p:?} is not between p0 and p100"),
        Err(_) => format!("unknown statistic {p:?} (a percentile is p50, p99.9)"),
    }
}

/// A latency statistic: `pN`, `min`, `max`, `mean`; `None` for anything else.
fn latency_stat(text: &str) -> Option<Stat> {
    match text {
        "min" => Some(Stat::Min),
        "max" => Some(Stat::Max),
        "mean" | "avg" => Some(Stat::Mean),
        "med" | "median" => Some(Stat::Percentile(50.0)),
        p => {
            let n: f64 = p.strip_prefix('p')?.parse().ok()?;
            (n.is_finite() && (0.0..=100.0).contains(&n)).then_some(Stat::Percentile(n))
        }
    }
}

impl Target {
    fn all_runs() -> Target {
        Target {
            requests: false,
            name: None,
        }
    }
}

fn stat(target: Target, rest: &str) -> Result<Metric, String> {
    let what = if target.requests {
        "request"
    } else {
        "scenario"
    };
    if let Some(stat) = latency_stat(rest) {
        return Ok(Metric::Latency(target, stat));
    }
    match rest {
        "count" => Ok(Metric::Count(target)),
        "rate" => Ok(Metric::Rate(target)),
        "failures" => Ok(Metric::Failures(target, Form::Ratio)),
        "failures.count" => Ok(Metric::Failures(target, Form::Count)),
        "" => Err(format!(
            "`{what}` needs a statistic: {what}.p95, .max, .min, .mean, .count, .rate, .failures"
        )),
        p if p.starts_with('p') => Err(bad_percentile(p)),
        other => Err(format!(
            "unknown statistic {other:?} of `{what}` (pN, min, max, mean, count, rate, failures, \
             failures.count)"
        )),
    }
}

fn status_match(spec: &str) -> Result<StatusMatch, String> {
    let lower = spec.to_ascii_lowercase();
    if let Some(digit) = lower.strip_suffix("xx") {
        if let Ok(class @ 1..=5) = digit.parse::<u16>() {
            return Ok(StatusMatch::Class(class));
        }
    }
    match spec.parse::<u16>() {
        Ok(code @ 100..=999) => Ok(StatusMatch::Code(code)),
        _ => Err(format!(
            "status[{spec}]: expected a class (1xx to 5xx) or a code (100 to 999)"
        )),
    }
}

fn value(text: &str) -> Result<Limit, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite())
        .ok_or_else(|| format!("{text:?} is not a number with an optional unit (us, ms, s, %)"))?;
    match unit.trim() {
        "" => Ok(Limit::Number(number)),
        "%" => Ok(Limit::Ratio(number / 100.0)),
        "us" | "µs" => Ok(Limit::Micros(number)),
        "ms" => Ok(Limit::Micros(number * 1e3)),
        "s" => Ok(Limit::Micros(number * 1e6)),
        "m" | "min" => Ok(Limit::Micros(number * 60e6)),
        other => Err(format!("unknown unit {other:?} (us, ms, s, %)")),
    }
}

/// Checks that the limit's unit fits the metric, and picks ratio or count by it.
fn check_units(metric: Metric, limit: Limit) -> Result<Metric, String> {
    let by_unit = |form: Form| match (form, limit) {
        (Form::Count | Form::Ratio, Limit::Number(_)) => Ok(Form::Count),
        (Form::Count, _) => Err("a count is compared with a plain number".to_owned()),
        (Form::Ratio, Limit::Ratio(_)) => Ok(Form::Ratio),
        (Form::Ratio, Limit::Micros(_)) => {
            Err("a share is compared with a % (or a plain number for a count)".to_owned())
        }
    };
    match metric {
        Metric::Latency(..) => match limit {
            Limit::Micros(_) => Ok(metric),
            _ => Err("a latency is compared with a duration: 200ms, 1.5s, 800us".into()),
        },
        Metric::Count(_) | Metric::Rate(_) => match limit {
            Limit::Number(_) => Ok(metric),
            _ => Err("a count or a rate (per second) is compared with a plain number".into()),
        },
        Metric::Failures(target, form) => Ok(Metric::Failures(target, by_unit(form)?)),
        Metric::Errors(kind, form) => Ok(Metric::Errors(kind, by_unit(form)?)),
        Metric::Status(m, form) => Ok(Metric::Status(m, by_unit(form)?)),
        Metric::Arrivals(which, form) => Ok(Metric::Arrivals(which, by_unit(form)?)),
        Metric::Lag(_) => match limit {
            Limit::Micros(_) => Ok(metric),
            _ => Err("the start lag is compared with a duration: 1ms, 800us".into()),
        },
        Metric::Generator(Load::Busy | Load::Peak) => match limit {
            Limit::Ratio(_) => Ok(metric),
            _ => Err("how busy the generator was is a share, compared with a %: 80%".into()),
        },
        Metric::Generator(Load::Saturated(_) | Load::SaturatedTime) => Ok(match limit {
            Limit::Micros(_) => Metric::Generator(Load::SaturatedTime),
            Limit::Ratio(_) => Metric::Generator(Load::Saturated(Form::Ratio)),
            Limit::Number(_) => Metric::Generator(Load::Saturated(Form::Count)),
        }),
    }
}

#[cfg(test)]
mod tests;
