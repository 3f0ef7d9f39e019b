//! Drawing the [`Board`]: Molotov's layout (worker activity on the left, errors on the right, the
//! footer of counters) with, below the panes, the rate of runs over time, the status codes seen
//! and a table per scenario with its rate and latency percentiles.

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Sparkline, Table};

use unicode_width::UnicodeWidthChar as _;

use super::board::Board;
use crate::percentiles::Percentiles;
use crate::render;

/// Draws the whole dashboard.
pub(crate) fn draw(frame: &mut Frame<'_>, board: &Board) {
    let scenarios = board
        .report
        .as_ref()
        .map_or(0, |(report, _)| report.scenarios.len());
    let table_height = u16::try_from(scenarios.min(8)).unwrap_or(8) + 3;
    let failing = u16::from(board.failing.is_some());
    let thresholds = u16::from(board.thresholds.is_some());
    let sockets = websockets_line(board);
    let [
        title,
        failing_line,
        thresholds_line,
        sockets_line,
        panes,
        middle,
        table,
        footer,
    ] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Length(failing),
            Constraint::Length(thresholds),
            Constraint::Length(u16::from(sockets.is_some())),
            Constraint::Min(6),
            Constraint::Length(7),
            Constraint::Length(table_height),
            Constraint::Length(1),
        ])
        .areas(frame.area());
    frame.render_widget(title_line(board), title);
    if let Some(text) = &board.failing {
        let style = Style::default().fg(Color::White).bg(Color::Red);
        frame.render_widget(
            Paragraph::new(Span::styled(text.clone(), style)),
            failing_line,
        );
    }
    if let Some((text, ok)) = &board.thresholds {
        let color = if *ok { Color::Green } else { Color::LightRed };
        let style = Style::default().fg(color);
        frame.render_widget(
            Paragraph::new(Span::styled(text.clone(), style)),
            thresholds_line,
        );
    }
    if let Some(text) = sockets {
        frame.render_widget(Paragraph::new(text), sockets_line);
    }
    let [activity, errors] = halves(panes);
    let plain = Style::default();
    frame.render_widget(
        pane("Workers", &board.activity, activity, plain, false),
        activity,
    );
    // Errors are read in full: long ones wrap.
    let red = Style::default().fg(Color::LightRed);
    frame.render_widget(pane("Errors", &board.errors, errors, red, true), errors);
    let [rate, statuses] = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(65), Constraint::Percentage(35)])
        .areas(middle);
    draw_rate(frame, board, rate);
    frame.render_widget(status_codes(board), statuses);
    frame.render_widget(scenario_table(board), table);
    frame.render_widget(footer_line(board), footer);
}

fn halves(area: Rect) -> [Rect; 2] {
    Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
        .areas(area)
}

fn title_line(board: &Board) -> Paragraph<'static> {
    let mut spans = vec![
        Span::styled(
            format!("Molotov v{}", env!("CARGO_PKG_VERSION")),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Span::raw(" ~ Happy Breaking ~ "),
        Span::styled(
            "Ctrl+C to abort",
            Style::default().add_modifier(Modifier::ITALIC),
        ),
    ];
    if board.stopping {
        spans.push(Span::styled(
            "  stopping: scenarios in flight finish (Ctrl+C again to cancel them)",
            Style::default().fg(Color::Yellow),
        ));
    }
    Paragraph::new(Line::from(spans))
}

/// A pane showing the last lines that fit (long lines cut, or wrapped when `wrap`).
fn pane<'a>(
    title: &'a str,
    lines: &'a std::collections::VecDeque<String>,
    area: Rect,
    style: Style,
    wrap: bool,
) -> Paragraph<'a> {
    let visible = usize::from(area.height.saturating_sub(2));
    let width = usize::from(area.width.saturating_sub(2)).max(1);
    let mut shown: Vec<Line<'a>> = Vec::with_capacity(visible);
    'lines: for line in lines.iter().rev() {
        let pieces = if wrap {
            wrapped(line, width)
        } else {
            vec![line.as_str()]
        };
        for piece in pieces.into_iter().rev() {
            if shown.len() == visible {
                break 'lines;
            }
            shown.push(Line::from(Span::styled(piece, style)));
        }
    }
    shown.reverse();
    Paragraph::new(shown).block(Block::default().borders(Borders::ALL).title(title))
}

/// `text` cut into pieces at most `width` columns wide.
fn wrapped(text: &str, width: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (at, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > width && at > start {
            pieces.push(&text[start..at]);
            (start, used) = (at, 0);
        }
        used += w;
    }
    pieces.push(&text[start..]);
    pieces
}

fn draw_rate(frame: &mut Frame<'_>, board: &Board, area: Rect) {
    let width = usize::from(area.width.saturating_sub(2));
    let data: Vec<u64> = board
        .rates
        .iter()
        .skip(board.rates.len().saturating_sub(width))
        .copied()
        .collect();
    let peak = data.iter().copied().max().unwrap_or(0);
    let title = format!("Runs per second: {} (peak {peak})", board.current_rate());
    let sparkline = Sparkline::default()
        .block(Block::default().borders(Borders::ALL).title(title))
        .data(&data)
        .style(Style::default().fg(Color::Cyan));
    frame.render_widget(sparkline, area);
}

/// Status codes (and error kinds) of every request so far.
fn status_codes(board: &Board) -> Paragraph<'static> {
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    if let Some((report, _)) = &board.report {
        for entry in report.requests.values() {
            for (status, n) in &entry.statuses {
                *seen.entry(status.clone()).or_default() += n;
            }
            for (kind, n) in &entry.errors {
                *seen.entry(kind.clone()).or_default() += n;
            }
        }
    }
    let lines: Vec<Line<'static>> = seen
        .into_iter()
        .map(|(what, n)| {
            let color = match what.as_bytes().first() {
                Some(b'2') => Color::Green,
                Some(b'3') => Color::Cyan,
                Some(b'4') => Color::Yellow,
                _ => Color::LightRed,
            };
            Line::from(vec![
                Span::styled(format!("{what:>9}"), Style::default().fg(color)),
                Span::raw(format!("  {n}")),
            ])
        })
        .collect();
    Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title("Responses"))
}

fn scenario_table(board: &Board) -> Table<'static> {
    let percentiles = board.percentiles.values();
    let titles = ["scenario", "runs", "ok", "failed", "rate/s"].map(str::to_owned);
    let latency_titles = percentiles
        .iter()
        .map(|&p| Percentiles::label(p))
        .chain(["max".to_owned()]);
    let header = Row::new(titles.into_iter().chain(latency_titles).collect::<Vec<_>>())
        .style(Style::default().add_modifier(Modifier::BOLD));
    let rows: Vec<Row<'static>> = board
        .report
        .as_ref()
        .map(|(report, elapsed)| {
            report
                .scenarios
                .iter()
                .map(|(name, e)| {
                    let mut cells = vec![
                        name.clone(),
                        e.total().to_string(),
                        e.successes.to_string(),
                        e.failures.to_string(),
                        format!("{:.1}", e.rate(*elapsed)),
                    ];
                    cells.extend(render::latency_cells(&e.latency, &board.percentiles));
                    Row::new(cells)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut widths = vec![
        Constraint::Min(16),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Length(8),
        Constraint::Length(10),
    ];
    widths.extend((0..=percentiles.len()).map(|_| Constraint::Length(8)));
    Table::new(rows, widths)
        .header(header)
        .block(Block::default().borders(Borders::ALL).title("Scenarios"))
}

/// `WEBSOCKETS  chat: 12 opened, 340 sent, 338 received, 1 failed`, when the run has any.
fn websockets_line(board: &Board) -> Option<String> {
    let (report, _) = board.report.as_ref()?;
    if report.websockets.is_empty() {
        return None;
    }
    let parts: Vec<String> = report
        .websockets
        .iter()
        .map(|(name, s)| {
            format!(
                "{name}: {} opened, {} sent, {} received, {} failed",
                s.opened,
                s.sent,
                s.received,
                s.failed()
            )
        })
        .collect();
    Some(format!("WEBSOCKETS  {}", parts.join(" | ")))
}

fn footer_line(board: &Board) -> Paragraph<'static> {
    let grey = Color::Rgb(0xce, 0xce, 0xce);
    let arrivals = board
        .arrivals
        .as_ref()
        .map(|text| Span::styled(format!(" {text}"), Style::default().fg(Color::Magenta)));
    let generator = board
        .generator
        .as_ref()
        .map(|text| Span::styled(format!(" {text}"), Style::default().fg(Color::Red)));
    let spans: Vec<Span<'static>> = [
        Span::styled(
            format!("SUCCESS: {} ", board.successes),
            Style::default().fg(Color::Green).bg(grey),
        ),
        Span::styled(
            format!(" FAILED: {} ", board.failures),
            Style::default().fg(Color::Red).bg(grey),
        ),
        Span::raw(format!(" WORKERS: {}", board.workers)),
        Span::raw(format!(" PROCESSES: {} ", board.processes)),
        Span::styled(
            format!(" ELAPSED: {}", render::elapsed(board.elapsed)),
            Style::default().fg(Color::Blue).bg(grey),
        ),
    ]
    .into_iter()
    .chain(arrivals)
    .chain(generator)
    .collect();
    Paragraph::new(Line::from(spans))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use molotov_core::stats::{EntryReport, Report};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::lines::Line as TextLine;

    fn screen(board: &Board, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|frame| draw(frame, board)).unwrap();
        let buffer = terminal.backend().buffer();
        let mut text = String::new();
        for y in 0..buffer.area.height {
            for x in 0..buffer.area.width {
                text.push_str(buffer[(x, y)].symbol());
            }
            text.push('\n');
        }
        text
    }

    fn board() -> Board {
        let mut board = Board::new(2, Percentiles::default());
        board.successes = 1234;
        board.failures = 56;
        board.workers = 10;
        board.elapsed = Duration::from_millis(65_200);
        board.push_lines(vec![
            TextLine {
                text: "[P:7] [W:3] Ran 120 scenarios".into(),
                error: false,
                printed: false,
            },
            TextLine {
                text: "[W:1] Failure! home: AssertionError: status <500> & co".into(),
                error: true,
                printed: false,
            },
        ]);
        for total in [100, 250, 400] {
            board.sample_second(total, 0);
        }
        let mut report = Report::default();
        let mut home = EntryReport {
            successes: 1234,
            failures: 56,
            ..EntryReport::default()
        };
        home.latency.record(Duration::from_millis(3));
        report.scenarios.insert("home".into(), home);
        let mut get = EntryReport::default();
        get.statuses.insert("200".into(), 1200);
        get.statuses.insert("500".into(), 56);
        get.errors.insert("connect".into(), 3);
        report.requests.insert("GET /".into(), get);
        board.report = Some((std::sync::Arc::new(report), Duration::from_secs(65)));
        board
    }

    #[test]
    fn every_panel_shows_its_figures() {
        let text = screen(&board(), 120, 40);
        for expected in [
            "Molotov v",
            "Ctrl+C to abort",
            "[P:7] [W:3] Ran 120 scenarios",
            "Runs per second: 150 (peak 150)",
            "200  1200",
            "500  56",
            "connect  3",
            "home",
            "3.00ms",
            "SUCCESS: 1234",
            "FAILED: 56",
            "WORKERS: 10",
            "PROCESSES: 2",
            "ELAPSED: 1 minute and 5.20 seconds",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from\n{text}");
        }
    }

    #[test]
    fn websockets_show_on_a_line_of_their_own() {
        let mut board = board();
        let mut report = molotov_core::stats::Report::default();
        report.websockets.insert(
            "chat".into(),
            molotov_core::stats::SocketReport {
                opened: 3,
                sent: 12,
                received: 11,
                ..Default::default()
            },
        );
        board.report = Some((std::sync::Arc::new(report), Duration::from_secs(1)));
        let text = screen(&board, 120, 40);
        assert!(
            text.contains("WEBSOCKETS  chat: 3 opened, 12 sent, 11 received, 0 failed"),
            "{text}"
        );
    }

    #[test]
    fn thresholds_show_on_a_line_of_their_own() {
        let mut board = board();
        let (line, ok) = super::super::thresholds_line(&[crate::threshold::Verdict {
            expression: "failures < 1%".into(),
            value: Some(0.02),
            shown: "2 %".into(),
            limit: "< 1 %".into(),
            passed: false,
            no_data: false,
            abort: false,
        }]);
        assert!(!ok);
        board.thresholds = Some((line, ok));
        let text = screen(&board, 100, 40);
        assert!(text.contains("THRESHOLDS  ✗ failures < 1% (2 %)"), "{text}");
        board.thresholds = Some(super::super::thresholds_line(&[]));
        let text = screen(&board, 100, 40);
        assert!(text.contains("THRESHOLDS: evaluated every 2 s"), "{text}");
    }

    #[test]
    fn the_open_model_shows_its_rate_in_the_footer() {
        let mut board = board();
        assert!(!screen(&board, 160, 40).contains("RATE:"), "closed model");
        board.arrivals = Some("RATE: 198/s of 200/s | LATE: 12".into());
        let text = screen(&board, 160, 40);
        assert!(text.contains("RATE: 198/s of 200/s | LATE: 12"), "{text}");
        board.generator = Some("GENERATOR: 97% busy".into());
        let text = screen(&board, 160, 40);
        assert!(text.contains("LATE: 12 GENERATOR: 97% busy"), "{text}");
    }

    #[test]
    fn errors_are_text_whatever_characters_they_hold() {
        let text = screen(&board(), 160, 30);
        assert!(text.contains("status <500> & co"), "{text}");
    }

    #[test]
    fn long_errors_wrap_and_the_newest_lines_show() {
        let mut board = board();
        let long = format!("[W:2] Failure! {}THE-END", "x".repeat(150));
        board.push_lines(vec![TextLine {
            text: long,
            error: true,
            printed: false,
        }]);
        let text = screen(&board, 120, 40);
        assert!(text.contains("THE-END"), "{text}");
        assert!(text.contains("[W:2] Failure! xxx"), "{text}");
        // Older lines make room: the pane never overflows its border.
        for n in 0..100 {
            board.push_lines(vec![TextLine {
                text: format!("error number {n}"),
                error: true,
                printed: false,
            }]);
        }
        let text = screen(&board, 120, 40);
        assert!(text.contains("error number 99"), "{text}");
        assert!(!text.contains("error number 0 "), "{text}");
    }

    #[test]
    fn wrapping_counts_columns_not_bytes() {
        assert_eq!(wrapped("abcdef", 4), ["abcd", "ef"]);
        assert_eq!(wrapped("", 4), [""]);
        // Wide characters take two columns each.
        assert_eq!(wrapped("日本語です", 4), ["日本", "語で", "す"]);
    }

    #[test]
    fn a_stopping_run_says_so_and_a_tiny_terminal_still_draws() {
        let mut board = board();
        board.stopping = true;
        assert!(screen(&board, 160, 30).contains("stopping"));
        let _ = screen(&board, 20, 8);
    }
}
