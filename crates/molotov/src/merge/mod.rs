//! `molotov-report FILE...`: merges `--json` results files (of processes, machines, shards)
//! exactly, prints the summary, writes the reports and evaluates thresholds, with the exit
//! codes of a run. A file is a path, or `-` for standard input (one or more JSON documents).
//!
//! Results of different formats or of different tests (other scenario names, plans, models),
//! and shards of a run with one missing or twice, are refused with one line, exit 2. `read`:
//! the documents, parsed one at a time.

mod read;

use std::ffi::OsString;

use anyhow::bail;
use clap::Parser;
use molotov_core::Summary;

use read::Loaded;
pub(crate) use read::marked;

use crate::args::ResultsOptions;
use crate::display::{eprint_line, print_stdout};
use crate::exit::ExitStatus;
use crate::render;
use crate::shard::Shard;
use crate::threshold::{self, Observed, Thresholds};

/// `molotov-report`'s command line.
#[derive(Debug, Parser)]
#[command(
    name = "molotov-report",
    version,
    about = "Merges molotov --json results files exactly, prints the summary, writes reports and evaluates thresholds"
)]
struct ReportArgs {
    /// Results files written by `molotov --json` (`-` reads JSON documents from standard input)
    #[arg(value_name = "FILE", required = true)]
    files: Vec<String>,

    #[command(flatten)]
    results: ResultsOptions,
}

/// Runs `molotov-report` with `argv` (program name first); the exit status.
pub fn report_main<I, T>(argv: I) -> ExitStatus
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let argv: Vec<OsString> = argv.into_iter().map(Into::into).collect();
    let options = match ReportArgs::try_parse_from(&argv) {
        Ok(parsed) => parsed,
        Err(e) => return crate::app::clap_exit(&e),
    };
    match merge_and_report(&options, &crate::command_line::command_line(&argv)) {
        Ok(status) => status,
        Err(e) => {
            eprint_line(&format!("error: {e:#}"));
            ExitStatus::Usage
        }
    }
}

fn merge_and_report(args: &ReportArgs, command: &str) -> anyhow::Result<ExitStatus> {
    let thresholds = Thresholds::parse(&args.results.thresholds)?;
    let mut merger = Merger::default();
    for file in &args.files {
        read::each_document(file, |loaded| merger.add(loaded))?;
    }
    let documents = merger.documents;
    let (summary, processes, plan) = merger.finish()?;
    let names: Vec<&str> = summary
        .report
        .scenarios
        .keys()
        .map(String::as_str)
        .collect();
    thresholds.check_scenarios(&names)?;
    let verdicts = thresholds.evaluate(&Observed::summary(&summary));
    crate::outputs::write_files(
        &summary,
        processes,
        &verdicts,
        &args.results.percentiles,
        &crate::outputs::Files {
            json: args.results.json.as_deref(),
            junit: args.results.junit.as_deref(),
            html: args.results.html.as_deref(),
        },
        &crate::outputs::Meta {
            title: &format!("{documents} results merged"),
            command,
            plan: plan.as_deref(),
        },
    )
    .map_err(anyhow::Error::msg)?;
    let style = render::SummaryStyle {
        processes,
        percentiles: &args.results.percentiles,
        chart: false,
        fail_given: false,
        max_workers: None,
    };
    print_stdout(&format!(
        "Merged {documents} results ({processes} processes)\n{}{}",
        render::summary(&summary, &style),
        threshold::summary(&verdicts)
    ));
    let failed = verdicts.iter().any(|v| !v.passed);
    Ok(ExitStatus::of(&summary, None, failed))
}

/// Results added up one document at a time (a thousand shards are never all in memory);
/// refused when they are not of one test.
#[derive(Default)]
struct Merger {
    /// The first document's source, scenario names, model and plan: what the others must
    /// match (the plan only between shards: runs of one test on several machines may differ
    /// in their options).
    first: Option<(String, Vec<String>, bool, Option<String>)>,
    summary: Option<Summary>,
    processes: usize,
    documents: usize,
    /// Every document's source and shard, for the completeness check at the end.
    shards: Vec<(String, Option<Shard>)>,
}

impl Merger {
    fn add(&mut self, loaded: Loaded) -> anyhow::Result<()> {
        let names: Vec<String> = loaded.summary.report.scenarios.keys().cloned().collect();
        let open = loaded.summary.arrivals.is_some();
        let source = loaded.source;
        if let Some((first, expected, first_open, first_plan)) = &self.first {
            if *first_open != open {
                bail!(
                    "{first} and {source} are results of different tests (one ran the open \
                     model, --rate, the other not)"
                );
            }
            let sharded = loaded.shard.is_some();
            if let (true, Some(ours), Some(theirs)) = (sharded, first_plan, &loaded.plan) {
                if ours != theirs {
                    bail!(
                        "{first} and {source} are results of different plans (scenarios, \
                         weights or options differ: plan {ours} / {theirs})"
                    );
                }
            }
            if &names != expected {
                bail!(
                    "{first} and {source} are results of different tests (scenarios {} / {})",
                    expected.join(", "),
                    names.join(", ")
                );
            }
        } else {
            self.first = Some((source.clone(), names, open, loaded.plan.clone()));
        }
        self.shards.push((source, loaded.shard));
        match &mut self.summary {
            Some(summary) => summary.absorb(&loaded.summary),
            None => self.summary = Some(loaded.summary),
        }
        self.processes = self.processes.saturating_add(loaded.processes);
        self.documents += 1;
        Ok(())
    }

    /// The whole: the summary, its processes, the plan.
    fn finish(self) -> anyhow::Result<(Summary, usize, Option<String>)> {
        let shards: Vec<(&str, Option<Shard>)> = self
            .shards
            .iter()
            .map(|(s, shard)| (s.as_str(), *shard))
            .collect();
        crate::shard::check_complete(&shards).map_err(anyhow::Error::msg)?;
        let plan = self.first.and_then(|(_, _, _, plan)| plan);
        let summary = self
            .summary
            .ok_or_else(|| anyhow::anyhow!("no results to merge"))?;
        Ok((summary, self.processes, plan))
    }
}
