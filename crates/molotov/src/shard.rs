//! `--shard I/N` (or `--shards N` with the index from `JOB_COMPLETION_INDEX`, as a Kubernetes
//! Indexed Job sets it): one load test run as N shards, on N machines or pods, each making its
//! exact share of the load, merged afterwards by `molotov-report`.
//!
//! A shard's share: of `-w W` workers, shard i runs `floor(W(i+1)/N) - floor(Wi/N)` (the shares
//! add up to W), with worker ids from `floor(Wi/N)`, unique across shards; of an open-model
//! schedule, the runs k with `k mod N == i` (the engine's `Partition`, striped so the shards
//! together keep the global schedule); `-p P` inside a shard splits its share the same way
//! (processes j of shard i make the runs `k mod NP == i + Nj`). Seeds derive from the run's
//! seed, the shard and the process, so picks differ but repeat.

use std::fmt::{self, Write as _};
use std::num::NonZeroUsize;
use std::str::FromStr;

use molotov_core::{Load, Partition, RunConfig};
use serde::{Deserialize, Serialize};

/// The variable a Kubernetes Indexed Job sets to the pod's index.
pub const INDEX_VARIABLE: &str = "JOB_COMPLETION_INDEX";

/// Shard `index` of `count` (read back from a results file, it is checked: 0 <= index <
/// count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ShardWire")]
pub struct Shard {
    /// From 0.
    pub index: usize,
    /// How many shards the run has.
    pub count: usize,
}

#[derive(Deserialize)]
struct ShardWire {
    index: usize,
    count: usize,
}

impl TryFrom<ShardWire> for Shard {
    type Error = String;

    fn try_from(w: ShardWire) -> Result<Shard, String> {
        format!("{}/{}", w.index, w.count).parse()
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `I/N`, with 0 <= I < N.
    fn from_str(text: &str) -> Result<Shard, String> {
        let bad = || format!("{text:?} is not a shard: I/N, such as 0/3 (I from 0 to N-1)");
        let (index, count) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = index.trim().parse().map_err(|_| bad())?;
        let count: usize = count.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count || count > MAX_SHARDS {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// `--start-at`: a moment on the wall clock, given in RFC 3339 (`2026-12-06T10:00:00Z`) or
/// Unix seconds (`1796551200`, fractions allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartAt(pub std::time::SystemTime);

impl FromStr for StartAt {
    type Err = String;

    fn from_str(text: &str) -> Result<StartAt, String> {
        use std::time::{Duration, UNIX_EPOCH};
        let text = text.trim();
        if let Ok(seconds) = text.parse::<f64>() {
            return Duration::try_from_secs_f64(seconds)
                .ok()
                .and_then(|d| UNIX_EPOCH.checked_add(d))
                .map(StartAt)
                .ok_or_else(|| format!("{text} is not a time in Unix seconds"));
        }
        let parsed = time::OffsetDateTime::parse(
            text,
            &time::format_description::well_known::Rfc3339,
        )
        .map_err(|e| {
            format!("{text:?} is not a time: RFC 3339 (2026-12-06T10:00:00Z) or Unix seconds ({e})")
        })?;
        let nanos = parsed.unix_timestamp_nanos();
        let after = u64::try_from(nanos).map_err(|_| format!("{text} is before 1970"))?;
        Ok(StartAt(UNIX_EPOCH + Duration::from_nanos(after)))
    }
}

impl fmt::Display for StartAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let since = self
            .0
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        write!(f, "{}", since.as_secs_f64())
    }
}

/// The shard this run is, from `--shard I/N`, or `--shards N` and `index` (the value of
/// [`INDEX_VARIABLE`], when set); `None` unsharded.
pub(crate) fn resolve(
    shard: Option<Shard>,
    shards: Option<u64>,
    index: Option<&str>,
) -> Result<Option<Shard>, String> {
    let Some(count) = shards else {
        return Ok(shard);
    };
    let index = index.ok_or_else(|| {
        format!("--shards {count} takes the shard's index from {INDEX_VARIABLE}, which is not set (or use --shard I/{count})")
    })?;
    format!("{}/{count}", index.trim())
        .parse()
        .map(Some)
        .map_err(|e| format!("{INDEX_VARIABLE}={index:?} with --shards {count}: {e}"))
}

/// How far in the past a `--start-at` may be (pods that started late still run).
pub(crate) const START_LATE: std::time::Duration = std::time::Duration::from_secs(5);
/// How far ahead a `--start-at` may be: further is a mistake (milliseconds for seconds).
const START_FAR: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// `--shard-fixtures`: where the global fixtures of a sharded run run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ShardFixtures {
    /// In every shard.
    #[default]
    Every,
    /// In shard 0 only.
    First,
}

/// Narrows `run` to this shard's share of the load, sets `--start-at` and where the global
/// fixtures run (`--shard-fixtures`); the shard, if the run is one.
pub(crate) fn configure(args: &crate::Args, run: &mut RunConfig) -> Result<Option<Shard>, String> {
    let index = std::env::var(INDEX_VARIABLE).ok();
    let shard = resolve(args.shard, args.shards, index.as_deref())?;
    if let Some(shard) = shard {
        // Its processes split its share in turn (checked now, before any fork).
        let processes = usize::try_from(args.processes).unwrap_or(usize::MAX).max(1);
        narrow(run, shard.index, shard.count, processes)
            .map_err(|e| format!("shard {shard}: {e}"))?;
        if processes > 1 {
            narrow(&mut run.clone(), 0, processes, 1)
                .map_err(|e| format!("shard {shard} in -p {processes}: {e}"))?;
        }
        if args.shard_fixtures == ShardFixtures::First && shard.index != 0 {
            run.global_fixtures = false;
        }
    }
    if let Some(at) = args.start_at {
        let now = std::time::SystemTime::now();
        if now.duration_since(at.0).is_ok_and(|late| late > START_LATE) {
            return Err(format!(
                "--start-at {at} is already past (it is now {}): give a time to come",
                StartAt(now)
            ));
        }
        if at.0.duration_since(now).is_ok_and(|wait| wait > START_FAR) {
            return Err(format!(
                "--start-at {at} is more than a week away (it is now {}): Unix seconds, not \
                 milliseconds?",
                StartAt(now)
            ));
        }
        run.start_at = Some(at.0);
    }
    Ok(shard)
}

/// Checks that results of a sharded run are all there: when any is a shard, all are, of one
/// shard count, every index from 0 to N-1 exactly once. `(source, shard)` per result.
pub(crate) fn check_complete(results: &[(&str, Option<Shard>)]) -> Result<(), String> {
    let Some((source, first)) = results.iter().find_map(|(s, shard)| Some((*s, (*shard)?))) else {
        return Ok(());
    };
    let mut seen: Vec<Option<&str>> = vec![None; first.count];
    for (place, shard) in results {
        let Some(shard) = shard else {
            return Err(format!(
                "{place} is not a shard, but {source} is shard {first}: merge the shards of one run"
            ));
        };
        if shard.count != first.count {
            return Err(format!(
                "{place} is shard {shard} but {source} is shard {first}: not the same shard count"
            ));
        }
        if let Some(other) = seen[shard.index].replace(place) {
            return Err(format!("shard {shard} is there twice: {other} and {place}"));
        }
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| i.to_string())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of the {} shards are missing: {} (merge all of them, or none)",
            missing.len(),
            first.count,
            missing.join(", ")
        ))
    }
}

/// The options that shape the load, which the plan's hash covers (`Args`' serde names).
const SHAPING: [&str; 12] = [
    "workers",
    "duration",
    "max_runs",
    "single_run",
    "single_mode",
    "rate",
    "rate_stages",
    "max_workers",
    "drop_late",
    "stages",
    "ramp_up",
    "delay",
];

/// The plan's hash: the scenarios with their weights and the options that shape the load (not
/// the shard, nor where results go), so that results of different tests are not merged.
pub(crate) fn plan_hash(scenarios: &[(String, u32)], args: &crate::Args) -> String {
    let options = serde_json::to_value(args).unwrap_or_default();
    let mut text = String::new();
    for (name, weight) in scenarios {
        let _ = write!(text, "{name}={weight};");
    }
    // The script's path may differ between machines; a URL is the test itself.
    let url = crate::url_test::is_url(&args.scenario).then_some("scenario");
    for key in SHAPING.iter().copied().chain(url) {
        let value = options.get(key).unwrap_or(&serde_json::Value::Null);
        let _ = write!(text, "{key}={value};");
    }
    let shards = args.shard.map(|s| s.count as u64).or(args.shards);
    let _ = write!(text, "shards={shards:?}");
    // FNV-1a, 64 bits: stable across versions and machines.
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// More shards than this is a typo, not a plan.
const MAX_SHARDS: usize = 100_000;

/// Part `index` of `count` of `total`: `floor(total(i+1)/n) - floor(total i/n)`.
pub(crate) fn share(total: usize, index: usize, count: usize) -> usize {
    first(total, index + 1, count) - first(total, index, count)
}

/// Where part `index` of `count` of `total` starts: `floor(total i/n)`.
pub(crate) fn first(total: usize, index: usize, count: usize) -> usize {
    let wide = u128::try_from(total).unwrap_or(u128::MAX) * index as u128 / count.max(1) as u128;
    usize::try_from(wide).unwrap_or(usize::MAX)
}

/// Gives `config` (the whole run's) the share of part `index` of `count`: its workers (and
/// open-model worker cap, and stage counts), its worker ids, its stripe of the schedule, its
/// seed. `reserve`: how many parts this part will be split into in turn (its processes), so
/// that their worker ids stay within its own. `Err` when a closed-model part would have no
/// worker.
///
/// Worker ids: in the plain closed model, contiguous (`floor(Wi/N)` on); where parts can grow
/// beyond their share of `-w` (the open model's `--max-workers`, the peak of `--stages`, a
/// part given one worker it had no share of), each part gets a block of ids as large as it can
/// grow, a multiple of `reserve`.
pub(crate) fn narrow(
    config: &mut RunConfig,
    index: usize,
    count: usize,
    reserve: usize,
) -> Result<(), String> {
    let workers = config.workers.get();
    let open = matches!(config.load, Load::Open(_));
    let contiguous = matches!(config.load, Load::Closed(None));
    let slots = config.worker_slots();
    let mine = match NonZeroUsize::new(share(workers, index, count)) {
        Some(mine) => mine,
        // The open model's workers are sessions its runs borrow: a part short of one gets one.
        None if open => NonZeroUsize::MIN,
        None => {
            return Err(format!(
                "-w {workers} cannot be split into {count} parts: each needs a worker (give -w \
                 {count} or more)"
            ));
        }
    };
    let first_id = if contiguous {
        first(workers, index, count)
    } else {
        let reserve = reserve.max(1);
        let block = slots.div_ceil(count).max(reserve).div_ceil(reserve) * reserve;
        index * block
    };
    config.first_worker_id += first_id;
    config.workers = mine;
    match &mut config.load {
        Load::Open(arrivals) => {
            let cap = arrivals.max_workers.get();
            arrivals.max_workers = NonZeroUsize::new(share(cap, index, count))
                .unwrap_or(mine)
                .max(mine);
        }
        // The stages' worker counts are the whole run's too.
        Load::Closed(Some(stages)) => {
            for stage in &mut stages.0 {
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "stage targets are whole worker counts, checked when parsed"
                )]
                let target = stage.target.round().max(0.0) as usize;
                stage.target = share(target, index, count) as f64;
            }
        }
        Load::Closed(None) => {}
    }
    // Part `index` of this process's stripe: the stripes of all the parts interleave, and so
    // do the seeds (part j of part i of N is the (i + Nj)-th).
    let stripe = config.partition;
    let offset = stripe.count.get().saturating_mul(index) as u64;
    config.partition = Partition {
        index: stripe.index + stripe.count.get() * index,
        count: stripe
            .count
            .saturating_mul(NonZeroUsize::new(count).unwrap_or(NonZeroUsize::MIN)),
    };
    config.seed = config
        .seed
        .map(|seed| seed.wrapping_add(offset.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
    Ok(())
}

#[cfg(test)]
mod tests;
