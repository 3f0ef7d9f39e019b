//! What `Runner::new` refuses, and what it only warns about.

use molotov_core::{Error, Fixture, Mode, Notice, Plan, RunConfig, Runner, Shutdown};

use crate::support::{Log, config, drain, logged, noop};

/// The error `Runner::new` returns for `plan`.
fn refused(plan: Plan, config: RunConfig) -> Error {
    match Runner::new(plan, config) {
        Ok(_) => panic!("the plan was accepted"),
        Err(e) => e,
    }
}

#[test]
fn a_plan_without_scenarios_is_refused() {
    assert!(matches!(
        refused(Plan::new(), RunConfig::default()),
        Error::NoScenario
    ));
    let only_weightless = Plan::new().scenario(noop("a").weight(0));
    assert!(matches!(
        refused(only_weightless, RunConfig::default()),
        Error::NoScenario
    ));
}

#[test]
fn duplicate_scenario_names_are_refused() {
    let plan = Plan::new()
        .scenario(noop("b"))
        .scenario(noop("a"))
        .scenario(noop("b"));
    let err = refused(plan, RunConfig::default());
    assert!(
        matches!(&err, Error::DuplicateScenario { name } if name == "b"),
        "{err:?}"
    );
    assert!(err.to_string().contains("\"b\""), "{err}");
}

#[test]
fn a_fixture_given_twice_is_refused() {
    let plan = Plan::new()
        .scenario(noop("a"))
        .teardown(|_| Ok(()))
        .teardown(|_| Ok(()));
    let err = refused(plan, RunConfig::default());
    assert!(
        matches!(
            err,
            Error::DuplicateFixture {
                fixture: Fixture::Teardown
            }
        ),
        "{err:?}"
    );

    // Also when two plans are merged.
    let extension = Plan::new().setup(|_, _| async { Ok(None) });
    let plan = Plan::new()
        .scenario(noop("a"))
        .setup(|_, _| async { Ok(None) })
        .merge(extension);
    let err = refused(plan, RunConfig::default());
    assert!(
        matches!(
            err,
            Error::DuplicateFixture {
                fixture: Fixture::Setup
            }
        ),
        "{err:?}"
    );
}

#[test]
fn an_unknown_single_scenario_is_refused_with_the_known_names() {
    let plan = Plan::new().scenario(noop("zeta")).scenario(noop("alpha"));
    let config = RunConfig {
        mode: Mode::Single("nope".into()),
        ..RunConfig::default()
    };
    let err = refused(plan, config);
    let Error::UnknownScenario { name, known } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(name, "nope");
    assert_eq!(known, "alpha, zeta");
    assert!(err.to_string().contains("alpha, zeta"), "{err}");
}

#[tokio::test]
async fn a_weight_zero_scenario_is_left_out_with_a_warning() {
    let log = Log::default();
    let plan = Plan::new()
        .scenario(logged("kept", &log))
        .scenario(logged("ignored", &log).weight(0));
    let mut runner = Runner::new(plan, config(1, 20)).unwrap();
    assert_eq!(runner.scenario_names(), ["kept"]);
    let notices = runner.take_notices().unwrap();
    assert!(runner.take_notices().is_none(), "notices are taken once");
    let summary = runner.run(Shutdown::new()).await.unwrap();

    assert_eq!(log.count("kept 0"), 20);
    assert_eq!(log.count("ignored 0"), 0);
    assert!(!summary.report.scenarios.contains_key("ignored"));
    let warnings: Vec<String> = drain(&notices)
        .into_iter()
        .filter_map(|n| match n {
            Notice::Warning(w) => Some(w),
            _ => None,
        })
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("\"ignored\""), "{warnings:?}");
}
