//! The command line's arguments, parsed by clap.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::time::Duration;

/// The arguments every kubeprint program understands.
///
/// Parsed from the process arguments by [`run`](super::run); public so that programs can embed
/// them in a larger clap parser (`#[command(flatten)]`) or inspect them.
///
/// ```
/// use clap::Parser;
/// use kubeprint::cli::{Cli, Command};
/// let cli = Cli::try_parse_from(["app", "-n", "staging", "apply", "--wait", "--timeout", "2m"])?;
/// assert_eq!(cli.global.namespace.as_deref(), Some("staging"));
/// let Some(Command::Apply(apply)) = cli.command else { unreachable!() };
/// assert!(apply.wait);
/// assert_eq!(apply.timeout, std::time::Duration::from_secs(120));
/// # Ok::<(), clap::Error>(())
/// ```
#[derive(Clone, Debug, Parser)]
#[command(
    about = "Render, diff, apply and delete this program's Kubernetes objects.",
    long_about = "Render, diff, apply and delete this program's Kubernetes objects.\n\n\
                  With no command, prints the objects as YAML (no cluster needed).",
    after_help = "Exit status: 0 success; 1 failure (diff: differences found; status: not \
                  everything is ready); 2 bad arguments (diff and status: also failure)."
)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: Global,
    /// What to do; `None` renders YAML.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options shared by every command, accepted before or after the command name.
#[derive(Clone, Debug, Default, Args)]
pub struct Global {
    /// Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// The kubeconfig context to use (default: the current context).
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Namespace for every namespaced object that does not set one (default: the context's
    /// namespace, then `default`; `render` leaves such objects without one).
    #[arg(short, long, global = true, value_name = "NAME")]
    pub namespace: Option<String>,
    /// Field manager name for server-side apply.
    #[arg(long, global = true, value_name = "NAME", default_value = "kubeprint")]
    pub field_manager: String,
    /// A file holding the seed every generate-once value is derived from, so that `render`
    /// prints the same values on every run (default: $KUBEPRINT_SEED_FILE, then the value of
    /// $KUBEPRINT_SEED; without a seed, generated values are new on every run). Keep it out of
    /// the program and its repository. `apply` keeps live values, seed or not.
    #[arg(long, global = true, value_name = "PATH")]
    pub seed_file: Option<std::path::PathBuf>,
    /// Where the ApplySet of a bundle spanning several namespaces lives (default: the bundle's
    /// target namespace; for a bundle without one, the namespace all its objects are in, else
    /// `--namespace`).
    #[arg(long, global = true, value_name = "NAME")]
    pub applyset_namespace: Option<String>,
}

/// A command.
#[derive(Clone, Debug, Subcommand)]
pub enum Command {
    /// Print the objects as YAML or JSON (no cluster needed). The default command.
    Render(Render),
    /// Show what `apply` would change, as a unified diff (secret values masked); without
    /// `--prune`, how many objects `apply --prune` would delete.
    ///
    /// Exit status 0: no differences, 1: differences, 2: error.
    Diff(Diff),
    /// Create or update the objects with server-side apply.
    Apply(Apply),
    /// Delete the objects, in reverse install order, and wait until they are gone.
    Delete(Delete),
    /// Show whether each object exists on the cluster, matches the program and is ready.
    ///
    /// Exit status 0: everything exists, is in sync and ready, 1: something is missing,
    /// differs, is in conflict or not ready, 2: error.
    Status(Status),
    /// Draw the objects and their relations as a Mermaid or Graphviz DOT graph.
    Graph(Graph),
}

/// `render` options.
#[derive(Clone, Debug, Default, Args)]
pub struct Render {
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = RenderFormat::Yaml)]
    pub format: RenderFormat,
    /// Replace every Secret value by `<redacted>` (keys stay): for reviewing or sharing the
    /// output, not for applying it.
    #[arg(long)]
    pub redact: bool,
}

/// `render --format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum RenderFormat {
    /// Multi-document YAML.
    #[default]
    Yaml,
    /// A JSON `v1` `List`.
    Json,
}

/// `diff` options.
#[derive(Clone, Debug, Default, Args)]
pub struct Diff {
    /// Also show the objects `apply --prune` would delete.
    #[arg(long)]
    pub prune: bool,
}

/// `apply` options.
#[derive(Clone, Debug, Args)]
pub struct Apply {
    /// Send everything with server-side dry-run: validate on the server, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Delete objects that an earlier apply of this program created and that are gone from it
    /// (an ApplySet, as `kubectl apply --prune --applyset` understands it).
    #[arg(long)]
    pub prune: bool,
    /// Wait until every object is ready, tier by tier.
    #[arg(long)]
    pub wait: bool,
    /// Give up waiting after this long (e.g. `90s`, `5m`, `1h30m`).
    #[arg(long, value_parser = parse_duration, default_value = "5m", value_name = "DURATION")]
    pub timeout: Duration,
    /// With `--wait`: how long a workload with a container without readiness probe must stay
    /// ready before it counts (a crash right after start is caught); `0s` turns it off.
    #[arg(long, value_parser = parse_duration, default_value = "5s", value_name = "DURATION")]
    pub settle: Duration,
    /// Take over fields owned by other field managers instead of failing on conflicts.
    #[arg(long)]
    pub force_conflicts: bool,
    /// Send every object's server-side apply, even those the live objects prove unchanged
    /// (by default those are skipped and reported "unchanged (skipped)").
    #[arg(long)]
    pub force_apply: bool,
    /// Delete and recreate objects whose immutable fields changed (a StatefulSet keeps its pods
    /// and volumes); without it such a change is an error.
    #[arg(long)]
    pub recreate: bool,
    /// Create the target namespace (`--namespace`) and the bundle's own if they do not exist.
    #[arg(long)]
    pub create_namespace: bool,
    /// With `--prune`, also delete members of the set in namespaces the program no longer has
    /// objects in (without it they are kept and listed).
    #[arg(long)]
    pub prune_other_namespaces: bool,
    /// With `--prune`, also delete CustomResourceDefinitions that left the program: that
    /// deletes every object of their kinds. Without it such CRDs are kept and listed.
    #[arg(long)]
    pub delete_crds: bool,
}

/// `status` options.
#[derive(Clone, Debug, Args)]
pub struct Status {
    /// How long to wait for objects that are not ready yet before reporting them as such.
    #[arg(long, value_parser = parse_duration, default_value = "2s", value_name = "DURATION")]
    pub timeout: Duration,
}

/// `delete` options.
#[derive(Clone, Debug, Args)]
pub struct Delete {
    /// Also delete PersistentVolumeClaims, including those StatefulSets created, and
    /// PersistentVolumes: the data is lost. Without it, claims and volumes are kept.
    #[arg(long)]
    pub delete_data: bool,
    /// Also delete the program's CustomResourceDefinitions, and with them every object of
    /// their kinds (whoever made them). Without it CRDs are kept and listed.
    #[arg(long)]
    pub delete_crds: bool,
    /// Give up waiting for objects to disappear after this long.
    #[arg(long, value_parser = parse_duration, default_value = "5m", value_name = "DURATION")]
    pub timeout: Duration,
}

/// `graph` options.
#[derive(Clone, Debug, Default, Args)]
pub struct Graph {
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
}

/// `graph --format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart (renders in GitHub and GitLab Markdown).
    #[default]
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

/// Parses a duration the way kubectl's `--timeout` does: a sequence of numbers with units
/// `ms`, `s`, `m`, `h` (`90s`, `5m`, `1h30m`, `1.5h`); a bare number means seconds.
///
/// ```
/// use kubeprint::cli::parse_duration;
/// use std::time::Duration;
/// assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
/// assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
/// assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
/// assert!(parse_duration("5 minutes").is_err());
/// ```
pub fn parse_duration(input: &str) -> Result<Duration, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(secs) = s.parse::<f64>() {
        return seconds(secs, input);
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_len == 0 {
            return Err(format!("{input:?} is not a duration like 90s, 5m or 1h30m"));
        }
        let number: f64 = rest[..number_len]
            .parse()
            .map_err(|_| format!("{input:?} is not a duration like 90s, 5m or 1h30m"))?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => {
                return Err(format!(
                    "{input:?}: a unit (ms, s, m, h) must follow {number}"
                ));
            }
            other => {
                return Err(format!(
                    "{input:?}: unknown unit {other:?} (use ms, s, m or h)"
                ));
            }
        };
        rest = &rest[unit_len..];
        total += number * scale;
    }
    seconds(total, input)
}

fn seconds(secs: f64, input: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(secs).map_err(|_| format!("{input:?} is not a valid duration"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("app").chain(args.iter().copied()))
    }

    #[test]
    fn no_arguments_means_render() {
        let cli = parse(&[]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.global.field_manager, "kubeprint");
    }

    #[test]
    fn global_options_before_or_after_the_command() {
        for args in [
            &[
                "--kubeconfig",
                "/k",
                "--context",
                "dev",
                "-n",
                "ns",
                "--field-manager",
                "me",
                "status",
            ][..],
            &[
                "status",
                "--kubeconfig",
                "/k",
                "--context",
                "dev",
                "--namespace",
                "ns",
                "--field-manager",
                "me",
            ],
        ] {
            let cli = parse(args).unwrap();
            assert_eq!(
                cli.global.kubeconfig.as_deref(),
                Some(std::path::Path::new("/k"))
            );
            assert_eq!(cli.global.context.as_deref(), Some("dev"));
            assert_eq!(cli.global.namespace.as_deref(), Some("ns"));
            assert_eq!(cli.global.field_manager, "me");
            assert!(matches!(cli.command, Some(Command::Status(_))));
        }
    }

    #[test]
    fn every_command_and_its_options() {
        let Some(Command::Render(r)) = parse(&["render", "--format", "json"]).unwrap().command
        else {
            panic!()
        };
        assert_eq!(r.format, RenderFormat::Json);
        let Some(Command::Render(r)) = parse(&["render", "-o", "yaml"]).unwrap().command else {
            panic!()
        };
        assert_eq!(r.format, RenderFormat::Yaml);
        let Some(Command::Diff(d)) = parse(&["diff", "--prune"]).unwrap().command else {
            panic!()
        };
        assert!(d.prune);
        let Some(Command::Apply(a)) = parse(&[
            "apply",
            "--dry-run",
            "--prune",
            "--wait",
            "--timeout",
            "90s",
            "--force-conflicts",
            "--force-apply",
        ])
        .unwrap()
        .command
        else {
            panic!()
        };
        assert!(a.dry_run && a.prune && a.wait && a.force_conflicts && a.force_apply);
        assert_eq!(a.timeout, Duration::from_secs(90));
        let Some(Command::Apply(a)) = parse(&["apply"]).unwrap().command else {
            panic!()
        };
        assert!(
            !a.dry_run
                && !a.prune
                && !a.wait
                && !a.force_conflicts
                && !a.force_apply
                && !a.recreate
                && !a.create_namespace
        );
        let Some(Command::Status(st)) = parse(&["status"]).unwrap().command else {
            panic!()
        };
        assert_eq!(st.timeout, Duration::from_secs(2));
        let Some(Command::Status(st)) = parse(&["status", "--timeout", "0s"]).unwrap().command
        else {
            panic!()
        };
        assert_eq!(st.timeout, Duration::ZERO);
        assert_eq!(a.timeout, Duration::from_secs(300));
        let Some(Command::Delete(d)) = parse(&["delete", "--delete-data"]).unwrap().command else {
            panic!()
        };
        assert!(d.delete_data);
        assert!(!d.delete_crds);
        let Some(Command::Delete(d)) = parse(&["delete", "--delete-crds"]).unwrap().command else {
            panic!()
        };
        assert!(d.delete_crds);
        let Some(Command::Graph(g)) = parse(&["graph", "--format", "dot"]).unwrap().command else {
            panic!()
        };
        assert_eq!(g.format, GraphFormat::Dot);
        let Some(Command::Graph(g)) = parse(&["graph"]).unwrap().command else {
            panic!()
        };
        assert_eq!(g.format, GraphFormat::Mermaid);
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        assert_eq!(
            parse(&["frobnicate"]).unwrap_err().kind(),
            ErrorKind::InvalidSubcommand
        );
        assert_eq!(
            parse(&["render", "--format", "toml"]).unwrap_err().kind(),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            parse(&["apply", "--timeout", "soon"]).unwrap_err().kind(),
            ErrorKind::ValueValidation
        );
        assert_eq!(
            parse(&["apply", "--bogus"]).unwrap_err().kind(),
            ErrorKind::UnknownArgument
        );
        assert_eq!(
            parse(&["graph", "--delete-data"]).unwrap_err().kind(),
            ErrorKind::UnknownArgument
        );
        for e in [
            parse(&["frobnicate"]).unwrap_err(),
            parse(&["apply", "--timeout", "soon"]).unwrap_err(),
        ] {
            assert_eq!(e.exit_code(), 2);
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(
            parse_duration("5x").unwrap_err(),
            r#""5x": unknown unit "x" (use ms, s, m or h)"#
        );
        assert_eq!(
            parse_duration("m").unwrap_err(),
            r#""m" is not a duration like 90s, 5m or 1h30m"#
        );
        assert_eq!(
            parse_duration("1m5").unwrap_err(),
            r#""1m5": a unit (ms, s, m, h) must follow 5"#
        );
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-5s").is_err());
        assert!(parse_duration("1e400").is_err());
    }
}
