use super::*;

fn parse(text: &str) -> Threshold {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn refused(text: &str) -> String {
    match text.parse::<Threshold>() {
        Ok(t) => panic!("{text} was accepted: {t:?}"),
        Err(e) => e.to_string(),
    }
}

fn all(requests: bool) -> Target {
    Target {
        requests,
        name: None,
    }
}

fn named(requests: bool, name: &str) -> Target {
    Target {
        requests,
        name: Some(name.into()),
    }
}

#[test]
fn every_form_the_docs_show() {
    let t = parse("scenario.p95 < 200ms");
    assert_eq!(
        t.metric,
        Metric::Latency(all(false), Stat::Percentile(95.0))
    );
    assert_eq!(
        (t.op, t.limit, t.abort),
        (Op::Lt, Limit::Micros(200_000.0), None)
    );

    let t = parse("scenario[login].p99 < 1s");
    assert_eq!(
        t.metric,
        Metric::Latency(named(false, "login"), Stat::Percentile(99.0))
    );
    assert_eq!(t.limit, Limit::Micros(1e6));

    let t = parse("request.p99 < 100ms");
    assert_eq!(t.metric, Metric::Latency(all(true), Stat::Percentile(99.0)));

    let t = parse("request[GET /api/items].max < 2s");
    assert_eq!(
        t.metric,
        Metric::Latency(named(true, "GET /api/items"), Stat::Max)
    );

    let t = parse("failures < 1%");
    assert_eq!(t.metric, Metric::Failures(all(false), Form::Ratio));
    assert_eq!(t.limit, Limit::Ratio(0.01));

    let t = parse("failures.count == 0");
    assert_eq!(t.metric, Metric::Failures(all(false), Form::Count));
    assert_eq!((t.op, t.limit), (Op::Eq, Limit::Number(0.0)));

    let t = parse("rate > 500");
    assert_eq!(t.metric, Metric::Rate(all(false)));
    assert_eq!((t.op, t.limit), (Op::Gt, Limit::Number(500.0)));

    let t = parse("errors[timeout] == 0");
    assert_eq!(t.metric, Metric::Errors("timeout".into(), Form::Count));

    let t = parse("status[5xx] < 0.1%");
    assert_eq!(t.metric, Metric::Status(StatusMatch::Class(5), Form::Ratio));
    assert!(matches!(t.limit, Limit::Ratio(r) if (r - 0.001).abs() < 1e-12));
}

#[test]
fn more_forms() {
    assert_eq!(
        parse("scenario.p99.9 <= 800us").metric,
        Metric::Latency(all(false), Stat::Percentile(99.9))
    );
    assert_eq!(parse("request.mean >= 1.5ms").limit, Limit::Micros(1500.0));
    assert_eq!(
        parse("scenario.count > 10").metric,
        Metric::Count(all(false))
    );
    assert_eq!(
        parse("requests.rate >= 100").metric,
        Metric::Rate(all(true))
    );
    assert_eq!(
        parse("scenario[a].failures < 5%").metric,
        Metric::Failures(named(false, "a"), Form::Ratio)
    );
    assert_eq!(
        parse("request.failures.count != 3").metric,
        Metric::Failures(all(true), Form::Count)
    );
    assert_eq!(
        parse("status[404] == 0").metric,
        Metric::Status(StatusMatch::Code(404), Form::Count)
    );
    assert_eq!(
        parse("errors[AssertionError] < 2%").metric,
        Metric::Errors("AssertionError".into(), Form::Ratio)
    );
    // Spaces are free around the operator and collapsed in the text.
    let t = parse("  scenario.p50<3s ");
    assert_eq!(t.text, "scenario.p50<3s");
    assert_eq!(t.op, Op::Lt);
    // A name may hold operators and dots.
    let t = parse("request[GET /a<b.c=d].p90 < 5ms");
    assert_eq!(
        t.metric,
        Metric::Latency(named(true, "GET /a<b.c=d"), Stat::Percentile(90.0))
    );
}

#[test]
fn abort_and_its_grace() {
    assert_eq!(parse("failures < 1% abort").abort, Some(Duration::ZERO));
    assert_eq!(
        parse("scenario.p99 < 1s abort after 30s").abort,
        Some(Duration::from_secs(30))
    );
    assert!(refused("failures < 1% abort after soon").contains("abort after"));
}

#[test]
fn every_error_is_one_clear_line() {
    for (text, says) in [
        ("scenario.p95 200ms", "no comparison"),
        ("scenario.p95 < 200", "latency is compared with a duration"),
        ("scenario.p95 < 2%", "latency is compared with a duration"),
        ("scenari.p95 < 200ms", "unknown metric"),
        ("scenario.p101 < 1s", "not between p0 and p100"),
        ("scenario.pfoo < 1s", "unknown statistic"),
        ("scenario.average < 1s", "unknown statistic"),
        ("scenario < 1s", "needs a statistic"),
        ("scenario[login.p95 < 1s", "not closed"),
        ("scenario[].p95 < 1s", "names nothing"),
        ("errors < 1", "needs a kind"),
        ("status[6xx] < 1%", "expected a class"),
        ("status[abc] < 1%", "expected a class"),
        ("status < 1%", "needs a code or class"),
        ("failures < 1ms", "share is compared with a %"),
        (
            "failures.count < 1%",
            "count is compared with a plain number",
        ),
        ("rate > 5%", "plain number"),
        ("rate > fast", "not a number"),
        ("rate > 5 furlongs", "unknown unit"),
        (" < 5", "no metric"),
        ("rate = 5", "no comparison"),
        ("rate > NaN", "not a number"),
    ] {
        let error = refused(text);
        assert!(error.contains(says), "{text}: {error}");
        assert!(!error.contains('\n'), "{error}");
        assert!(error.starts_with("threshold \""), "{error}");
    }
}

#[test]
fn the_open_model_and_the_generator() {
    assert_eq!(
        parse("late < 1%").metric,
        Metric::Arrivals(Arrival::Late, Form::Ratio)
    );
    assert_eq!(
        parse("late.count == 0").metric,
        Metric::Arrivals(Arrival::Late, Form::Count)
    );
    assert_eq!(
        parse("dropped == 0").metric,
        Metric::Arrivals(Arrival::Dropped, Form::Count)
    );
    assert_eq!(
        parse("started >= 99.5%").metric,
        Metric::Arrivals(Arrival::Started, Form::Ratio)
    );
    assert_eq!(
        parse("lag.p99 < 1ms").metric,
        Metric::Lag(Stat::Percentile(99.0))
    );
    assert_eq!(parse("lag.max < 5ms").metric, Metric::Lag(Stat::Max));
    assert_eq!(
        parse("generator.busy < 80%").metric,
        Metric::Generator(Load::Busy)
    );
    assert_eq!(
        parse("generator.peak < 90%").metric,
        Metric::Generator(Load::Peak)
    );
    assert_eq!(
        parse("generator.saturated == 0").metric,
        Metric::Generator(Load::Saturated(Form::Count))
    );
    assert_eq!(
        parse("generator.saturated < 5%").metric,
        Metric::Generator(Load::Saturated(Form::Ratio))
    );
    assert_eq!(
        parse("generator.saturated < 3s abort").metric,
        Metric::Generator(Load::SaturatedTime)
    );
    for (text, reason) in [
        ("lag < 1ms", "`lag` needs a statistic"),
        (
            "lag.p101 < 1ms",
            "percentile \"p101\" is not between p0 and p100",
        ),
        ("lag.count < 5", "unknown statistic \"count\" of `lag`"),
        ("lag.p99 < 5", "the start lag is compared with a duration"),
        ("late < 1ms", "a share is compared with a %"),
        ("late.count < 1%", "a count is compared with a plain number"),
        ("late[x] < 1%", "unknown metric"),
        ("generator < 90%", "`generator` needs a figure"),
        (
            "generator[x].busy < 90%",
            "`generator` has no name in brackets",
        ),
        (
            "generator.idle < 90%",
            "unknown figure \"idle\" of `generator`",
        ),
        ("generator.busy < 0.9", "compared with a %"),
        ("generator.peak < 1s", "compared with a %"),
    ] {
        let error = refused(text);
        assert!(error.contains(reason), "{text}: {error}");
    }
}
