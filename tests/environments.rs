//! The environments example renders dev and prod from one program: both snapshot-tested, and
//! the program's own `--env` flag selects them on the command line.

#[allow(dead_code)]
#[path = "../examples/environments.rs"]
mod environments;

use environments::{Env, app_in};
use kubeprint::prelude::*;

#[test]
fn dev() {
    kubeprint::assert_bundle_snapshot!(app_in(Env::Dev).unwrap());
}

#[test]
fn prod() {
    kubeprint::assert_bundle_snapshot!(app_in(Env::Prod).unwrap());
}

#[test]
fn environments_differ_only_where_their_settings_do() -> Result<()> {
    let (dev, prod) = (app_in(Env::Dev)?, app_in(Env::Prod)?);
    dev.check()?;
    prod.check()?;
    assert_eq!(dev.namespace(), Some("shop-dev"));
    assert_eq!(prod.namespace(), Some("shop-prod"));
    assert!(dev.get("PodDisruptionBudget", "shop").is_none());
    assert!(prod.get("PodDisruptionBudget", "shop").is_some());
    for (app, env) in [(&dev, "dev"), (&prod, "prod")] {
        for o in app.objects() {
            let labels = o.metadata().labels.clone().unwrap_or_default();
            assert_eq!(
                labels.get("environment").map(String::as_str),
                Some(env),
                "{}",
                o.object_ref()
            );
        }
    }
    Ok(())
}

#[test]
fn the_programs_own_flag_chooses_the_environment() {
    let render = |args: &[&str]| {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = kubeprint::cli::run_with_from(
            args.iter().copied(),
            "The shop, in dev or prod.",
            |opts: environments::Opts| app_in(opts.env),
            &mut out,
            &mut err,
        );
        (
            status,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    };
    let (status, yaml, _) = render(&["shop", "render", "--env", "prod"]);
    assert_eq!(status, 0);
    assert!(yaml.contains("namespace: shop-prod") && !yaml.contains("shop-dev"));
    let (status, yaml, _) = render(&["shop", "--env", "dev"]);
    assert_eq!(status, 0);
    assert!(yaml.contains("namespace: shop-dev"));
    let (status, _, err) = render(&["shop", "--env", "staging"]);
    assert_eq!(status, 2);
    assert!(err.contains("possible values: dev, prod"), "{err}");
}
