//! Secret (chapter 11): from literals, files, a directory or bytes; TLS and image-pull secrets;
//! values generated once.
//!
//! A full example and the list of setters are on [`Secret`].
//!
//! A TLS secret and an image-pull secret:
//! ```
//! # use kubeprint::prelude::*;
//! # let (cert, key) = ("-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n",
//! #                   "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n");
//! let tls = Secret::tls("kuard-tls", cert, key);
//! assert_eq!(tls.to_object()?.type_.as_deref(), Some("kubernetes.io/tls"));
//!
//! let pull = Secret::docker_registry("regcred", "registry.example.com", "robot", "s3cr3t");
//! let object = pull.to_object()?;
//! assert_eq!(object.type_.as_deref(), Some("kubernetes.io/dockerconfigjson"));
//! assert!(object.data.unwrap().contains_key(".dockerconfigjson"));
//! # Ok::<(), kubeprint::Error>(())
//! ```

use crate::api::core::configmap::{Source, resolve_sources};
use crate::error::{Error, ObjectRef, Result, Violation};
use crate::meta::{Annotations, Customize, Labels, object_meta};
use crate::object::{GENERATE_ONCE_ANNOTATION, Manifest, Validate};
use crate::validate::{self, Checker};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1 as core;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use typed_builder::TypedBuilder;

/// The most a Secret may hold (data plus stringData), like a ConfigMap.
pub const MAX_SIZE: usize = 1024 * 1024;

/// The longest value [`Generate`] makes.
const MAX_GENERATED: usize = 64 * 1024;

/// A secret value. `Debug` and `Display` print `<redacted>`; only [`SecretValue::expose`]
/// gives the bytes.
///
/// ```
/// # use kubeprint::secret::SecretValue;
/// let v = SecretValue::from("hunter2");
/// assert_eq!(format!("{v} {v:?}"), "<redacted> <redacted>");
/// assert_eq!(v.expose(), b"hunter2");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretValue(Vec<u8>);

impl SecretValue {
    /// Wraps bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        SecretValue(bytes.into())
    }

    /// The bytes. Named so that every use is easy to find.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<&str> for SecretValue {
    fn from(s: &str) -> Self {
        SecretValue(s.as_bytes().to_vec())
    }
}

impl From<String> for SecretValue {
    fn from(s: String) -> Self {
        SecretValue(s.into_bytes())
    }
}

impl From<&String> for SecretValue {
    fn from(s: &String) -> Self {
        SecretValue(s.as_bytes().to_vec())
    }
}

impl From<Vec<u8>> for SecretValue {
    fn from(b: Vec<u8>) -> Self {
        SecretValue(b)
    }
}

impl From<&[u8]> for SecretValue {
    fn from(b: &[u8]) -> Self {
        SecretValue(b.to_vec())
    }
}

impl<const N: usize> From<&[u8; N]> for SecretValue {
    fn from(b: &[u8; N]) -> Self {
        SecretValue(b.to_vec())
    }
}

/// How to generate a value once, from the operating system's CSPRNG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generate {
    /// `n` characters from `A-Z a-z 0-9`, uniformly (rejection sampling, no modulo bias).
    Alphanumeric(usize),
    /// `n` random bytes, hex-encoded (`2n` characters).
    Hex(usize),
    /// `n` random bytes, base64-encoded (standard alphabet, padded).
    Base64(usize),
}

impl Default for Generate {
    fn default() -> Self {
        Generate::alphanumeric()
    }
}

const ALPHANUMERIC: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

impl Generate {
    /// 32 alphanumeric characters (about 190 bits): a good password.
    pub fn alphanumeric() -> Self {
        Generate::Alphanumeric(32)
    }

    fn length_error(&self) -> Option<String> {
        let n = match *self {
            Generate::Alphanumeric(n) | Generate::Hex(n) | Generate::Base64(n) => n,
        };
        (n == 0 || n > MAX_GENERATED)
            .then(|| format!("cannot generate a value of length {n} (1-{MAX_GENERATED})"))
    }

    /// Generates a value with the system CSPRNG. Fails on a length of 0 or above 65536, or
    /// when the operating system has no randomness to give.
    pub fn generate(&self) -> std::result::Result<SecretValue, String> {
        self.generate_with(&mut |buf| getrandom::fill(buf).map_err(|e| e.to_string()))
    }

    /// Generates a value with `fill` as the source of random bytes.
    fn generate_with(
        &self,
        fill: &mut dyn FnMut(&mut [u8]) -> std::result::Result<(), String>,
    ) -> std::result::Result<SecretValue, String> {
        if let Some(message) = self.length_error() {
            return Err(message);
        }
        match *self {
            Generate::Alphanumeric(n) => {
                let mut out = Vec::with_capacity(n);
                let mut buf = vec![0u8; n + 16];
                while out.len() < n {
                    fill(&mut buf)?;
                    // 248 = 4 × 62: bytes at or above it would favor the first 8 symbols.
                    for &b in buf.iter().filter(|&&b| b < 248) {
                        if out.len() == n {
                            break;
                        }
                        out.push(ALPHANUMERIC[usize::from(b % 62)]);
                    }
                }
                Ok(SecretValue(out))
            }
            Generate::Hex(n) => {
                let mut buf = vec![0u8; n];
                fill(&mut buf)?;
                Ok(SecretValue(
                    buf.iter()
                        .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]])
                        .collect(),
                ))
            }
            Generate::Base64(n) => {
                let mut buf = vec![0u8; n];
                fill(&mut buf)?;
                Ok(SecretValue(BASE64.encode(&buf).into_bytes()))
            }
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The environment variable holding the path of a [`Seed`] file.
pub const SEED_FILE_ENV: &str = "KUBEPRINT_SEED_FILE";
/// The environment variable holding a [`Seed`] itself.
pub const SEED_ENV: &str = "KUBEPRINT_SEED";

/// A secret the user holds (a file or an environment variable, never the program), from which
/// every generate-once value is derived, so that rendering twice gives the same bytes (for
/// `render | kubectl apply -f -`, GitOps tools that run the program, and snapshot diffs).
///
/// Each value is `HMAC-SHA256(seed, "kubeprint/v1\0" namespace "\0" secret "\0" key "\0" i)`
/// for `i = 0, 1, ...`, fed to the [`Generate`] the key asks for (same alphabet, length and
/// rejection sampling as the CSPRNG path). Another seed, namespace, Secret or key gives
/// unrelated values; the seed never appears in any output, annotation or `Debug`.
///
/// ```
/// use kubeprint::secret::{Generate, Seed};
/// let seed = Seed::new("held by the operator, not the program");
/// let a = seed.derive("shop-prod", "db", "password", Generate::alphanumeric())?;
/// let b = seed.derive("shop-prod", "db", "password", Generate::alphanumeric())?;
/// let dev = seed.derive("shop-dev", "db", "password", Generate::alphanumeric())?;
/// assert_eq!(a, b);
/// assert_ne!(a, dev);
/// assert_eq!(a.len(), 32);
/// assert_eq!(format!("{seed:?}"), "Seed(<redacted>)");
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Seed(Vec<u8>);

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed(<redacted>)")
    }
}

impl Seed {
    /// A seed from bytes (a trailing newline is part of it: use [`Seed::from_file`] for files).
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Seed(bytes.into())
    }

    /// A seed read from a file; one trailing newline (`\n` or `\r\n`) is dropped, so that
    /// `echo secret > seed` and `printf secret > seed` give the same seed. An empty seed is an
    /// error.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> std::result::Result<Self, String> {
        let path = path.as_ref();
        let mut bytes = std::fs::read(path)
            .map_err(|e| format!("reading the seed file {}: {e}", path.display()))?;
        if bytes.ends_with(b"\n") {
            bytes.pop();
            if bytes.ends_with(b"\r") {
                bytes.pop();
            }
        }
        if bytes.is_empty() {
            return Err(format!("the seed file {} is empty", path.display()));
        }
        Ok(Seed(bytes))
    }

    /// The seed from the environment: the file named by `KUBEPRINT_SEED_FILE`, else the value
    /// of `KUBEPRINT_SEED`; `None` when neither is set (or both are empty).
    pub fn from_env() -> std::result::Result<Option<Self>, String> {
        if let Some(path) = std::env::var_os(SEED_FILE_ENV).filter(|p| !p.is_empty()) {
            return Seed::from_file(path).map(Some);
        }
        Ok(std::env::var_os(SEED_ENV)
            .filter(|v| !v.is_empty())
            .map(|v| Seed(v.into_encoded_bytes())))
    }

    /// The value of `key` of Secret `secret` in `namespace` (empty for none), made as `how`
    /// asks. Fails only on a length [`Generate`] refuses.
    pub fn derive(
        &self,
        namespace: &str,
        secret: &str,
        key: &str,
        how: Generate,
    ) -> std::result::Result<SecretValue, String> {
        let mut info = b"kubeprint/v1\0".to_vec();
        for part in [namespace, secret, key] {
            info.extend_from_slice(part.as_bytes());
            info.push(0);
        }
        let mut counter: u32 = 0;
        let mut pending: Vec<u8> = Vec::new();
        how.generate_with(&mut |buf: &mut [u8]| {
            for b in buf.iter_mut() {
                if pending.is_empty() {
                    let mut msg = info.clone();
                    msg.extend_from_slice(&counter.to_be_bytes());
                    counter = counter.wrapping_add(1);
                    pending = hmac_sha256(&self.0, &msg).to_vec();
                    pending.reverse();
                }
                *b = pending.pop().unwrap_or_default();
            }
            Ok(())
        })
    }
}

/// HMAC-SHA256 (RFC 2104) over `sha2`.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

/// A Secret's `type`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SecretType {
    /// Arbitrary data (the default).
    #[default]
    Opaque,
    /// `kubernetes.io/tls`: keys `tls.crt` and `tls.key`.
    Tls,
    /// `kubernetes.io/dockerconfigjson`: key `.dockerconfigjson`, for `imagePullSecrets`.
    DockerConfigJson,
    /// `kubernetes.io/basic-auth`: keys `username` and/or `password`.
    BasicAuth,
    /// `kubernetes.io/ssh-auth`: key `ssh-privatekey`.
    SshAuth,
    /// Any other type string.
    Other(String),
}

impl SecretType {
    /// The type string.
    pub fn as_str(&self) -> &str {
        match self {
            SecretType::Opaque => "Opaque",
            SecretType::Tls => "kubernetes.io/tls",
            SecretType::DockerConfigJson => "kubernetes.io/dockerconfigjson",
            SecretType::BasicAuth => "kubernetes.io/basic-auth",
            SecretType::SshAuth => "kubernetes.io/ssh-auth",
            SecretType::Other(s) => s,
        }
    }
}

#[derive(Clone)]
enum Entry {
    Source(Option<String>, Source),
    Generated {
        key: String,
        how: Generate,
        value: Arc<OnceLock<SecretValue>>,
    },
}

/// The contents of a [`Secret`] builder, filled by its mutators. Its `Debug` shows keys only.
#[derive(Clone, Default)]
pub struct SecretData {
    type_: Option<SecretType>,
    entries: Vec<Entry>,
    registries: BTreeMap<String, (String, SecretValue)>,
    emails: BTreeMap<String, String>,
}

impl SecretData {
    fn set_type(&mut self, t: SecretType) {
        self.type_ = Some(t);
    }
}

impl fmt::Debug for SecretData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries: Vec<String> = self
            .entries
            .iter()
            .map(|e| match e {
                Entry::Source(key, Source::File(p)) => format!(
                    "{}<file {}>",
                    key.as_deref().map(|k| format!("{k}=")).unwrap_or_default(),
                    p.display()
                ),
                Entry::Source(_, Source::Dir(p)) => format!("<dir {}>", p.display()),
                Entry::Source(key, _) => {
                    format!("{}=<redacted>", key.as_deref().unwrap_or_default())
                }
                Entry::Generated { key, how, .. } => format!("{key}=<generated {how:?}>"),
            })
            .collect();
        f.debug_struct("SecretData")
            .field("type", &self.type_)
            .field("entries", &entries)
            .field("registries", &self.registries.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A Secret. `name` is required; entries are added one by one.
///
/// Every value goes to `data` (base64). Later entries with the same key replace earlier ones.
/// `Debug` prints keys, file paths and registries, never a value.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// use kubeprint::secret::Generate;
///
/// let secret = Secret::builder()
///     .name("db-credentials")
///     .entry("username", "app")
///     .generated("password", Generate::alphanumeric())
///     .build();
/// let object = secret.to_object()?;
/// let data = object.data.unwrap();
/// assert_eq!(data["username"].0, b"app");
/// assert_eq!(data["password"].0.len(), 32);
/// // The apply client keeps the live value of generated keys instead of replacing it.
/// assert_eq!(object.metadata.annotations.unwrap()["kubeprint.dev/generate-once"], "password");
/// // Debug never shows a value.
/// assert!(!format!("{secret:?}").contains("app\""));
/// // But `to_object()` hands back a plain `k8s-openapi` Secret, whose Debug shows the bytes:
/// // never log it (put it in a `Bundle`, whose Debug shows keys only).
/// assert!(format!("{:?}", secret.to_object()?).contains("ByteString"));
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`Secret::builder()`](Secret::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace`. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.entry(key, value)` / `.binary(key, value)` / `.file(path)` / `.file_as(key, path)` / `.dir(path)` / `.generated(key, how)` / `.tls(cert_pem, key_pem)` / `.docker_config(registry, username, password)` / `.tls_files(cert_path, key_path)` / `.docker_config_with_email(registry, username, password, email)` / `.secret_type(secret_type)` (repeatable) | Type and entries. |
/// | `.immutable()` / `.immutable_if(bool)` | Marks the Secret immutable: its data can never change, only be replaced. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct Secret {
    /// `metadata.name`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.namespace`.
    #[builder(default, setter(into, strip_option(fallback = namespace_opt)))]
    namespace: Option<String>,
    /// `metadata.labels`.
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// Type and entries.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a literal value (`kubectl create secret generic --from-literal`).
            pub fn entry(&mut self, key: impl Into<String>, value: impl Into<SecretValue>) {
                self.data.entries.push(Entry::Source(Some(key.into()), Source::Binary(value.into().0)));
            }
            /// Adds binary data (the same as [`entry`](SecretBuilder::entry) with bytes).
            pub fn binary(&mut self, key: impl Into<String>, value: impl Into<Vec<u8>>) {
                self.data.entries.push(Entry::Source(Some(key.into()), Source::Binary(value.into())));
            }
            /// Adds a file, read when the object is built, keyed by its file name (`--from-file`).
            pub fn file(&mut self, path: impl Into<PathBuf>) {
                self.data.entries.push(Entry::Source(None, Source::File(path.into())));
            }
            /// Adds a file under a chosen key (`--from-file=key=path`).
            pub fn file_as(&mut self, key: impl Into<String>, path: impl Into<PathBuf>) {
                self.data.entries.push(Entry::Source(Some(key.into()), Source::File(path.into())));
            }
            /// Adds every regular file directly in a directory, keyed by file name.
            pub fn dir(&mut self, path: impl Into<PathBuf>) {
                self.data.entries.push(Entry::Source(None, Source::Dir(path.into())));
            }
            /// Adds a value generated once from the system CSPRNG. The key is listed in the
            /// `kubeprint.dev/generate-once` annotation, so the apply client keeps the value
            /// already in the cluster. The same builder (and its clones) always renders the
            /// same value.
            pub fn generated(&mut self, key: impl Into<String>, how: Generate) {
                self.data.entries.push(Entry::Generated { key: key.into(), how, value: Arc::new(OnceLock::new()) });
            }
            /// Makes this a `kubernetes.io/tls` Secret with `tls.crt` and `tls.key` (PEM).
            pub fn tls(&mut self, cert_pem: impl Into<SecretValue>, key_pem: impl Into<SecretValue>) {
                self.data.set_type(SecretType::Tls);
                self.data.entries.push(Entry::Source(Some("tls.crt".into()), Source::Binary(cert_pem.into().0)));
                self.data.entries.push(Entry::Source(Some("tls.key".into()), Source::Binary(key_pem.into().0)));
            }
            /// Makes this a `kubernetes.io/dockerconfigjson` Secret (for `imagePullSecrets`)
            /// and adds credentials for `registry` (e.g. `ghcr.io`,
            /// `https://index.docker.io/v1/`). May be called once per registry.
            pub fn docker_config(&mut self, registry: impl Into<String>, username: impl Into<String>, password: impl Into<SecretValue>) {
                self.data.set_type(SecretType::DockerConfigJson);
                self.data.registries.insert(registry.into(), (username.into(), password.into()));
            }
            /// Makes this a `kubernetes.io/tls` Secret with `tls.crt` and `tls.key` read from
            /// PEM files when the Secret is built (a missing file is an error naming it).
            pub fn tls_files(&mut self, cert_path: impl Into<PathBuf>, key_path: impl Into<PathBuf>) {
                self.data.set_type(SecretType::Tls);
                self.data.entries.push(Entry::Source(Some("tls.crt".into()), Source::File(cert_path.into())));
                self.data.entries.push(Entry::Source(Some("tls.key".into()), Source::File(key_path.into())));
            }
            /// Like `docker_config`, with the account's e-mail address (the `email` field
            /// `kubectl create secret docker-registry --docker-email` writes).
            pub fn docker_config_with_email(&mut self, registry: impl Into<String>, username: impl Into<String>, password: impl Into<SecretValue>, email: impl Into<String>) {
                let registry = registry.into();
                self.data.set_type(SecretType::DockerConfigJson);
                self.data.emails.insert(registry.clone(), email.into());
                self.data.registries.insert(registry, (username.into(), password.into()));
            }
            /// Sets the type (e.g. for a TLS Secret built from files with `file_as`).
            pub fn secret_type(&mut self, secret_type: SecretType) {
                self.data.set_type(secret_type);
            }
        )
    )]
    data: SecretData,
    /// Marks the Secret immutable: its data can never change, only be replaced.
    #[builder(setter(strip_bool(fallback = immutable_if)))]
    immutable: bool,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut core::Secret) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<core::Secret>,
}

impl Secret {
    /// The Secret's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A `kubernetes.io/tls` Secret from a PEM certificate (chain) and its PEM private key.
    pub fn tls(
        name: impl Into<String>,
        cert_pem: impl Into<SecretValue>,
        key_pem: impl Into<SecretValue>,
    ) -> Secret {
        Secret::builder().name(name).tls(cert_pem, key_pem).build()
    }

    /// A `kubernetes.io/tls` Secret from a PEM certificate file and its PEM key file, read
    /// when the Secret is built (`kubectl create secret tls --cert --key`).
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// let dir = std::env::temp_dir().join(format!("kubeprint-tls-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// std::fs::write(dir.join("tls.crt"), "-----BEGIN CERTIFICATE-----\n")?;
    /// std::fs::write(dir.join("tls.key"), "-----BEGIN PRIVATE KEY-----\n")?;
    /// let secret = Secret::tls_files("web-tls", dir.join("tls.crt"), dir.join("tls.key")).to_object()?;
    /// assert_eq!(secret.type_.as_deref(), Some("kubernetes.io/tls"));
    /// assert!(secret.data.unwrap().contains_key("tls.key"));
    /// let missing = Secret::tls_files("web-tls", dir.join("nope.crt"), dir.join("tls.key")).to_object();
    /// assert!(missing.unwrap_err().to_string().contains("nope.crt"));
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn tls_files(
        name: impl Into<String>,
        cert_path: impl Into<PathBuf>,
        key_path: impl Into<PathBuf>,
    ) -> Secret {
        Secret::builder()
            .name(name)
            .tls_files(cert_path, key_path)
            .build()
    }

    /// [`Secret::docker_registry`] with the account's e-mail address.
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// let s = Secret::docker_registry_with_email("pull", "ghcr.io", "bot", "token", "bot@example.com");
    /// let json = &s.to_object()?.data.unwrap()[".dockerconfigjson"].0;
    /// let v: serde_json::Value = serde_json::from_slice(json).unwrap();
    /// assert_eq!(v["auths"]["ghcr.io"]["email"], "bot@example.com");
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn docker_registry_with_email(
        name: impl Into<String>,
        registry: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<SecretValue>,
        email: impl Into<String>,
    ) -> Secret {
        Secret::builder()
            .name(name)
            .docker_config_with_email(registry, username, password, email)
            .build()
    }

    /// A `kubernetes.io/dockerconfigjson` Secret with credentials for one registry, to list in
    /// a pod's `imagePullSecrets` (`kubectl create secret docker-registry`).
    pub fn docker_registry(
        name: impl Into<String>,
        registry: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<SecretValue>,
    ) -> Secret {
        Secret::builder()
            .name(name)
            .docker_config(registry, username, password)
            .build()
    }

    fn object_ref(&self) -> ObjectRef {
        ObjectRef::new("Secret", self.name.clone()).in_namespace(self.namespace.as_ref())
    }

    fn docker_config_json(&self) -> Vec<u8> {
        let auths: BTreeMap<&str, serde_json::Value> = self
            .data
            .registries
            .iter()
            .map(|(registry, (user, password))| {
                let password = String::from_utf8_lossy(password.expose());
                let auth = BASE64.encode(format!("{user}:{password}"));
                let mut entry =
                    serde_json::json!({ "username": user, "password": password, "auth": auth });
                if let Some(email) = self.data.emails.get(registry) {
                    entry["email"] = serde_json::Value::from(email.as_str());
                }
                (registry.as_str(), entry)
            })
            .collect();
        serde_json::json!({ "auths": auths })
            .to_string()
            .into_bytes()
    }
}

impl Manifest for Secret {
    type Object = core::Secret;

    fn generated_keys(&self) -> Vec<(String, Generate)> {
        self.data
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Generated { key, how, .. } => Some((key.clone(), *how)),
                Entry::Source(..) => None,
            })
            .collect()
    }

    fn to_object(&self) -> Result<core::Secret> {
        // key -> (bytes, generated)
        let mut values: BTreeMap<String, (Vec<u8>, bool)> = BTreeMap::new();
        if !self.data.registries.is_empty() {
            values.insert(
                ".dockerconfigjson".to_owned(),
                (self.docker_config_json(), false),
            );
        }
        for entry in &self.data.entries {
            match entry {
                Entry::Source(key, source) => {
                    for (k, bytes, _) in
                        resolve_sources(std::slice::from_ref(&(key.clone(), source.clone())))?
                    {
                        values.insert(k, (bytes, false));
                    }
                }
                Entry::Generated { key, how, value } => {
                    let v = match value.get() {
                        Some(v) => v.clone(),
                        None => {
                            if let Some(message) = how.length_error() {
                                // A bad length is the user's mistake: report it like a rule.
                                let at = format!("data[{key:?}]");
                                return Err(Error::Invalid(vec![Violation::new(
                                    self.object_ref(),
                                    at,
                                    message,
                                )]));
                            }
                            let v = how.generate().map_err(|message| Error::Random {
                                object: self.object_ref(),
                                message,
                            })?;
                            value.get_or_init(|| v).clone()
                        }
                    };
                    values.insert(key.clone(), (v.0, true));
                }
            }
        }
        let generated: BTreeSet<&str> = values
            .iter()
            .filter(|(_, (_, g))| *g)
            .map(|(k, _)| k.as_str())
            .collect();
        let mut annotations = self.annotations.clone();
        if !generated.is_empty() {
            annotations.insert(
                GENERATE_ONCE_ANNOTATION,
                generated.into_iter().collect::<Vec<_>>().join(","),
            );
        }
        let data: BTreeMap<String, ByteString> = values
            .into_iter()
            .map(|(k, (v, _))| (k, ByteString(v)))
            .collect();
        let mut secret = core::Secret {
            metadata: object_meta(
                &self.name,
                self.namespace.as_ref(),
                &self.labels,
                &annotations,
            ),
            data: (!data.is_empty()).then_some(data),
            string_data: None,
            type_: Some(
                self.data
                    .type_
                    .clone()
                    .unwrap_or_default()
                    .as_str()
                    .to_owned(),
            ),
            immutable: self.immutable.then_some(true),
        };
        self.customize.apply(&mut secret);
        secret.to_object()
    }
}

/// The value of `key` in `data` or `stringData` (stringData wins, as in the apiserver).
fn value<'a>(s: &'a core::Secret, key: &str) -> Option<&'a [u8]> {
    s.string_data
        .as_ref()
        .and_then(|d| d.get(key))
        .map(|v| v.as_bytes())
        .or_else(|| {
            s.data
                .as_ref()
                .and_then(|d| d.get(key))
                .map(|v| v.0.as_slice())
        })
}

fn has_pem_block(bytes: &[u8], label: &str) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .any(|l| l.starts_with("-----BEGIN ") && l.trim_end().ends_with(&format!("{label}-----")))
}

impl Validate for core::Secret {
    fn validate(&self, c: &mut Checker) {
        let mut total = 0usize;
        for (k, v) in self.data.iter().flatten() {
            c.check(format_args!("data[{k:?}]"), validate::config_key(k));
            total += v.0.len();
        }
        for (k, v) in self.string_data.iter().flatten() {
            c.check(format_args!("stringData[{k:?}]"), validate::config_key(k));
            total += v.len();
        }
        if total > MAX_SIZE {
            c.fail(
                "data",
                format!("total size {total} bytes is more than {MAX_SIZE}"),
            );
        }
        let type_ = self.type_.as_deref().unwrap_or("Opaque");
        let require = |c: &mut Checker, key: &str| {
            if value(self, key).is_none() {
                c.fail("data", format!("type {type_} needs key {key:?}"));
            }
        };
        match type_ {
            "kubernetes.io/tls" => {
                require(c, "tls.crt");
                require(c, "tls.key");
                if value(self, "tls.crt").is_some_and(|v| !has_pem_block(v, "CERTIFICATE")) {
                    c.fail(
                        "data[\"tls.crt\"]",
                        "does not contain a PEM certificate (-----BEGIN CERTIFICATE-----)",
                    );
                }
                if value(self, "tls.key").is_some_and(|v| !has_pem_block(v, "PRIVATE KEY")) {
                    c.fail(
                        "data[\"tls.key\"]",
                        "does not contain a PEM private key (-----BEGIN ... PRIVATE KEY-----)",
                    );
                }
            }
            "kubernetes.io/dockerconfigjson" => {
                require(c, ".dockerconfigjson");
                if let Some(v) = value(self, ".dockerconfigjson") {
                    match serde_json::from_slice::<serde_json::Value>(v) {
                        // serde_json's messages give positions, never content.
                        Err(e) => c.fail(
                            "data[\".dockerconfigjson\"]",
                            format!("is not valid JSON: {e}"),
                        ),
                        Ok(j) if !j.get("auths").is_some_and(serde_json::Value::is_object) => {
                            c.strict(
                                "dockerconfigjson-auths",
                                "data[\".dockerconfigjson\"]",
                                "has no \"auths\" object (the kubelet finds no credentials in it)",
                            );
                        }
                        Ok(_) => {}
                    }
                }
            }
            "kubernetes.io/dockercfg" => {
                require(c, ".dockercfg");
                if let Some(Err(e)) =
                    value(self, ".dockercfg").map(serde_json::from_slice::<serde_json::Value>)
                {
                    // serde_json's messages give positions, never content.
                    c.fail("data[\".dockercfg\"]", format!("is not valid JSON: {e}"));
                }
            }
            "kubernetes.io/basic-auth"
                if value(self, "username").is_none() && value(self, "password").is_none() =>
            {
                c.fail(
                    "data",
                    format!("type {type_} needs key \"username\" or \"password\""),
                );
            }
            "kubernetes.io/ssh-auth" => require(c, "ssh-privatekey"),
            "kubernetes.io/service-account-token" => {
                let annotated = self
                    .metadata
                    .annotations
                    .as_ref()
                    .is_some_and(|a| a.contains_key("kubernetes.io/service-account.name"));
                if !annotated {
                    c.fail(
                        "metadata.annotations",
                        format!(
                            "type {type_} needs annotation \"kubernetes.io/service-account.name\""
                        ),
                    );
                }
            }
            // "" is defaulted to Opaque by the apiserver.
            _ => {}
        }
        let generated = self
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(GENERATE_ONCE_ANNOTATION));
        for key in generated
            .into_iter()
            .flat_map(|keys| keys.split(','))
            .filter(|k| !k.is_empty())
        {
            if value(self, key).is_none() {
                c.fail(
                    format_args!("metadata.annotations[{GENERATE_ONCE_ANNOTATION:?}]"),
                    format!("lists key {key:?}, which is not in data"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 2 and 6 of RFC 4231 (a short key, and one longer than a block).
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn seeded_values_follow_the_spec_and_every_input() {
        let seed = Seed::new("s");
        let v = |ns: &str, secret: &str, key: &str, how| seed.derive(ns, secret, key, how).unwrap();
        let a = v("ns", "db", "pw", Generate::Alphanumeric(300));
        assert_eq!(a.len(), 300);
        assert!(a.expose().iter().all(u8::is_ascii_alphanumeric));
        assert_eq!(a, v("ns", "db", "pw", Generate::Alphanumeric(300)));
        for other in [
            v("ns2", "db", "pw", Generate::Alphanumeric(300)),
            v("ns", "db2", "pw", Generate::Alphanumeric(300)),
            v("ns", "db", "pw2", Generate::Alphanumeric(300)),
            Seed::new("t")
                .derive("ns", "db", "pw", Generate::Alphanumeric(300))
                .unwrap(),
        ] {
            assert_ne!(a, other);
        }
        // The parts are separated: ("a", "bc") is not ("ab", "c").
        assert_ne!(
            v("a", "bc", "k", Generate::Hex(8)),
            v("ab", "c", "k", Generate::Hex(8))
        );
        assert_eq!(v("ns", "db", "pw", Generate::Hex(40)).len(), 80);
        assert_eq!(v("ns", "db", "pw", Generate::Base64(32)).len(), 44);
        assert!(seed.derive("ns", "db", "pw", Generate::Hex(0)).is_err());
    }

    #[test]
    fn seed_files_drop_one_newline_and_refuse_empty() {
        let dir = std::env::temp_dir().join(format!("kp-seed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b, empty) = (dir.join("a"), dir.join("b"), dir.join("e"));
        std::fs::write(&a, "secret\n").unwrap();
        std::fs::write(&b, "secret").unwrap();
        std::fs::write(&empty, "\n").unwrap();
        assert_eq!(Seed::from_file(&a).unwrap(), Seed::from_file(&b).unwrap());
        assert!(Seed::from_file(&empty).unwrap_err().contains("empty"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn manifests_tell_their_generated_keys() {
        let s = Secret::builder()
            .name("db")
            .entry("user", "app")
            .generated("pw", Generate::Hex(4))
            .build();
        assert_eq!(s.generated_keys(), [("pw".to_owned(), Generate::Hex(4))]);
    }
    use crate::object::Object;

    const SENTINEL: &str = "SENTINEL-c0ffee-do-not-print";
    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n";

    fn one_error(s: Secret) -> String {
        let e = s.to_object().unwrap_err();
        assert_eq!(e.violations().len(), 1, "{e}");
        e.to_string()
    }

    fn raw(type_: &str, data: &[(&str, &str)]) -> core::Secret {
        core::Secret {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some("s".into()),
                ..Default::default()
            },
            type_: Some(type_.into()),
            data: Some(
                data.iter()
                    .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
                    .collect(),
            ),
            ..Default::default()
        }
    }

    fn raw_error(s: core::Secret) -> String {
        let e = s.to_object().unwrap_err();
        assert_eq!(e.violations().len(), 1, "{e}");
        e.to_string()
    }

    #[test]
    fn literals_files_and_dirs() {
        let dir =
            std::env::temp_dir().join(format!("kubeprint-secret-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("d")).unwrap();
        std::fs::write(dir.join("username.txt"), "admin").unwrap();
        std::fs::write(dir.join("d").join("a.key"), [0u8, 255]).unwrap();
        std::fs::write(dir.join("d").join("b.key"), "bee").unwrap();
        let s = Secret::builder()
            .name("kuard-tls")
            .entry("literal", "value")
            .entry("bytes", vec![1u8, 2, 3])
            .binary("blob", [0u8, 159, 146, 150])
            .file(dir.join("username.txt"))
            .file_as("user", dir.join("username.txt"))
            .dir(dir.join("d"))
            .immutable()
            .build()
            .to_object()
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let data = s.data.unwrap();
        assert_eq!(
            data.keys().collect::<Vec<_>>(),
            [
                "a.key",
                "b.key",
                "blob",
                "bytes",
                "literal",
                "user",
                "username.txt"
            ]
        );
        assert_eq!(data["a.key"].0, [0, 255]);
        assert_eq!(data["user"].0, b"admin");
        assert_eq!(s.type_.as_deref(), Some("Opaque"));
        assert_eq!(s.immutable, Some(true));
        assert_eq!(s.string_data, None);
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let e = Secret::builder()
            .name("s")
            .file("/nonexistent/kubeprint/x")
            .build()
            .to_object()
            .unwrap_err();
        assert!(matches!(e, Error::Io { .. }), "{e}");
    }

    #[test]
    fn later_entries_replace_earlier_ones() {
        let s = Secret::builder()
            .name("s")
            .generated("k", Generate::Hex(4))
            .entry("k", "fixed")
            .build()
            .to_object()
            .unwrap();
        assert_eq!(s.data.unwrap()["k"].0, b"fixed");
        assert_eq!(s.metadata.annotations, None, "k is no longer generated");
    }

    #[test]
    fn tls_secret() {
        let s = Secret::tls("kuard-tls", CERT, KEY).to_object().unwrap();
        assert_eq!(s.type_.as_deref(), Some("kubernetes.io/tls"));
        let data = s.data.unwrap();
        assert_eq!(data["tls.crt"].0, CERT.as_bytes());
        assert_eq!(data["tls.key"].0, KEY.as_bytes());
    }

    #[test]
    fn docker_config_json() {
        let s = Secret::builder()
            .name("regcred")
            .docker_config("registry.example.com", "robot", "pa:ss")
            .docker_config("ghcr.io", "me", "tok")
            .build()
            .to_object()
            .unwrap();
        assert_eq!(s.type_.as_deref(), Some("kubernetes.io/dockerconfigjson"));
        let json: serde_json::Value =
            serde_json::from_slice(&s.data.unwrap()[".dockerconfigjson"].0).unwrap();
        let reg = &json["auths"]["registry.example.com"];
        assert_eq!(reg["username"], "robot");
        assert_eq!(reg["password"], "pa:ss");
        assert_eq!(reg["auth"], BASE64.encode("robot:pa:ss"));
        assert_eq!(json["auths"]["ghcr.io"]["auth"], BASE64.encode("me:tok"));
    }

    #[test]
    fn generated_values() {
        let s = Secret::builder()
            .name("gen")
            .generated("password", Generate::alphanumeric())
            .generated("token", Generate::Hex(16))
            .generated("key", Generate::Base64(32))
            .entry("user", "admin")
            .build();
        let o = s.to_object().unwrap();
        let data = o.data.unwrap();
        let password = &data["password"].0;
        assert_eq!(password.len(), 32);
        assert!(password.iter().all(u8::is_ascii_alphanumeric));
        assert_eq!(data["token"].0.len(), 32);
        assert!(
            data["token"]
                .0
                .iter()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(BASE64.decode(&data["key"].0).unwrap().len(), 32);
        assert_eq!(
            o.metadata.annotations.unwrap()[GENERATE_ONCE_ANNOTATION],
            "key,password,token",
            "sorted"
        );
        // The same builder, and its clones, render the same value; a new builder does not.
        assert_eq!(
            s.to_object().unwrap().data.unwrap()["password"],
            data["password"]
        );
        assert_eq!(
            s.clone().to_object().unwrap().data.unwrap()["password"],
            data["password"]
        );
        let other = Secret::builder()
            .name("gen")
            .generated("password", Generate::alphanumeric())
            .build();
        assert_ne!(
            other.to_object().unwrap().data.unwrap()["password"],
            data["password"]
        );
    }

    #[test]
    fn alphanumeric_rejects_biased_bytes() {
        // Bytes 248..=255 must be skipped, the rest map to ALPHANUMERIC[b % 62].
        let mut calls = 0;
        let mut fill = |buf: &mut [u8]| {
            calls += 1;
            for (i, b) in buf.iter_mut().enumerate() {
                *b = if i % 2 == 0 {
                    248 + (i % 8) as u8
                } else {
                    (i / 2) as u8
                };
            }
            Ok(())
        };
        let v = Generate::Alphanumeric(8).generate_with(&mut fill).unwrap();
        assert_eq!(v.expose(), b"ABCDEFGH");
        assert_eq!(calls, 1);
        // 62 wraps to 'A', 247 (the last accepted byte) is '9'.
        let v = Generate::Alphanumeric(2).generate_with(&mut |buf: &mut [u8]| {
            buf.fill(247);
            buf[0] = 62;
            Ok(())
        });
        assert_eq!(v.unwrap().expose(), b"A9");
        // A source that only yields rejected bytes at first keeps drawing until it has enough.
        let mut round = 0;
        let mut fill = |buf: &mut [u8]| {
            round += 1;
            buf.fill(if round < 3 { 255 } else { 61 });
            Ok(())
        };
        assert_eq!(
            Generate::Alphanumeric(4)
                .generate_with(&mut fill)
                .unwrap()
                .expose(),
            b"9999"
        );
        assert_eq!(round, 3);
    }

    #[test]
    fn alphanumeric_is_roughly_uniform() {
        let mut counts = [0usize; 62];
        for _ in 0..200 {
            for b in Generate::Alphanumeric(62).generate().unwrap().expose() {
                let i = ALPHANUMERIC.iter().position(|c| c == b).unwrap();
                counts[i] += 1;
            }
        }
        // 12400 draws, 200 expected per symbol; these bounds are ~10 standard deviations wide.
        assert!(
            counts.iter().all(|&n| (60..=340).contains(&n)),
            "{counts:?}"
        );
    }

    #[test]
    fn generate_random_error_paths() {
        let failing = Generate::Hex(4).generate_with(&mut |_| Err("no entropy".into()));
        assert_eq!(failing.unwrap_err(), "no entropy");
        assert_eq!(
            one_error(
                Secret::builder()
                    .name("s")
                    .generated("k", Generate::Alphanumeric(0))
                    .build()
            ),
            r#"secret "s": data["k"]: cannot generate a value of length 0 (1-65536)"#
        );
    }

    #[test]
    fn debug_never_prints_values() {
        let s = Secret::builder()
            .name("creds")
            .entry("password", SENTINEL)
            .entry("bin", SENTINEL.as_bytes())
            .tls(format!("{CERT}{SENTINEL}"), format!("{KEY}{SENTINEL}"))
            .docker_config("registry.example.com", "robot", SENTINEL)
            .generated("generated", Generate::alphanumeric())
            .build();
        let o = s.to_object().unwrap();
        let generated = String::from_utf8(o.data.as_ref().unwrap()["generated"].0.clone()).unwrap();
        let encoded = BASE64.encode(SENTINEL);
        for text in [
            format!("{s:?}"),
            format!("{s:#?}"),
            format!("{:?}", Object::from(o.clone())),
            format!("{:?}", SecretValue::from(SENTINEL)),
        ] {
            assert!(!text.contains(SENTINEL), "{text}");
            assert!(!text.contains(&encoded), "{text}");
            assert!(!text.contains(&generated), "{text}");
            assert!(!text.contains("MIIB"), "{text}");
        }
        assert!(format!("{s:?}").contains("password=<redacted>"));
        // Errors do not print values either.
        let bad = Secret::builder()
            .name("creds")
            .entry("bad key", SENTINEL)
            .build()
            .to_object()
            .unwrap_err();
        assert!(!bad.to_string().contains(SENTINEL));
        assert!(!format!("{bad:?}").contains(SENTINEL));
    }

    // --- one test per validation rule ---

    #[test]
    fn rule_keys() {
        assert_eq!(
            one_error(Secret::builder().name("s").entry("a/b", "x").build()),
            r#"secret "s": data["a/b"]: "a/b" must consist of alphanumerics, '-', '_' or '.'"#
        );
        let mut s = raw("Opaque", &[]);
        s.string_data = Some([("..".to_string(), "x".to_string())].into());
        assert_eq!(
            raw_error(s),
            r#"secret "s": stringData[".."]: ".." is not a valid key"#
        );
    }

    #[test]
    fn rule_size() {
        let s = Secret::builder()
            .name("big")
            .entry("a", vec![0u8; MAX_SIZE])
            .entry("b", "x")
            .build();
        assert_eq!(
            one_error(s),
            r#"secret "big": data: total size 1048577 bytes is more than 1048576"#
        );
        assert!(
            Secret::builder()
                .name("big")
                .entry("a", vec![0u8; MAX_SIZE])
                .build()
                .to_object()
                .is_ok()
        );
    }

    #[test]
    fn rule_tls_needs_both_keys() {
        let s = Secret::builder()
            .name("t")
            .secret_type(SecretType::Tls)
            .entry("tls.crt", CERT)
            .build();
        assert_eq!(
            one_error(s),
            r#"secret "t": data: type kubernetes.io/tls needs key "tls.key""#
        );
        let s = Secret::builder()
            .name("t")
            .secret_type(SecretType::Tls)
            .entry("tls.key", KEY)
            .build();
        assert_eq!(
            one_error(s),
            r#"secret "t": data: type kubernetes.io/tls needs key "tls.crt""#
        );
    }

    #[test]
    fn rule_tls_pem() {
        assert_eq!(
            one_error(Secret::tls("t", KEY, KEY)),
            r#"secret "t": data["tls.crt"]: does not contain a PEM certificate (-----BEGIN CERTIFICATE-----)"#
        );
        assert_eq!(
            one_error(Secret::tls("t", CERT, CERT)),
            r#"secret "t": data["tls.key"]: does not contain a PEM private key (-----BEGIN ... PRIVATE KEY-----)"#
        );
    }

    #[test]
    fn rule_dockerconfigjson_key() {
        let s = Secret::builder()
            .name("r")
            .secret_type(SecretType::DockerConfigJson)
            .entry("config.json", "{}")
            .build();
        assert_eq!(
            one_error(s),
            r#"secret "r": data: type kubernetes.io/dockerconfigjson needs key ".dockerconfigjson""#
        );
    }

    #[test]
    fn rule_dockerconfigjson_content() {
        let s = raw(
            "kubernetes.io/dockerconfigjson",
            &[(".dockerconfigjson", "{not json")],
        );
        assert_eq!(
            raw_error(s),
            r#"secret "s": data[".dockerconfigjson"]: is not valid JSON: key must be a string at line 1 column 2"#
        );
        let s = raw(
            "kubernetes.io/dockerconfigjson",
            &[(".dockerconfigjson", "{}")],
        );
        assert_eq!(
            raw_error(s.clone()),
            r#"secret "s": data[".dockerconfigjson"]: has no "auths" object (the kubelet finds no credentials in it) (stricter than the apiserver on purpose; annotation kubeprint.dev/relax: dockerconfigjson-auths relaxes it)"#
        );
        // The apiserver accepts it: the object may relax the rule.
        let mut s = s;
        s.metadata.annotations = Some(
            [(
                crate::validate::RELAX_ANNOTATION.to_owned(),
                "sleep-zero, dockerconfigjson-auths".to_owned(),
            )]
            .into(),
        );
        assert!(s.to_object().is_ok());
    }

    #[test]
    fn rule_other_types() {
        assert_eq!(
            raw_error(raw("kubernetes.io/basic-auth", &[])),
            r#"secret "s": data: type kubernetes.io/basic-auth needs key "username" or "password""#
        );
        assert!(
            raw("kubernetes.io/basic-auth", &[("password", "x")])
                .to_object()
                .is_ok()
        );
        assert_eq!(
            raw_error(raw("kubernetes.io/ssh-auth", &[])),
            r#"secret "s": data: type kubernetes.io/ssh-auth needs key "ssh-privatekey""#
        );
        assert_eq!(
            raw_error(raw("kubernetes.io/dockercfg", &[])),
            r#"secret "s": data: type kubernetes.io/dockercfg needs key ".dockercfg""#
        );
        assert_eq!(
            raw_error(raw("kubernetes.io/service-account-token", &[])),
            r#"secret "s": metadata.annotations: type kubernetes.io/service-account-token needs annotation "kubernetes.io/service-account.name""#
        );
        // The apiserver defaults an empty type to Opaque (issue #13: was a false reject).
        assert!(raw("", &[]).to_object().is_ok());
        // A dockercfg must be JSON (the apiserver parses it); the message never shows it.
        let e = raw_error(raw(
            "kubernetes.io/dockercfg",
            &[(".dockercfg", "{\"secret-ish")],
        ));
        assert!(
            e.contains(r#"data[".dockercfg"]: is not valid JSON"#),
            "{e}"
        );
        assert!(!e.contains("secret-ish"), "{e}");
        assert!(raw("example.com/custom", &[]).to_object().is_ok());
    }

    #[test]
    fn rule_generate_once_keys_exist() {
        let s = Secret::builder()
            .name("g")
            .generated("password", Generate::alphanumeric())
            .customize(|s: &mut core::Secret| {
                s.data.as_mut().into_iter().for_each(|d| {
                    d.remove("password");
                })
            })
            .build();
        assert_eq!(
            one_error(s),
            r#"secret "g": metadata.annotations["kubeprint.dev/generate-once"]: lists key "password", which is not in data"#
        );
    }
}
