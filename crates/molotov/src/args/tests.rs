use super::*;

fn parse(args: &[&str]) -> Result<Parsed, clap::Error> {
    Args::parse_from_argv(std::iter::once("molotov").chain(args.iter().copied()))
}

#[test]
fn defaults_match_molotov() {
    let p = parse(&[]).unwrap();
    let a = p.args;
    assert_eq!(a.scenario, "loadtest.py");
    assert_eq!((a.workers, a.processes), (1, 1));
    assert!((a.duration - 86400.0).abs() < f64::EPSILON);
    assert!((a.console_update - 0.2).abs() < f64::EPSILON);
    let grace = molotov_core::DEFAULT_GRACEFUL_STOP.as_secs_f64();
    assert!((a.graceful_stop - grace).abs() < f64::EPSILON);
    assert!((a.sizing_tolerance - 5.0).abs() < f64::EPSILON);
    assert_eq!(a.statsd_address, "udp://localhost:8125");
    assert!(p.explicit.is_empty());
}

#[test]
fn short_and_long_names_and_explicit_options() {
    let p = parse(&[
        "-w",
        "3",
        "--duration",
        "2.5",
        "-vv",
        "-r",
        "4",
        "-x",
        "s.py",
    ])
    .unwrap();
    assert_eq!(p.args.workers, 3);
    assert_eq!(p.args.verbose, 2);
    assert_eq!(p.args.max_runs, Some(4));
    assert!(p.args.exception);
    assert_eq!(p.args.scenario, "s.py");
    for id in [
        "workers",
        "duration",
        "verbose",
        "max_runs",
        "exception",
        "scenario",
    ] {
        assert!(
            p.explicit.iter().any(|e| e == id),
            "{id} in {:?}",
            p.explicit
        );
    }
}

#[test]
fn durations_too_large_to_hold_are_the_largest_number() {
    for huge in ["1e400", "inf"] {
        let p = parse(&["-d", huge, "--ramp-up", huge, "--graceful-stop", huge]).unwrap();
        assert!(p.args.duration.is_finite() && p.args.duration > 1e300);
        assert!(p.args.ramp_up.is_finite() && p.args.graceful_stop.is_finite());
    }
}

#[test]
fn the_grace_is_in_the_option_table_and_the_serde_form() {
    // What --config files, moloslave and the Python `args` accept derives from `Args`.
    let table = option_table();
    let grace = table.iter().find(|o| o.id == "graceful_stop").unwrap();
    assert_eq!(
        (grace.long.as_str(), grace.kind),
        ("--graceful-stop", OptionKind::Value)
    );
    let args = parse(&["--graceful-stop", "2.5"]).unwrap().args;
    let form = serde_json::to_value(&args).unwrap();
    assert_eq!(form["graceful_stop"], 2.5);
    assert_eq!(form["force_shutdown"], false);
}

#[test]
fn extensions_do_not_swallow_the_scenario() {
    let p = parse(&["--use-extension", "ext.py", "script.py"]).unwrap();
    assert_eq!(p.args.use_extension, ["ext.py"]);
    assert_eq!(p.args.scenario, "script.py");
}

#[test]
fn bad_values_are_refused() {
    for bad in [
        &["-w", "0"][..],
        &["-d", "-1"],
        &["-d", "0"],
        &["--ramp-up", "soon"],
        &["-q", "-v"],
        &["-s", "a", "--single-run"],
        &["--sizing-tolerance", "150"],
        &["-f", "0"],
        &["-r", "-1"],
        &["-p", "0"],
        &["-d", "nan"],
        &["--graceful-stop", "-1"],
    ] {
        assert!(parse(bad).is_err(), "{bad:?} should be refused");
    }
}
