//! `--junit FILE`: the run as `JUnit` XML, the format CI servers import: one `<testsuite>`,
//! one `<testcase>` per threshold (a `<failure>` with the measured value when it failed)
//! and one per scenario (failing when some of its runs failed).

use std::fmt::Write as _;
use std::time::Duration;

use molotov_core::stats::Report;

use crate::threshold::Verdict;

/// The document.
pub(crate) fn render(
    report: &Report,
    verdicts: &[Verdict],
    elapsed: Duration,
    title: &str,
) -> String {
    let mut cases = String::new();
    let mut failures = 0;
    let time = elapsed.as_secs_f64();
    for v in verdicts {
        let _ = writeln!(
            cases,
            "    <testcase classname=\"molotov.thresholds\" name=\"{}\" time=\"0\">",
            escape(&v.expression)
        );
        if !v.passed {
            failures += 1;
            let message = if v.no_data {
                format!("no data: nothing was measured for {}", v.expression)
            } else {
                format!("measured {}, expected {}", v.shown, v.limit)
            };
            let _ = writeln!(
                cases,
                "      <failure message=\"{}\" type=\"threshold\">{}</failure>",
                escape(&message),
                escape(&message)
            );
        }
        cases.push_str("    </testcase>\n");
    }
    for (name, e) in &report.scenarios {
        let _ = writeln!(
            cases,
            "    <testcase classname=\"molotov.scenarios\" name=\"{}\" time=\"{time:.3}\">",
            escape(name)
        );
        if e.failures > 0 {
            failures += 1;
            let message = format!("{} of {} runs failed", e.failures, e.total());
            let detail = e.main_error().unwrap_or_default();
            let _ = writeln!(
                cases,
                "      <failure message=\"{}\" type=\"scenario\">{}</failure>",
                escape(&message),
                escape(&detail)
            );
        }
        let _ = writeln!(
            cases,
            "      <system-out>{} successes, {} failures</system-out>\n    </testcase>",
            e.successes, e.failures
        );
    }
    let tests = verdicts.len() + report.scenarios.len();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <testsuites name=\"molotov\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{time:.3}\">\n  \
         <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{time:.3}\">\n\
         {cases}  </testsuite>\n</testsuites>\n",
        escape(title)
    )
}

/// Text as XML character data or an attribute value; characters XML 1.0 cannot hold at all
/// (most control characters) become U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_xml_cannot_hold() {
        assert_eq!(
            escape("a<b>&\"c'\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{fffd}"
        );
    }

    #[test]
    fn one_case_per_threshold_and_scenario() {
        let mut stats = molotov_core::stats::Stats::new(&["ok", "bad"]);
        stats.scenario_success(0, Duration::from_millis(1));
        stats.scenario_failure(1, "AssertionError", Duration::from_millis(1), || {
            "<boom>".into()
        });
        let verdicts = [Verdict {
            expression: "failures < 1%".into(),
            value: Some(0.5),
            shown: "50 %".into(),
            limit: "< 1 %".into(),
            passed: false,
            no_data: false,
            abort: false,
        }];
        let xml = render(&stats.report(), &verdicts, Duration::from_secs(2), "t.py");
        assert!(xml.contains("tests=\"3\" failures=\"2\""), "{xml}");
        assert!(xml.contains("measured 50 %, expected &lt; 1 %"), "{xml}");
        assert!(xml.contains("1 of 1 runs failed"), "{xml}");
        assert!(xml.contains("AssertionError: &lt;boom&gt;"), "{xml}");
    }
}
