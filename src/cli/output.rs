//! Pure formatting: everything the command line prints is built here as plain strings (with ANSI
//! colour only when asked), so it is testable without a terminal.

use std::error::Error as StdError;
use std::fmt::Write as _;

/// How output is drawn: with or without colour, progress bars or plain lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mode {
    /// ANSI colours on standard output (diffs, status).
    pub color: bool,
    /// Live progress bars on standard error; otherwise one plain line per event.
    pub bars: bool,
}

impl Mode {
    /// Plain lines, no colour: what pipes, files and CI get.
    pub const PLAIN: Mode = Mode {
        color: false,
        bars: false,
    };

    /// Decides from the environment: colour when standard output is a terminal; bars (drawn on
    /// standard error) when both standard output and standard error are, so that `| tee log`
    /// keeps every event as a line; neither when `CI` is set or `TERM=dumb`; no colour when
    /// `NO_COLOR` is set (<https://no-color.org>).
    ///
    /// ```
    /// use kubeprint::cli::Mode;
    /// assert_eq!(Mode::from_env(true, true, |v| (v == "CI").then(|| "true".into())), Mode::PLAIN);
    /// assert_eq!(Mode::from_env(true, false, |_| None), Mode { color: true, bars: false });
    /// ```
    pub fn from_env(
        stdout_tty: bool,
        stderr_tty: bool,
        var: impl Fn(&str) -> Option<String>,
    ) -> Mode {
        let set = |name: &str| var(name).is_some_and(|v| !v.is_empty());
        let interactive = !set("CI") && var("TERM").as_deref() != Some("dumb");
        Mode {
            color: interactive && stdout_tty && !set("NO_COLOR"),
            bars: interactive && stdout_tty && stderr_tty,
        }
    }

    /// [`Mode::from_env`] for this process.
    pub fn detect() -> Mode {
        use std::io::IsTerminal;
        Mode::from_env(
            std::io::stdout().is_terminal(),
            std::io::stderr().is_terminal(),
            |name| std::env::var(name).ok(),
        )
    }
}

/// ANSI colours used by the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Color {
    Red,
    Green,
    Yellow,
    Cyan,
    Bold,
    Dim,
}

/// `text` in `color` when `enabled`, else `text` unchanged.
pub(crate) fn paint(enabled: bool, color: Color, text: &str) -> String {
    if !enabled || text.is_empty() {
        return text.to_owned();
    }
    let code = match color {
        Color::Red => "31",
        Color::Green => "32",
        Color::Yellow => "33",
        Color::Cyan => "36",
        Color::Bold => "1",
        Color::Dim => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// An error and its causes, one per line: `error: …` then `  caused by: …` for each source
/// whose message is not already part of the one before it (many errors repeat their source's
/// text). Multi-line messages are indented under their first line. Never a `Debug` dump.
///
/// ```
/// use kubeprint::cli::error_chain;
/// let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
/// let e = kubeprint::Error::Io { path: "conf/app.ini".into(), source: io };
/// // The Io error's message already contains its source's, so no "caused by" repeats it.
/// assert_eq!(error_chain(&e), "error: reading conf/app.ini: no such file\n");
/// ```
pub fn error_chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = String::new();
    let mut previous = err.to_string();
    push_indented(&mut out, "error: ", &previous);
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !previous.contains(&text) {
            push_indented(&mut out, "  caused by: ", &text);
        }
        previous = text;
        source = cause.source();
    }
    out
}

fn push_indented(out: &mut String, prefix: &str, text: &str) {
    let pad = " ".repeat(prefix.len());
    for (i, line) in text.lines().enumerate() {
        out.push_str(if i == 0 { prefix } else { &pad });
        out.push_str(line);
        out.push('\n');
    }
    if text.is_empty() {
        out.push_str(prefix.trim_end());
        out.push('\n');
    }
}

/// How kubectl names an object in its output: `deployment.apps/kuard`, `service/kuard`
/// (lower-case kind, then the API group unless it is the core group).
///
/// ```
/// assert_eq!(kubeprint::cli::object_label("Deployment", "apps", "kuard"), "deployment.apps/kuard");
/// assert_eq!(kubeprint::cli::object_label("Service", "", "kuard"), "service/kuard");
/// ```
pub fn object_label(kind: &str, group: &str, name: &str) -> String {
    let kind = kind.to_ascii_lowercase();
    if group.is_empty() {
        format!("{kind}/{name}")
    } else {
        format!("{kind}.{group}/{name}")
    }
}

/// Colours a unified diff for a terminal: headers bold, hunks cyan, removals red, additions
/// green. Without colour the text is returned unchanged.
///
/// ```
/// let diff = "--- live\n+++ planned\n@@ -1 +1 @@\n-replicas: 1\n+replicas: 3\n";
/// assert_eq!(kubeprint::cli::color_diff(diff, false), diff);
/// assert!(kubeprint::cli::color_diff(diff, true).contains("\x1b[32m+replicas: 3\x1b[0m"));
/// ```
pub fn color_diff(diff: &str, color: bool) -> String {
    if !color {
        return diff.to_owned();
    }
    let mut out = String::with_capacity(diff.len() + diff.len() / 4);
    for line in diff.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let styled =
            if body.starts_with("+++") || body.starts_with("---") || body.starts_with("diff ") {
                paint(true, Color::Bold, body)
            } else if body.starts_with("@@") {
                paint(true, Color::Cyan, body)
            } else if body.starts_with('+') {
                paint(true, Color::Green, body)
            } else if body.starts_with('-') {
                paint(true, Color::Red, body)
            } else {
                body.to_owned()
            };
        out.push_str(&styled);
        out.push_str(newline);
    }
    out
}

/// Rows of a table, left-aligned in columns separated by three spaces, like `kubectl get`.
/// The first row is the header.
///
/// ```
/// let t = kubeprint::cli::table(&[vec!["NAME".into(), "READY".into()], vec!["deployment.apps/kuard".into(), "3/3".into()]]);
/// assert_eq!(t, "NAME                    READY\ndeployment.apps/kuard   3/3\n");
/// ```
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}   ", width = widths[c]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct E(&'static str, Option<Box<E>>);
    impl std::fmt::Display for E {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl StdError for E {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn error_chain_lists_causes_once() {
        let e = E(
            "applying deployment \"web\"",
            Some(Box::new(E(
                "connection refused",
                Some(Box::new(E("os error 111", None))),
            ))),
        );
        assert_eq!(
            error_chain(&e),
            "error: applying deployment \"web\"\n  caused by: connection refused\n  caused by: os error 111\n"
        );
        let repeated = E("reading x: not found", Some(Box::new(E("not found", None))));
        assert_eq!(error_chain(&repeated), "error: reading x: not found\n");
    }

    #[test]
    fn error_chain_indents_multi_line_messages() {
        let e = kubeprint_invalid();
        assert_eq!(
            error_chain(&e),
            "error: deployment \"web\": spec.replicas: must be >= 0, got -1\n       \
             service \"web\": spec.ports[0].port: must be between 1 and 65535, got 0\n"
        );
        assert!(!error_chain(&e).contains("Invalid("), "never a Debug dump");
    }

    fn kubeprint_invalid() -> crate::Error {
        use crate::{ObjectRef, Violation};
        crate::Error::Invalid(vec![
            Violation::new(
                ObjectRef::new("Deployment", "web"),
                "spec.replicas",
                "must be >= 0, got -1",
            ),
            Violation::new(
                ObjectRef::new("Service", "web"),
                "spec.ports[0].port",
                "must be between 1 and 65535, got 0",
            ),
        ])
    }

    #[test]
    fn mode_detection() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(
            Mode::from_env(true, true, env(&[])),
            Mode {
                color: true,
                bars: true
            }
        );
        assert_eq!(Mode::from_env(false, false, env(&[])), Mode::PLAIN);
        // Piped output (`| tee log`) keeps plain lines even when standard error is a terminal.
        assert_eq!(Mode::from_env(false, true, env(&[])), Mode::PLAIN);
        assert_eq!(
            Mode::from_env(true, true, env(&[("CI", "true")])),
            Mode::PLAIN
        );
        assert_eq!(
            Mode::from_env(true, true, env(&[("CI", "")])),
            Mode {
                color: true,
                bars: true
            }
        );
        assert_eq!(
            Mode::from_env(true, true, env(&[("TERM", "dumb")])),
            Mode::PLAIN
        );
        assert_eq!(
            Mode::from_env(true, true, env(&[("NO_COLOR", "1")])),
            Mode {
                color: false,
                bars: true
            }
        );
    }

    #[test]
    fn diff_colours_each_kind_of_line() {
        let diff = "--- a\n+++ b\n@@ -1,2 +1,2 @@\n context\n-old\n+new";
        let colored = color_diff(diff, true);
        assert_eq!(
            colored,
            "\x1b[1m--- a\x1b[0m\n\x1b[1m+++ b\x1b[0m\n\x1b[36m@@ -1,2 +1,2 @@\x1b[0m\n context\n\x1b[31m-old\x1b[0m\n\x1b[32m+new\x1b[0m"
        );
        assert_eq!(paint(true, Color::Red, ""), "");
        assert_eq!(paint(false, Color::Red, "x"), "x");
    }

    #[test]
    fn tables_align_and_trim() {
        let rows = vec![
            vec!["A".to_owned(), "LONG HEADER".to_owned(), "C".to_owned()],
            vec!["long value".to_owned(), "b".to_owned(), "".to_owned()],
        ];
        assert_eq!(
            table(&rows),
            "A            LONG HEADER   C\nlong value   b\n"
        );
        assert_eq!(table(&[]), "");
    }
}
