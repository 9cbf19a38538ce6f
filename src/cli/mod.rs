//! A kubectl-like command line for programs that describe an application (feature `cli`).
//!
//! One call turns a program that builds a [`Bundle`] into an infrastructure-as-code tool:
//!
//! ```no_run
//! use kubeprint::prelude::*;
//!
//! fn app() -> kubeprint::Result<Bundle> {
//!     Bundle::new("settings").with(ConfigMap::builder().name("settings").entry("level", "debug").build())
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     kubeprint::cli::run(app)
//! }
//! ```
//!
//! The program then understands:
//!
//! | command | does | exit status |
//! |---|---|---|
//! | *(none)*, `render [--format yaml\|json] [--redact]` | prints the objects; needs no cluster | 0, 1 on error |
//! | `diff [--prune]` | unified diff against the cluster, secret values masked; without `--prune`, how many objects a prune would delete | 0 same, 1 differences, 2 error |
//! | `apply [--dry-run] [--prune] [--prune-other-namespaces] [--delete-crds] [--wait] [--timeout 5m] [--settle 5s] [--force-conflicts] [--force-apply] [--recreate] [--create-namespace]` | server-side apply, tier by tier; objects proven unchanged are skipped | 0, 1 on error |
//! | `delete [--delete-data] [--delete-crds] [--timeout 5m]` | deletes in reverse order, keeps PVCs (and the generated Secrets guarding them) and CRDs unless asked | 0, 1 on error |
//! | `status [--timeout 2s]` | whether each object exists, matches the program, and is ready | 0 all in sync and ready, 1 missing, drifted, in conflict or not ready, 2 error |
//! | `graph [--format mermaid\|dot]` | the objects and their relations; no cluster | 0, 1 on error |
//!
//! with kubectl's global options `--kubeconfig`, `--context`, `-n/--namespace` and
//! `--field-manager`, and `--seed-file` (generated values derived from a seed you hold, see
//! [`Seed`](crate::secret::Seed); `render` without one says on stderr that they change on every
//! run) and `--applyset-namespace` (where a multi-namespace bundle's ApplySet lives). Bad arguments print clap's usage message and exit with status 2.
//!
//! On a terminal, diffs are coloured and `apply`/`delete` draw one progress bar per object with
//! its ready count; when output is piped or `CI` is set, every event is one plain line
//! (`deployment.apps/kuard created`, `deployment.apps/kuard waiting: 1/3 ready`). Errors are
//! printed as a short cause chain (`error: …` then `  caused by: …`). Secret values are never
//! printed by `diff`, `status`, progress or errors; `render` prints the manifests themselves, so
//! its output contains them, like `kubectl create secret --dry-run=client -o yaml` does
//! (`render --redact` replaces them by `<redacted>`, for review).
//!
//! The program's function is called once, after the arguments are parsed (so `--help` builds
//! nothing). It may return a [`Bundle`] or any `Result<Bundle, E>` whose error converts to
//! `Box<dyn Error + Send + Sync>` (kubeprint's [`Error`](crate::Error), `anyhow::Error`, ...);
//! [`run_async`] takes an async function. `run` owns the tokio runtime: programs need no
//! `#[tokio::main]`.
//!
//! For tests and for embedding, [`run_from`] takes the arguments and the output streams and
//! returns the exit status; the formatting helpers ([`error_chain`], [`color_diff`],
//! [`object_label`], [`table`]) are pure functions.

mod args;
mod cluster;
mod output;
mod progress;

pub use args::{
    Apply, Cli, Command, Delete, Diff, Global, Graph, GraphFormat, Render, RenderFormat, Status,
    parse_duration,
};
pub use output::{Mode, color_diff, error_chain, object_label, table};

use crate::bundle::Bundle;
use clap::Parser;
use std::ffi::OsString;
use std::future::Future;
use std::io::Write;
use std::process::ExitCode;

/// The error type programs may return: anything that converts to a boxed error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Exit status of a successful command (and of `diff` without differences).
pub const EXIT_OK: u8 = 0;
/// Exit status of a failed command; of `diff` when there are differences; of `status` when
/// something is missing or not ready.
pub const EXIT_FAILURE_OR_CHANGES: u8 = 1;
/// Exit status of bad arguments (clap's usage error), and of a failed `diff` or `status`.
pub const EXIT_USAGE_OR_DIFF_FAILURE: u8 = 2;

/// What a program's function may return: a [`Bundle`], or a `Result` of one.
///
/// ```
/// use kubeprint::cli::IntoBundle;
/// use kubeprint::Bundle;
/// assert_eq!(Bundle::new("a").into_bundle().unwrap().name(), "a");
/// let failed: Result<Bundle, std::io::Error> = Err(std::io::Error::other("no config"));
/// assert_eq!(failed.into_bundle().unwrap_err().to_string(), "no config");
/// ```
pub trait IntoBundle {
    /// The bundle, or why there is none.
    fn into_bundle(self) -> Result<Bundle, BoxError>;
}

impl IntoBundle for Bundle {
    fn into_bundle(self) -> Result<Bundle, BoxError> {
        Ok(self)
    }
}

impl<E: Into<BoxError>> IntoBundle for Result<Bundle, E> {
    fn into_bundle(self) -> Result<Bundle, BoxError> {
        self.map_err(Into::into)
    }
}

/// Runs the command line on the process arguments, printing to standard output and error, and
/// returns the exit status for `main`. See the [module docs](self).
pub fn run<F, B>(app: F) -> ExitCode
where
    F: FnOnce() -> B,
    B: IntoBundle,
{
    let mode = Mode::detect();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(
                u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE_OR_DIFF_FAILURE),
            );
        }
    };
    // Unlocked handles: progress bars draw on standard error from their own thread, and would
    // wait forever for a lock held here.
    let mut console = Console {
        out: &mut std::io::stdout(),
        err: &mut std::io::stderr(),
        mode,
    };
    ExitCode::from(execute(cli, || app().into_bundle(), &mut console))
}

/// Like [`run`], for a program with command-line options of its own (`--env prod`) and a
/// description for `--help`: `A` is the program's `#[derive(clap::Args)]` struct, parsed with
/// kubeprint's arguments from the same command line and handed to the program's function.
/// The program's options are accepted before or after the command (`app --env prod apply`,
/// `app apply --env prod`). Colour and progress bars work as with [`run`].
///
/// ```no_run
/// use kubeprint::prelude::*;
///
/// #[derive(clap::Args)]
/// struct Opts {
///     /// Which environment to deploy.
///     #[arg(long, env = "SHOP_ENV", default_value = "dev")]
///     env: String,
/// }
///
/// fn app(opts: Opts) -> kubeprint::Result<Bundle> {
///     let mut b = Bundle::new("shop");
///     b.set_namespace(&format!("shop-{}", opts.env));
///     b.add(ConfigMap::builder().name("settings").entry("env", opts.env).build())?;
///     Ok(b)
/// }
///
/// fn main() -> std::process::ExitCode {
///     kubeprint::cli::run_with("The shop, in dev or prod.", app)
/// }
/// ```
pub fn run_with<A, F, B>(about: impl Into<String>, app: F) -> ExitCode
where
    A: clap::Args,
    F: FnOnce(A) -> B,
    B: IntoBundle,
{
    let mode = Mode::detect();
    let (cli, own) = match parse_with::<A, _, _>(about.into(), std::env::args_os()) {
        Ok(parsed) => parsed,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(
                u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE_OR_DIFF_FAILURE),
            );
        }
    };
    let mut console = Console {
        out: &mut std::io::stdout(),
        err: &mut std::io::stderr(),
        mode,
    };
    ExitCode::from(execute(cli, || app(own).into_bundle(), &mut console))
}

/// [`run_with`] on `args`, writing to `stdout` and `stderr` in plain mode, like [`run_from`].
///
/// ```
/// use kubeprint::prelude::*;
///
/// #[derive(clap::Args)]
/// struct Opts {
///     #[arg(long, default_value = "dev")]
///     env: String,
/// }
/// let app = |opts: Opts| Bundle::new("shop").with(ConfigMap::builder().name("settings").entry("env", opts.env).build());
///
/// let (mut out, mut err) = (Vec::new(), Vec::new());
/// let status = kubeprint::cli::run_with_from(["shop", "render", "--env", "prod"], "The shop.", app, &mut out, &mut err);
/// assert_eq!(status, 0);
/// assert!(String::from_utf8(out).unwrap().contains("env: prod"));
///
/// let (mut out, mut err) = (Vec::new(), Vec::new());
/// kubeprint::cli::run_with_from(["shop", "--help"], "The shop.", app, &mut out, &mut err);
/// let help = String::from_utf8(out).unwrap();
/// assert!(help.starts_with("The shop."), "{help}");
/// assert!(help.contains("--env <ENV>") && help.contains("--namespace"), "{help}");
/// ```
pub fn run_with_from<A, I, T, F, B>(
    args: I,
    about: impl Into<String>,
    app: F,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8
where
    A: clap::Args,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
    F: FnOnce(A) -> B,
    B: IntoBundle,
{
    let (cli, own) = match parse_with::<A, _, _>(about.into(), args) {
        Ok(parsed) => parsed,
        Err(e) => return print_usage_error(&e, stdout, stderr),
    };
    let mut console = Console {
        out: stdout,
        err: stderr,
        mode: Mode::PLAIN,
    };
    execute(cli, || app(own).into_bundle(), &mut console)
}

/// kubeprint's arguments and the program's own `A`, from one command line.
fn parse_with<A, I, T>(about: String, args: I) -> Result<(Cli, A), clap::Error>
where
    A: clap::Args,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    use clap::{CommandFactory, FromArgMatches};
    let own: Vec<clap::Id> = A::augment_args(clap::Command::new("own"))
        .get_arguments()
        .map(|a| a.get_id().clone())
        .collect();
    let mut command = A::augment_args(Cli::command()).about(about.clone());
    if !about.is_empty() {
        command = command.long_about(format!(
            "{about}\n\nWith no command, prints the objects as YAML (no cluster needed)."
        ));
    }
    for id in own {
        command = command.mut_arg(id, |a| a.global(true));
    }
    let matches = command.try_get_matches_from(args)?;
    Ok((
        Cli::from_arg_matches(&matches)?,
        A::from_arg_matches(&matches)?,
    ))
}

/// Prints clap's message for a parse error (help and version go to `stdout`) and returns its
/// exit status.
fn print_usage_error(e: &clap::Error, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let text = e.render().to_string();
    let _ = if e.use_stderr() {
        stderr.write_all(text.as_bytes())
    } else {
        stdout.write_all(text.as_bytes())
    };
    u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE_OR_DIFF_FAILURE)
}

/// Like [`run`], for a program whose function is async (it runs on the command line's tokio
/// runtime).
///
/// ```no_run
/// async fn app() -> kubeprint::Result<kubeprint::Bundle> {
///     // e.g. read settings from a service first
///     Ok(kubeprint::Bundle::new("demo"))
/// }
/// fn main() -> std::process::ExitCode {
///     kubeprint::cli::run_async(app)
/// }
/// ```
pub fn run_async<F, Fut, B>(app: F) -> ExitCode
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = B>,
    B: IntoBundle,
{
    run(|| {
        runtime()
            .map_err(BoxError::from)
            .and_then(|rt| rt.block_on(app()).into_bundle())
    })
}

/// Runs the command line on `args` (the first one is the program name), writing to `stdout`
/// and `stderr` in plain mode (no colour, no progress bars), and returns the exit status.
///
/// For tests, and for programs that embed the command line.
///
/// ```
/// use kubeprint::prelude::*;
/// let app = || Bundle::new("demo").with(ConfigMap::builder().name("settings").entry("level", "debug").build());
///
/// let (mut out, mut err) = (Vec::new(), Vec::new());
/// let status = kubeprint::cli::run_from(["app", "render", "--format", "json"], app, &mut out, &mut err);
/// assert_eq!(status, 0);
/// assert!(String::from_utf8(out).unwrap().contains(r#""kind": "List""#));
///
/// let (mut out, mut err) = (Vec::new(), Vec::new());
/// let status = kubeprint::cli::run_from(["app", "--no-such-flag"], app, &mut out, &mut err);
/// assert_eq!(status, 2);
/// assert!(String::from_utf8(err).unwrap().contains("Usage:"));
/// ```
pub fn run_from<I, T, F, B>(args: I, app: F, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
    F: FnOnce() -> B,
    B: IntoBundle,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return print_usage_error(&e, stdout, stderr),
    };
    let mut console = Console {
        out: stdout,
        err: stderr,
        mode: Mode::PLAIN,
    };
    execute(cli, || app().into_bundle(), &mut console)
}

/// Where the command line prints.
pub(crate) struct Console<'a> {
    pub(crate) out: &'a mut dyn Write,
    pub(crate) err: &'a mut dyn Write,
    pub(crate) mode: Mode,
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Runs a parsed command; prints errors as a cause chain; returns the exit status.
fn execute(
    cli: Cli,
    app: impl FnOnce() -> Result<Bundle, BoxError>,
    console: &mut Console<'_>,
) -> u8 {
    let command = cli
        .command
        .clone()
        .unwrap_or_else(|| Command::Render(Render::default()));
    let failure = match command {
        Command::Diff(_) | Command::Status(_) => EXIT_USAGE_OR_DIFF_FAILURE,
        _ => EXIT_FAILURE_OR_CHANGES,
    };
    let outcome = seed(&cli.global).and_then(|seed| {
        app().and_then(|bundle| dispatch(&cli.global, command, bundle, seed.as_ref(), console))
    });
    match outcome {
        Ok(status) => status,
        Err(e) if e.is::<ReaderGone>() => failure,
        Err(e) => {
            let _ = console.err.write_all(error_chain(e.as_ref()).as_bytes());
            let _ = console.err.flush();
            failure
        }
    }
}

/// The seed of `--seed-file`, else of the environment ([`Seed::from_env`](crate::secret::Seed)).
fn seed(global: &Global) -> Result<Option<crate::secret::Seed>, BoxError> {
    match &global.seed_file {
        Some(path) => Ok(Some(crate::secret::Seed::from_file(path)?)),
        None => Ok(crate::secret::Seed::from_env()?),
    }
}

/// What `render` says on standard error when the program generates secret values and no seed
/// is given (`--seed-file`, `KUBEPRINT_SEED_FILE`, `KUBEPRINT_SEED`).
pub const UNSEEDED_NOTE: &str = "note: generated secret values change on every render \
     without a seed: pass --seed-file PATH (or set KUBEPRINT_SEED_FILE) to derive them from a \
     seed you keep out of the program, or kubectl apply will rotate them\n";

fn dispatch(
    global: &Global,
    command: Command,
    mut bundle: Bundle,
    seed: Option<&crate::secret::Seed>,
    console: &mut Console<'_>,
) -> Result<u8, BoxError> {
    if let (
        Some(seed),
        Command::Diff(_) | Command::Apply(_) | Command::Delete(_) | Command::Status(_),
    ) = (seed, &command)
    {
        bundle.derive_generated_in(seed, global.namespace.as_deref())?;
    }
    match command {
        Command::Render(render) => {
            if let Some(ns) = &global.namespace {
                bundle.set_namespace(ns);
            }
            match seed {
                Some(seed) => {
                    bundle.derive_generated(seed)?;
                }
                None if bundle.has_generated() && !render.redact => {
                    console
                        .err
                        .write_all(UNSEEDED_NOTE.as_bytes())
                        .map_err(output_error)?;
                }
                None => {}
            }
            let text = match (render.format, render.redact) {
                (RenderFormat::Yaml, false) => bundle.to_yaml()?,
                (RenderFormat::Yaml, true) => crate::testing::redacted_yaml(&bundle)?,
                (RenderFormat::Json, false) => bundle.to_json()?,
                (RenderFormat::Json, true) => crate::testing::redacted_json(&bundle)?,
            };
            print(console, &text)?;
            Ok(EXIT_OK)
        }
        Command::Graph(graph) => {
            if let Some(ns) = &global.namespace {
                bundle.set_namespace(ns);
            }
            bundle.check()?;
            let text = match graph.format {
                GraphFormat::Mermaid => crate::graph::mermaid(&bundle),
                GraphFormat::Dot => crate::graph::dot(&bundle),
            };
            print(console, &text)?;
            Ok(EXIT_OK)
        }
        Command::Diff(args) => on_cluster(|| cluster::diff(global, &args, &bundle, console)),
        Command::Apply(args) => on_cluster(|| cluster::apply(global, &args, &bundle, console)),
        Command::Delete(args) => on_cluster(|| cluster::delete(global, &args, &bundle, console)),
        Command::Status(args) => on_cluster(|| cluster::status(global, &args, &bundle, console)),
    }
}

/// Runs a cluster command on a fresh single-threaded runtime (the commands are I/O-bound).
fn on_cluster<F: Future<Output = Result<u8, BoxError>>>(
    command: impl FnOnce() -> F,
) -> Result<u8, BoxError> {
    runtime()
        .map_err(|e| cluster::context("starting the async runtime".into(), e))?
        .block_on(command())
}

fn print(console: &mut Console<'_>, text: &str) -> Result<(), BoxError> {
    console
        .out
        .write_all(text.as_bytes())
        .and_then(|()| console.out.flush())
        .map_err(output_error)
}

/// Writing to standard output failed: when the reader went away (`| head`), stop quietly like
/// other command-line tools; otherwise report it.
pub(crate) fn output_error(e: std::io::Error) -> BoxError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Box::new(ReaderGone)
    } else {
        cluster::context("writing output".into(), e)
    }
}

/// Standard output was closed by its reader; nothing more to say.
#[derive(Debug)]
struct ReaderGone;

impl std::fmt::Display for ReaderGone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output closed")
    }
}

impl std::error::Error for ReaderGone {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    fn app() -> crate::Result<Bundle> {
        Bundle::new("demo").with(
            ConfigMap::builder()
                .name("settings")
                .entry("level", "debug")
                .build(),
        )
    }

    fn cli(args: &[&str], app: impl FnOnce() -> Result<Bundle, BoxError>) -> (u8, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = run_from(
            std::iter::once("app").chain(args.iter().copied()),
            app,
            &mut out,
            &mut err,
        );
        (
            status,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn no_arguments_render_yaml() {
        let (status, out, err) = cli(&[], || Ok(app()?));
        assert_eq!((status, err.as_str()), (0, ""));
        assert_eq!(out, app().unwrap().to_yaml().unwrap());
        let (status, again, _) = cli(&["render"], || Ok(app()?));
        assert_eq!((status, again), (0, out));
    }

    #[test]
    fn render_json_and_namespace() {
        let (status, out, _) = cli(&["render", "-o", "json", "-n", "staging"], || Ok(app()?));
        assert_eq!(status, 0);
        let list: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(list["items"][0]["metadata"]["namespace"], "staging");
    }

    #[test]
    fn graph_in_both_formats() {
        let (status, out, err) = cli(&["graph"], || Ok(app()?));
        assert_eq!((status, err.as_str()), (0, ""));
        assert_eq!(out, crate::graph::mermaid(&app().unwrap()));
        assert!(out.starts_with("flowchart LR\n"));
        let (status, out, _) = cli(&["graph", "--format", "dot"], || Ok(app()?));
        assert_eq!(status, 0);
        assert_eq!(out, crate::graph::dot(&app().unwrap()));
    }

    #[test]
    fn render_redacted() {
        let app = || -> Result<Bundle, BoxError> {
            let login = crate::object::CustomObject::new("example.com/v1", "Login", "logins", true)
                .with_name("api")
                .with_field(
                    "spec",
                    serde_json::json!({"user": "app", "token": "t0ken-Value"}),
                )
                .with_secret_field("spec.token");
            Ok(Bundle::new("demo")
                .with(
                    Secret::builder()
                        .name("db")
                        .entry("password", "hunter2")
                        .build(),
                )?
                .with(login)?)
        };
        for format in ["yaml", "json"] {
            let (status, out, _) = cli(&["render", "--redact", "-o", format], app);
            assert_eq!(status, 0);
            assert!(
                out.contains("password") && out.contains("<redacted>"),
                "{out}"
            );
            assert!(
                !out.contains("hunter2") && !out.contains("aHVudGVyMg"),
                "{out}"
            );
            assert!(
                out.contains("token") && out.contains("app") && !out.contains("t0ken-Value"),
                "{out}"
            );
        }
        let (_, plain, _) = cli(&["render"], app);
        assert!(
            plain.contains("aHVudGVyMg") && plain.contains("t0ken-Value"),
            "without --redact the manifest is whole: {plain}"
        );
    }

    /// A reader that went away (`| head`) ends the command quietly.
    #[test]
    fn closed_output_is_not_an_error_message() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut err = Vec::new();
        let status = run_from(["app"], app, &mut Closed, &mut err);
        assert_eq!((status, err.as_slice()), (1, &b""[..]));
    }

    #[test]
    fn invalid_bundle_is_a_short_error() {
        let bad = || -> Result<Bundle, BoxError> {
            let mut b = Bundle::new("demo");
            b.add(ConfigMap::builder().name("settings").build())?;
            b.objects_mut()[0].metadata_mut().name = Some("Bad_Name".into());
            Ok(b)
        };
        let (status, out, err) = cli(&[], bad);
        assert_eq!(status, 1);
        assert_eq!(out, "");
        assert!(
            err.starts_with("error: configmap \"Bad_Name\": metadata.name: "),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }

    #[test]
    fn failing_program_exit_status_depends_on_the_command() {
        let fail = || -> Result<Bundle, BoxError> { Err("settings file missing".into()) };
        for (args, expected) in [
            (&[][..], 1),
            (&["render"], 1),
            (&["graph"], 1),
            (&["apply"], 1),
            (&["delete"], 1),
            (&["diff"], 2),
            (&["status"], 2),
        ] {
            let (status, out, err) = cli(args, fail);
            assert_eq!(status, expected, "{args:?}");
            assert_eq!(out, "");
            assert_eq!(err, "error: settings file missing\n");
        }
    }

    #[test]
    fn usage_errors_exit_2_without_building() {
        let (status, out, err) = cli(&["frobnicate"], || panic!("must not build"));
        assert_eq!(status, 2);
        assert_eq!(out, "");
        assert!(
            err.contains("unrecognized subcommand 'frobnicate'") && err.contains("Usage:"),
            "{err}"
        );
        let (status, out, _) = cli(&["--help"], || panic!("must not build"));
        assert_eq!(status, 0);
        assert!(
            out.contains("Commands:") && out.contains("render") && out.contains("--kubeconfig")
        );
    }
}
