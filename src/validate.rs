//! The apiserver's naming and format rules, mirrored so mistakes surface before any cluster does.
//!
//! Each rule returns `None` when the value is fine and `Some(message)` otherwise; the
//! [`Checker`] collects messages with the object and field path they belong to.
//!
//! ```
//! use kubeprint::validate;
//! assert!(validate::dns1123_label("web-1").is_none());
//! assert_eq!(
//!     validate::port_name("a-very-long-port-name").as_deref(),
//!     Some(r#""a-very-long-port-name" is longer than 15 characters"#)
//! );
//! ```

use crate::error::{Error, ObjectRef, Result, Violation};
use std::collections::BTreeMap;
use std::fmt::Display;

/// Collects violations for one object; [`Checker::finish`] turns them into an [`Error`].
#[derive(Debug)]
pub struct Checker {
    object: ObjectRef,
    violations: Vec<Violation>,
    relaxed: Vec<String>,
}

/// Annotation relaxing, on one object, rules kubeprint keeps stricter than the apiserver on
/// purpose: a comma-separated list of their names (see [`Checker::strict`] and
/// `docs/validation.md`), e.g. `kubeprint.dev/relax: sleep-zero,port-names`.
pub const RELAX_ANNOTATION: &str = "kubeprint.dev/relax";

impl Checker {
    /// A checker for `object`.
    pub fn new(object: ObjectRef) -> Self {
        Checker {
            object,
            violations: Vec::new(),
            relaxed: Vec::new(),
        }
    }

    /// The object being checked.
    pub fn object(&self) -> &ObjectRef {
        &self.object
    }

    /// Records `message` at `path`.
    pub fn fail(&mut self, path: impl Display, message: impl Into<String>) {
        self.violations.push(Violation::new(
            self.object.clone(),
            path.to_string(),
            message,
        ));
    }

    /// Relaxes the stricter-than-the-apiserver rules named in `annotation` (the value of
    /// [`RELAX_ANNOTATION`]) for this object.
    pub fn relax(&mut self, annotation: Option<&str>) {
        self.relaxed = annotation
            .into_iter()
            .flat_map(|a| a.split(','))
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .collect();
    }

    /// Records `message` at `path` for `rule`, one that kubeprint keeps stricter than the
    /// apiserver on purpose — unless the object relaxes it ([`RELAX_ANNOTATION`]). The message
    /// says how.
    pub fn strict(&mut self, rule: &str, path: impl Display, message: impl Into<String>) {
        if self.relaxed.iter().any(|r| r == rule) {
            return;
        }
        let message = format!(
            "{} (stricter than the apiserver on purpose; annotation {RELAX_ANNOTATION}: {rule} \
             relaxes it)",
            message.into()
        );
        self.fail(path, message);
    }

    /// Records the rule's message, if any, at `path`.
    pub fn check(&mut self, path: impl Display, outcome: Option<String>) {
        if let Some(message) = outcome {
            self.fail(path, message);
        }
    }

    /// Whether nothing has failed so far.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }

    /// Adds the violations of another checker (e.g. of a nested object).
    pub fn absorb(&mut self, other: Checker) {
        self.violations.extend(other.violations);
    }

    /// The violations collected so far (one label repeated in a workload's metadata, selector
    /// and pod template reported once, see [`Checker::finish`]).
    pub fn into_violations(self) -> Vec<Violation> {
        fold_repeated_labels(self.violations)
    }

    /// `Ok(())` when nothing failed, otherwise [`Error::Invalid`] with every violation.
    ///
    /// A workload's selector labels are also its pods' labels and its own, so one bad label is
    /// wrong in three fields; it is reported once, at the pod template (where the builders
    /// take it), naming the other fields:
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// let d = Deployment::builder()
    ///     .name("web")
    ///     .template(
    ///         PodTemplate::builder()
    ///             .selector_label("app", "web!")
    ///             .container(Container::builder().name("web").image("nginx:1.27").build())
    ///             .build(),
    ///     )
    ///     .build();
    /// let err = d.to_object().unwrap_err().to_string();
    /// assert_eq!(err.lines().count(), 1, "{err}");
    /// assert!(err.starts_with(r#"deployment "web": spec.template.metadata.labels["app"]: value "web!""#), "{err}");
    /// assert!(err.ends_with(r#"(also in metadata.labels, spec.selector.matchLabels)"#), "{err}");
    /// ```
    pub fn finish(self) -> Result<()> {
        let violations = self.into_violations();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(violations))
        }
    }

    /// Checks `labels` (keys and values) under `path` (e.g. `metadata.labels`).
    pub fn labels(&mut self, path: &str, labels: Option<&BTreeMap<String, String>>) {
        for (k, v) in labels.into_iter().flatten() {
            self.check(format_args!("{path}[{k:?}]"), label_key(k));
            self.check(format_args!("{path}[{k:?}]"), label_value(v));
        }
    }

    /// Checks a class's "is the default class" annotation (`key`) if set: `"true"` or
    /// `"false"` (StorageClasses, IngressClasses).
    pub(crate) fn default_class_annotation(
        &mut self,
        annotations: Option<&BTreeMap<String, String>>,
        key: &str,
    ) {
        if let Some(value) = annotations
            .and_then(|a| a.get(key))
            .filter(|v| !matches!(v.as_str(), "true" | "false"))
        {
            self.fail(
                format_args!("metadata.annotations[{key:?}]"),
                format!(
                    "{value:?} is neither \"true\" nor \"false\" (only \"true\" makes the class the default)"
                ),
            );
        }
    }

    /// Checks annotation keys and their total size under `path`.
    pub fn annotations(&mut self, path: &str, annotations: Option<&BTreeMap<String, String>>) {
        let Some(annotations) = annotations else {
            return;
        };
        let mut total = 0usize;
        for (k, v) in annotations {
            // The apiserver checks annotation keys lower-cased.
            self.check(
                format_args!("{path}[{k:?}]"),
                qualified_name(&k.to_ascii_lowercase()),
            );
            total += k.len() + v.len();
        }
        if total > 256 * 1024 {
            self.fail(
                path,
                format!("total size {total} bytes is more than 262144"),
            );
        }
    }
}

fn is_alnum_lower(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// DNS-1123 label: at most 63 lowercase alphanumerics or '-', starting and ending alphanumeric.
pub fn dns1123_label(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("must not be empty".into());
    }
    if s.len() > 63 {
        return Some(format!("{s:?} is longer than 63 characters"));
    }
    if !s.chars().all(|c| is_alnum_lower(c) || c == '-') {
        return Some(format!(
            "{s:?} must consist of lowercase letters, digits and '-'"
        ));
    }
    if !s.starts_with(is_alnum_lower) || !s.ends_with(is_alnum_lower) {
        return Some(format!(
            "{s:?} must start and end with a lowercase letter or digit"
        ));
    }
    None
}

/// DNS-1123 subdomain: at most 253 characters, dot-separated DNS-1123 labels.
pub fn dns1123_subdomain(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("must not be empty".into());
    }
    if s.len() > 253 {
        return Some(format!("{s:?} is longer than 253 characters"));
    }
    if !s.chars().all(|c| is_alnum_lower(c) || c == '-' || c == '.') {
        return Some(format!(
            "{s:?} must consist of lowercase letters, digits, '-' and '.'"
        ));
    }
    if s.split('.').any(|part| {
        part.is_empty() || !part.starts_with(is_alnum_lower) || !part.ends_with(is_alnum_lower)
    }) {
        return Some(format!(
            "{s:?} must be dot-separated parts that start and end with a lowercase letter or digit"
        ));
    }
    None
}

/// A path segment name (RBAC object names such as `system:controller:job`): not empty, not
/// `.` or `..`, without `/` or `%`.
///
/// ```
/// use kubeprint::validate;
/// assert!(validate::path_segment_name("system:aggregate-to-view").is_none());
/// assert_eq!(
///     validate::path_segment_name("a/b").as_deref(),
///     Some(r#""a/b" must not contain '/' or '%'"#)
/// );
/// ```
pub fn path_segment_name(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("must not be empty".into());
    }
    if s == "." || s == ".." {
        return Some(format!("{s:?} is not a valid name"));
    }
    if s.contains(['/', '%']) {
        return Some(format!("{s:?} must not contain '/' or '%'"));
    }
    None
}

/// DNS-1035 label (Service names): a DNS-1123 label that starts with a letter.
pub fn dns1035_label(s: &str) -> Option<String> {
    dns1123_label(s).or_else(|| {
        (!s.starts_with(|c: char| c.is_ascii_lowercase()))
            .then(|| format!("{s:?} must start with a lowercase letter"))
    })
}

/// IANA_SVC_NAME (port names): ≤ 15 chars of `[a-z0-9-]`, at least one letter, no leading,
/// trailing or doubled '-'.
pub fn port_name(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("must not be empty".into());
    }
    if s.len() > 15 {
        return Some(format!("{s:?} is longer than 15 characters"));
    }
    if !s.chars().all(|c| is_alnum_lower(c) || c == '-') {
        return Some(format!(
            "{s:?} must consist of lowercase letters, digits and '-'"
        ));
    }
    if !s.chars().any(|c| c.is_ascii_lowercase()) {
        return Some(format!("{s:?} must contain at least one letter"));
    }
    if s.starts_with('-') || s.ends_with('-') || s.contains("--") {
        return Some(format!(
            "{s:?} must not start or end with '-' or contain \"--\""
        ));
    }
    None
}

fn name_part(s: &str, what: &str) -> Option<String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.';
    if s.is_empty() {
        return Some(format!("{what} must not be empty"));
    }
    if s.len() > 63 {
        return Some(format!("{what} {s:?} is longer than 63 characters"));
    }
    if !s.chars().all(ok_char)
        || !s.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !s.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Some(format!(
            "{what} {s:?} must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"
        ));
    }
    None
}

/// A qualified name (label and annotation keys): `[prefix/]name`, prefix a DNS subdomain,
/// name ≤ 63 characters of alphanumerics, '-', '_', '.'.
pub fn qualified_name(s: &str) -> Option<String> {
    match s.split_once('/') {
        Some((prefix, name)) => {
            if let Some(m) = dns1123_subdomain(prefix) {
                return Some(format!("prefix {m}"));
            }
            name_part(name, "name")
        }
        None => name_part(s, "name"),
    }
}

/// A label key (a qualified name).
pub fn label_key(s: &str) -> Option<String> {
    qualified_name(s)
}

/// A label value: empty, or ≤ 63 alphanumerics, '-', '_', '.', starting and ending alphanumeric.
pub fn label_value(s: &str) -> Option<String> {
    if s.is_empty() {
        None
    } else {
        name_part(s, "value")
    }
}

/// An environment variable name: printable ASCII without '=' (the apiserver's relaxed rule,
/// GA since Kubernetes 1.34).
pub fn env_var_name(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("must not be empty".into());
    }
    if !s.chars().all(|c| (' '..='~').contains(&c)) || s.contains('=') {
        return Some(format!(
            "{s:?} must be printable ASCII characters other than '='"
        ));
    }
    None
}

/// A ConfigMap or Secret key: ≤ 253 of alphanumerics, '-', '_', '.', not "." and not starting
/// with "..".
pub fn config_key(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("must not be empty".into());
    }
    if s.len() > 253 {
        return Some(format!("{s:?} is longer than 253 characters"));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Some(format!(
            "{s:?} must consist of alphanumerics, '-', '_' or '.'"
        ));
    }
    if s == "." || s == ".." {
        return Some(format!("{s:?} is not a valid key"));
    }
    if s.starts_with("..") {
        return Some(format!("{s:?} must not start with \"..\""));
    }
    None
}

/// A value of an enumeration field: one of `allowed`.
///
/// ```
/// use kubeprint::validate;
/// assert!(validate::one_of("Parallel", &["OrderedReady", "Parallel"]).is_none());
/// assert_eq!(
///     validate::one_of("Serial", &["OrderedReady", "Parallel"]).as_deref(),
///     Some(r#""Serial" is not one of OrderedReady, Parallel"#)
/// );
/// ```
pub fn one_of(value: &str, allowed: &[&str]) -> Option<String> {
    (!allowed.contains(&value)).then(|| format!("{value:?} is not one of {}", allowed.join(", ")))
}

/// A port number: 1..=65535.
pub fn port_number(n: i32) -> Option<String> {
    (!(1..=65535).contains(&n)).then(|| format!("{n} is not a port number (1-65535)"))
}

/// A count that must not be negative.
pub fn non_negative(n: i64) -> Option<String> {
    (n < 0).then(|| format!("must be >= 0, got {n}"))
}

/// A count that must be positive.
pub fn positive(n: i64) -> Option<String> {
    (n < 1).then(|| format!("must be >= 1, got {n}"))
}

/// Folds the violations of one label (same key, same message) found in several label maps of
/// an object (`metadata.labels`, `spec.selector.matchLabels`, `spec.template.metadata.labels`,
/// ...) into one, at the pod template's labels when they are among them.
fn fold_repeated_labels(violations: Vec<Violation>) -> Vec<Violation> {
    // `<map>["key"]` where map ends in `labels` or `matchLabels`: (map, `["key"]`).
    fn split(path: &str) -> Option<(&str, &str)> {
        let at = path.rfind("[\"")?;
        let (map, key) = path.split_at(at);
        (map.ends_with("labels") || map.ends_with("matchLabels")).then_some((map, key))
    }
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, v) in violations.iter().enumerate() {
        if let Some((_, key)) = split(&v.path) {
            groups
                .entry((key.to_owned(), v.message.clone()))
                .or_default()
                .push(i);
        }
    }
    let mut drop = vec![false; violations.len()];
    let mut notes: BTreeMap<usize, String> = BTreeMap::new();
    for positions in groups.values().filter(|p| p.len() > 1) {
        let keep = positions
            .iter()
            .copied()
            .find(|&i| violations[i].path.contains("template.metadata.labels"))
            .unwrap_or(positions[0]);
        let others: Vec<&str> = positions
            .iter()
            .filter(|&&i| i != keep)
            .filter_map(|&i| split(&violations[i].path).map(|(map, _)| map))
            .collect();
        notes.insert(keep, format!(" (also in {})", others.join(", ")));
        for &i in positions.iter().filter(|&&i| i != keep) {
            drop[i] = true;
        }
    }
    violations
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !drop[*i])
        .map(|(i, mut v)| {
            if let Some(note) = notes.get(&i) {
                v.message.push_str(note);
            }
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(dns1123_label("a").is_none());
        assert!(dns1123_label("-a").is_some());
        assert!(dns1123_label("A").is_some());
        assert!(dns1123_label(&"a".repeat(64)).is_some());
        assert!(dns1123_subdomain("a.b-c.d").is_none());
        assert!(dns1123_subdomain("a..b").is_some());
        assert!(dns1035_label("1abc").is_some());
        assert!(dns1035_label("abc1").is_none());
    }

    #[test]
    fn ports() {
        assert!(port_name("http").is_none());
        assert!(port_name("h2c-8080").is_none());
        assert!(port_name("8080").is_some());
        assert!(port_name("a--b").is_some());
        assert!(port_name("Http").is_some());
        assert!(port_number(0).is_some());
        assert!(port_number(65536).is_some());
        assert!(port_number(80).is_none());
    }

    #[test]
    fn labels_and_keys() {
        assert!(label_key("app.kubernetes.io/name").is_none());
        assert!(label_key("/name").is_some());
        assert!(label_key("UPPER_ok.1").is_none());
        assert!(label_value("").is_none());
        assert!(label_value("-x").is_some());
        assert!(config_key("app.properties").is_none());
        assert!(config_key("..").is_some());
        assert!(config_key("a/b").is_some());
        assert!(env_var_name("MY_VAR.1").is_none());
        assert!(env_var_name("A=B").is_some());
    }
}
