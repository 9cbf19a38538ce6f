//! Errors: every failure names the object, the field path and what is wrong.
//!
//! ```
//! use kubeprint::{Error, ObjectRef, Violation};
//! let v = Violation::new(ObjectRef::new("Deployment", "web"), "spec.replicas", "must be >= 0, got -1");
//! assert_eq!(v.to_string(), r#"deployment "web": spec.replicas: must be >= 0, got -1"#);
//! let e = Error::Invalid(vec![v]);
//! assert!(e.to_string().starts_with("deployment \"web\""));
//! ```

use std::fmt;

/// The kind, namespace and name of an object, as messages print it: `deployment "web"`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    /// The Kubernetes kind, e.g. `Deployment`.
    pub kind: String,
    /// The namespace, when the object has one set.
    pub namespace: Option<String>,
    /// The object's `metadata.name`.
    pub name: String,
}

impl ObjectRef {
    /// A reference to a (namespace-less) object of `kind` named `name`.
    pub fn new(kind: impl Into<String>, name: impl Into<String>) -> Self {
        ObjectRef {
            kind: kind.into(),
            namespace: None,
            name: name.into(),
        }
    }

    /// The same reference in `namespace`.
    pub fn in_namespace(mut self, namespace: Option<impl Into<String>>) -> Self {
        self.namespace = namespace.map(Into::into);
        self
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind.to_ascii_lowercase();
        match &self.namespace {
            Some(ns) => write!(f, "{kind} \"{ns}/{}\"", self.name),
            None => write!(f, "{kind} \"{}\"", self.name),
        }
    }
}

/// One broken rule: which object, which field (a JSON-path-like string), and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The object the field belongs to.
    pub object: ObjectRef,
    /// Field path, e.g. `spec.template.spec.containers[0].ports[1].name`; empty for the whole object.
    pub path: String,
    /// What is wrong, in words.
    pub message: String,
}

impl Violation {
    /// A violation of `object` at `path`.
    pub fn new(object: ObjectRef, path: impl Into<String>, message: impl Into<String>) -> Self {
        Violation {
            object,
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.object, self.message)
        } else {
            write!(f, "{}: {}: {}", self.object, self.path, self.message)
        }
    }
}

struct Lines<'a>(&'a [Violation]);

impl fmt::Display for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong while building, checking or rendering objects.
///
/// Errors never contain secret values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// One or more objects break the apiserver's rules (or the bundle's cross-object checks).
    /// Displayed one violation per line.
    #[error("{}", Lines(.0))]
    Invalid(Vec<Violation>),
    /// A kubectl-style label selector string could not be parsed.
    #[error("label selector {input:?}: {message}")]
    Selector {
        /// The text given.
        input: String,
        /// What is wrong with it.
        message: String,
    },
    /// A CPU or memory quantity could not be parsed.
    #[error("quantity {input:?}: {message}")]
    Quantity {
        /// The text given.
        input: String,
        /// What is wrong with it.
        message: String,
    },
    /// Reading a file or directory for a ConfigMap or Secret failed.
    #[error("reading {path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Any other I/O error, so that `?` on a `std::io::Result` works in a function returning
    /// [`Result`] (e.g. a program writing its rendered YAML to a file):
    ///
    /// ```
    /// fn write_manifest(path: &std::path::Path, yaml: &str) -> kubeprint::Result<()> {
    ///     std::fs::write(path, yaml)?;
    ///     Ok(())
    /// }
    /// let err = write_manifest(std::path::Path::new("/nonexistent/dir/app.yaml"), "").unwrap_err();
    /// assert!(matches!(err, kubeprint::Error::StdIo(_)));
    /// ```
    #[error("I/O: {0}")]
    StdIo(#[from] std::io::Error),
    /// Serializing an object failed (should not happen for the types kubeprint makes).
    #[error("rendering {object}: {message}")]
    Render {
        /// The object being rendered.
        object: ObjectRef,
        /// The serializer's message.
        message: String,
    },
    /// A YAML or JSON document could not be read as a Kubernetes object
    /// ([`Object::from_json_str`](crate::Object::from_json_str) and friends).
    #[error("decoding {what}: {message}")]
    Decode {
        /// Which document (`document 2`, or the object when its kind and name are known).
        what: String,
        /// What is wrong with it (never a Secret's value).
        message: String,
    },
    /// The system random number generator failed while generating a secret value.
    #[error("generating a random value for {object}: {message}")]
    Random {
        /// The Secret being generated.
        object: ObjectRef,
        /// The cause.
        message: String,
    },
}

impl Error {
    /// The violations, when this is [`Error::Invalid`].
    pub fn violations(&self) -> &[Violation] {
        match self {
            Error::Invalid(v) => v,
            _ => &[],
        }
    }
}

/// `Result` with kubeprint's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
