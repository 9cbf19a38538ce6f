//! `kubeprint::testing` used the way a user's crate uses it: from outside, through the macro.

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kubeprint::prelude::*;
use kubeprint::testing::redacted_yaml;

const SENTINEL: &str = "Sentinel-7d1e-never-print-me";

fn app() -> Result<Bundle> {
    let mut app = Bundle::new("shop");
    app.add(
        ConfigMap::builder()
            .name("settings")
            .entry("level", "debug")
            .build(),
    )?;
    app.add(Secret {
        metadata: ObjectMeta {
            name: Some("db".into()),
            annotations: Some(
                [(
                    kubeprint::object::GENERATE_ONCE_ANNOTATION.to_owned(),
                    "root".to_owned(),
                )]
                .into(),
            ),
            ..Default::default()
        },
        data: Some([("root".to_owned(), ByteString(SENTINEL.as_bytes().to_vec()))].into()),
        string_data: Some([("user".to_owned(), SENTINEL.to_owned())].into()),
        ..Default::default()
    })?;
    Ok(app)
}

#[test]
fn file_snapshot_through_the_macro() -> Result<()> {
    let app = app()?;
    kubeprint::assert_bundle_snapshot!(app);
    kubeprint::assert_bundle_snapshot!("shop_by_name", &app);
    Ok(())
}

#[test]
fn the_function_with_insta_directly() -> Result<()> {
    let yaml = redacted_yaml(&app()?)?;
    assert!(!yaml.contains(SENTINEL));
    let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, SENTINEL);
    assert!(!yaml.contains(&encoded));
    insta::assert_snapshot!(yaml, @r"
    apiVersion: v1
    kind: Secret
    data:
      root: <redacted>
    metadata:
      annotations:
        kubeprint.dev/generate-once: root
      name: db
    stringData:
      user: <redacted>
    ---
    apiVersion: v1
    kind: ConfigMap
    data:
      level: debug
    metadata:
      name: settings
    ");
    Ok(())
}
