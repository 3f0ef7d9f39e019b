use super::*;

fn options(given: &[&str]) -> crate::ExportOptions {
    let mut argv = vec!["molotov"];
    argv.extend_from_slice(given);
    crate::Args::parse_from_argv(argv).unwrap().args.export
}

fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

#[test]
fn nothing_asked_is_no_export() {
    assert!(
        ExportConfig::new(&options(&[]), false, env(&[]))
            .unwrap()
            .is_none()
    );
}

#[test]
fn otlp_gets_its_path_and_reads_the_standard_variables() {
    let given = options(&["--otlp", "http://collector:4318", "--run-id", "r-1"]);
    let config = ExportConfig::new(&given, false, env(&[])).unwrap().unwrap();
    let otlp = config.otlp.unwrap();
    assert_eq!(otlp.url.as_str(), "http://collector:4318/v1/metrics");
    assert_eq!((config.run_id.as_str(), config.run_id_made), ("r-1", false));
    assert_eq!(config.interval, Duration::from_secs(5));

    let vars = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otel.example:4318"),
        ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=ci"),
        ("OTEL_SERVICE_NAME", "checkout-load"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20x"),
    ];
    let config = ExportConfig::new(&options(&["--otlp", "env"]), true, env(&vars))
        .unwrap()
        .unwrap();
    let otlp = config.otlp.unwrap();
    assert_eq!(otlp.url.as_str(), "https://otel.example:4318/v1/metrics");
    assert_eq!(otlp.service, "checkout-load");
    assert_eq!(
        otlp.attributes,
        [("deployment.environment".into(), "ci".into())]
    );
    assert_eq!(otlp.headers, [("authorization".into(), "Bearer x".into())]);
    assert!(config.run_id_made && config.open);

    // The signal's own endpoint is used as it is.
    let vars = [(
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
        "http://c:4318/custom",
    )];
    let config = ExportConfig::new(&options(&["--otlp", "env"]), false, env(&vars))
        .unwrap()
        .unwrap();
    assert_eq!(config.otlp.unwrap().url.as_str(), "http://c:4318/custom");
    let bad = [("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")];
    assert!(ExportConfig::new(&options(&["--otlp", "env"]), false, env(&bad)).is_err());
}

#[test]
fn bad_urls_and_run_ids_are_usage_errors() {
    for argv in [
        ["--prometheus-write", "prometheus:9090"],
        ["--prometheus-write", "ftp://x/api/v1/write"],
        ["--otlp", "not a url"],
        ["--run-id", "a b"],
        ["--export-interval", "0"],
    ] {
        let mut full = vec!["molotov"];
        full.extend_from_slice(&argv);
        assert!(crate::Args::parse_from_argv(full).is_err(), "{argv:?}");
    }
}

#[test]
fn outcomes_of_processes_add_up_by_target() {
    let one = PushOutcome {
        target: "OTLP x".into(),
        pushes: 3,
        failed: 1,
        last_error: Some("HTTP 500".into()),
    };
    let mut all = vec![one.clone()];
    PushOutcome::absorb(
        &mut all,
        &[
            one.clone(),
            PushOutcome {
                target: "other".into(),
                ..one
            },
        ],
    );
    assert_eq!((all[0].pushes, all[0].failed, all.len()), (6, 2, 2));
    let config = ExportConfig::new(&options(&["--otlp", "http://x/"]), false, env(&[]))
        .unwrap()
        .unwrap();
    let text = summary(&config, &all);
    assert!(
        text.contains("OTLP x: 6 pushes, 2 failed (last: HTTP 500)"),
        "{text}"
    );
}
