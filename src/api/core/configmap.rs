//! ConfigMap (chapter 11): from literals, files, a directory, binary data.
//!
//! A full example and the list of setters are on [`ConfigMap`].

use crate::error::{Error, Result};
use crate::meta::{Annotations, Customize, Labels, object_meta};
use crate::object::{Manifest, Validate};
use crate::validate::{self, Checker};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1 as core;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use typed_builder::TypedBuilder;

/// Where one ConfigMap (or Secret) entry comes from. Built by the builders' `entry`, `binary`,
/// `file`, `file_as` and `dir` methods.
#[derive(Clone, PartialEq, Eq)]
pub enum Source {
    /// A literal text value.
    Text(String),
    /// Literal bytes.
    Binary(Vec<u8>),
    /// A file read when the object is built; key = file name unless given.
    File(PathBuf),
    /// Every regular file directly in a directory, key = file name.
    Dir(PathBuf),
}

/// Reads file and directory sources into `(key, bytes)` pairs; literal sources pass through.
pub(crate) fn resolve_sources(
    entries: &[(Option<String>, Source)],
) -> Result<Vec<(String, Vec<u8>, bool)>> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })
    };
    let file_key = |path: &Path| {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for (key, source) in entries {
        match source {
            Source::Text(s) => out.push((
                key.clone().unwrap_or_default(),
                s.clone().into_bytes(),
                true,
            )),
            Source::Binary(b) => out.push((key.clone().unwrap_or_default(), b.clone(), false)),
            Source::File(path) => out.push((
                key.clone().unwrap_or_else(|| file_key(path)),
                read(path)?,
                false,
            )),
            Source::Dir(dir) => {
                let io = |source| Error::Io {
                    path: dir.display().to_string(),
                    source,
                };
                let mut files = Vec::new();
                for entry in std::fs::read_dir(dir).map_err(io)? {
                    let path = entry.map_err(io)?.path();
                    if path.is_file() {
                        files.push(path);
                    }
                }
                files.sort();
                for path in files {
                    out.push((file_key(&path), read(&path)?, false));
                }
            }
        }
    }
    Ok(out)
}

/// A ConfigMap. `name` is required; entries are added one by one.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// let cm = ConfigMap::builder()
///     .name("kuard-config")
///     .entry("another-param", "another-value")
///     .entry("extra-param", "extra-value")
///     .binary("blob.bin", vec![0u8, 159, 146, 150])
///     .build();
/// let object = cm.to_object()?;
/// assert_eq!(object.data.unwrap()["extra-param"], "extra-value");
/// assert!(object.binary_data.unwrap().contains_key("blob.bin"));
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`ConfigMap::builder()`](ConfigMap::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace`; usually left to the bundle or the apply target. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.entry(key, value)` / `.binary(key, value)` / `.file(path)` / `.file_as(key, path)` / `.dir(path)` (repeatable) | The entries, in the order added. |
/// | `.immutable()` / `.immutable_if(bool)` | Marks the ConfigMap immutable: its data can then never change, only be replaced. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct ConfigMap {
    /// `metadata.name`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.namespace`; usually left to the bundle or the apply target.
    #[builder(default, setter(into, strip_option(fallback = namespace_opt)))]
    namespace: Option<String>,
    /// `metadata.labels`.
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// The entries, in the order added.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a text entry (`kubectl create configmap --from-literal`).
            pub fn entry(&mut self, key: impl Into<String>, value: impl Into<String>) {
                self.entries.push((Some(key.into()), Source::Text(value.into())));
            }
            /// Adds a binary entry (goes to `binaryData`).
            pub fn binary(&mut self, key: impl Into<String>, value: impl Into<Vec<u8>>) {
                self.entries.push((Some(key.into()), Source::Binary(value.into())));
            }
            /// Adds a file, read when the object is built; the key is the file name
            /// (`--from-file`). UTF-8 content goes to `data`, anything else to `binaryData`.
            pub fn file(&mut self, path: impl Into<PathBuf>) {
                self.entries.push((None, Source::File(path.into())));
            }
            /// Adds a file under a chosen key (`--from-file=key=path`).
            pub fn file_as(&mut self, key: impl Into<String>, path: impl Into<PathBuf>) {
                self.entries.push((Some(key.into()), Source::File(path.into())));
            }
            /// Adds every regular file directly in a directory, keyed by file name.
            pub fn dir(&mut self, path: impl Into<PathBuf>) {
                self.entries.push((None, Source::Dir(path.into())));
            }
        )
    )]
    entries: Vec<(Option<String>, Source)>,
    /// Marks the ConfigMap immutable: its data can then never change, only be replaced.
    #[builder(setter(strip_bool(fallback = immutable_if)))]
    immutable: bool,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut core::ConfigMap) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<core::ConfigMap>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Text(s) => write!(f, "Text({s:?})"),
            Source::Binary(b) => write!(f, "Binary({} bytes)", b.len()),
            Source::File(p) => write!(f, "File({})", p.display()),
            Source::Dir(p) => write!(f, "Dir({})", p.display()),
        }
    }
}

impl ConfigMap {
    /// The ConfigMap's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Manifest for ConfigMap {
    type Object = core::ConfigMap;

    fn to_object(&self) -> Result<core::ConfigMap> {
        let mut data = BTreeMap::new();
        let mut binary = BTreeMap::new();
        for (key, bytes, text) in resolve_sources(&self.entries)? {
            match (text, String::from_utf8(bytes)) {
                (_, Ok(s)) => {
                    data.insert(key, s);
                }
                (_, Err(e)) => {
                    binary.insert(key, ByteString(e.into_bytes()));
                }
            }
        }
        let mut cm = core::ConfigMap {
            metadata: object_meta(
                &self.name,
                self.namespace.as_ref(),
                &self.labels,
                &self.annotations,
            ),
            data: (!data.is_empty()).then_some(data),
            binary_data: (!binary.is_empty()).then_some(binary),
            immutable: self.immutable.then_some(true),
        };
        self.customize.apply(&mut cm);
        cm.to_object()
    }
}

impl Validate for core::ConfigMap {
    fn validate(&self, c: &mut Checker) {
        let mut total = 0usize;
        for (k, v) in self.data.iter().flatten() {
            c.check(format_args!("data[{k:?}]"), validate::config_key(k));
            total += v.len();
        }
        for (k, v) in self.binary_data.iter().flatten() {
            c.check(format_args!("binaryData[{k:?}]"), validate::config_key(k));
            if self.data.as_ref().is_some_and(|d| d.contains_key(k)) {
                c.fail(format_args!("binaryData[{k:?}]"), "key is also in data");
            }
            total += v.0.len();
        }
        if total > 1024 * 1024 {
            c.fail(
                "data",
                format!("total size {total} bytes is more than 1048576"),
            );
        }
    }
}
