//! Names, labels, annotations and the customization hook every builder shares.
//!
//! ```
//! use kubeprint::Labels;
//! let labels = Labels::from([("app", "kuard"), ("version", "2")]);
//! assert_eq!(labels.get("app"), Some("kuard"));
//! assert_eq!(labels.to_string(), "app=kuard,version=2");
//! ```

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// An ordered map of label (or annotation) keys to values.
///
/// Ordered so that rendering is byte-for-byte stable.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels(BTreeMap<String, String>);

/// Annotations share the representation of [`Labels`]; they are validated differently.
pub type Annotations = Labels;

impl Labels {
    /// An empty map.
    pub fn new() -> Self {
        Labels::default()
    }

    /// Returns the map with `key=value` added (replacing an earlier value of `key`).
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.insert(key, value);
        self
    }

    /// Adds `key=value`, replacing an earlier value of `key`.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.insert(key.into(), value.into());
    }

    /// Adds every entry of `other`, whose values win.
    pub fn merge(&mut self, other: &Labels) {
        for (k, v) in &other.0 {
            self.0.insert(k.clone(), v.clone());
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether every entry of `self` is also in `other` (`self` selects `other`).
    pub fn is_subset_of(&self, other: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|(k, v)| other.get(k) == Some(v))
    }

    /// The underlying map.
    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// The map as Kubernetes objects hold it: `None` when empty.
    pub fn to_option(&self) -> Option<BTreeMap<String, String>> {
        (!self.0.is_empty()).then(|| self.0.clone())
    }
}

impl fmt::Display for Labels {
    /// kubectl's `key=value,key=value` form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

impl<K: Into<String>, V: Into<String>, const N: usize> From<[(K, V); N]> for Labels {
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Labels {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Labels(iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

impl From<BTreeMap<String, String>> for Labels {
    fn from(map: BTreeMap<String, String>) -> Self {
        Labels(map)
    }
}

impl From<Labels> for BTreeMap<String, String> {
    fn from(labels: Labels) -> Self {
        labels.0
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'a String, &'a String);
    type IntoIter = std::collections::btree_map::Iter<'a, String, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Functions run on the finished `k8s-openapi` object before it is validated: the escape hatch
/// for any field a builder does not cover.
///
/// Every builder has a `customize` method that adds one:
/// ```
/// # use kubeprint::prelude::*;
/// let cm = ConfigMap::builder()
///     .name("settings")
///     .customize(|cm: &mut k8s_openapi::api::core::v1::ConfigMap| {
///         cm.metadata.finalizers = Some(vec!["example.com/keep".into()]);
///     })
///     .build();
/// let object = cm.to_object().unwrap();
/// assert_eq!(object.metadata.finalizers.unwrap()[0], "example.com/keep");
/// ```
pub struct Customize<K>(Vec<Arc<dyn Fn(&mut K) + Send + Sync>>);

impl<K> Customize<K> {
    /// Adds a hook.
    pub fn push(&mut self, f: impl Fn(&mut K) + Send + Sync + 'static) {
        self.0.push(Arc::new(f));
    }

    /// Runs every hook, in the order added, on `object`.
    pub fn apply(&self, object: &mut K) {
        for f in &self.0 {
            f(object);
        }
    }
}

impl<K> Default for Customize<K> {
    fn default() -> Self {
        Customize(Vec::new())
    }
}

impl<K> Clone for Customize<K> {
    fn clone(&self) -> Self {
        Customize(self.0.clone())
    }
}

impl<K> fmt::Debug for Customize<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Customize({} hooks)", self.0.len())
    }
}

/// `metadata` for an object with these fields.
pub(crate) fn object_meta(
    name: &str,
    namespace: Option<&String>,
    labels: &Labels,
    annotations: &Annotations,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: namespace.cloned(),
        labels: labels.to_option(),
        annotations: annotations.to_option(),
        ..ObjectMeta::default()
    }
}
