//! A [`Bundle`]: the objects of one application, in a deterministic install order, checked
//! against each other, rendered to YAML or JSON.
//!
//! ```
//! use kubeprint::prelude::*;
//! let mut app = Bundle::new("demo");
//! app.add(ConfigMap::builder().name("zeta").entry("level", "debug").build())?;
//! app.add(ConfigMap::builder().name("alpha").entry("level", "info").build())?;
//! let yaml = app.to_yaml()?;
//! // Objects are ordered by install rank, kind and name, whatever the order they were added in.
//! assert!(yaml.find("name: alpha").unwrap() < yaml.find("name: zeta").unwrap());
//! # Ok::<(), kubeprint::Error>(())
//! ```

use crate::error::{Error, ObjectRef, Result, Violation};
use crate::object::{Manifest, Object};
use std::collections::BTreeSet;

/// The objects of one application.
///
/// Objects are kept sorted by install rank (namespaces, then service accounts, secrets,
/// config and storage, then services, then workloads, then jobs), then kind, namespace and name,
/// so the same objects always render to the same bytes whatever order they were added in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bundle {
    name: String,
    objects: Vec<Object>,
    external: BTreeSet<(String, String)>,
}

fn sort_key(o: &Object) -> (u8, &'static str, Option<&str>, &str) {
    (o.install_rank(), o.kind(), o.namespace(), o.name())
}

impl Bundle {
    /// An empty bundle. `name` identifies the application (the apply client's pruning set is
    /// keyed by it), so keep it stable.
    pub fn new(name: impl Into<String>) -> Self {
        Bundle { name: name.into(), ..Bundle::default() }
    }

    /// The bundle's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Builds, validates and adds one object. Adding a second object of the same kind, namespace
    /// and name is an error.
    pub fn add<M: Manifest>(&mut self, manifest: M) -> Result<&mut Self> {
        let object: Object = manifest.to_object()?.into();
        self.insert(object)?;
        Ok(self)
    }

    /// Like [`Bundle::add`], by value, for chaining.
    pub fn with<M: Manifest>(mut self, manifest: M) -> Result<Self> {
        self.add(manifest)?;
        Ok(self)
    }

    /// Adds every object (and external declaration) of `other`; for composing blueprints.
    pub fn extend(&mut self, other: Bundle) -> Result<&mut Self> {
        for object in other.objects {
            self.insert(object)?;
        }
        self.external.extend(other.external);
        Ok(self)
    }

    fn insert(&mut self, object: Object) -> Result<()> {
        let key = sort_key(&object);
        match self.objects.binary_search_by(|o| sort_key(o).cmp(&key)) {
            Ok(_) => Err(Error::Invalid(vec![Violation::new(
                object.object_ref(),
                "",
                format!("is already in bundle {:?}", self.name),
            )])),
            Err(pos) => {
                self.objects.insert(pos, object);
                Ok(())
            }
        }
    }

    /// Declares that an object this bundle refers to (a Secret, ConfigMap,
    /// PersistentVolumeClaim, ServiceAccount, Service ...) exists outside the bundle, so the
    /// reference check accepts it.
    pub fn external(&mut self, kind: &str, name: impl Into<String>) -> &mut Self {
        self.external.insert((kind.to_owned(), name.into()));
        self
    }

    /// Whether `kind`/`name` was declared external.
    pub fn is_external(&self, kind: &str, name: &str) -> bool {
        self.external.contains(&(kind.to_owned(), name.to_owned()))
    }

    /// Sets `namespace` on every namespaced object that has none.
    pub fn set_namespace(&mut self, namespace: &str) -> &mut Self {
        for o in &mut self.objects {
            if o.is_namespaced() && o.namespace().is_none() {
                o.metadata_mut().namespace = Some(namespace.to_owned());
            }
        }
        self.objects.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
        self
    }

    /// The objects, in install order.
    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    /// The objects, mutably (for last-minute changes; they are validated again on render/apply).
    pub fn objects_mut(&mut self) -> &mut [Object] {
        &mut self.objects
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether the bundle is empty.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The object of `kind` named `name`, if any.
    pub fn get(&self, kind: &str, name: &str) -> Option<&Object> {
        self.objects.iter().find(|o| o.kind() == kind && o.name() == name)
    }

    /// Validates every object again and checks the references between them (see
    /// [`crate::references`]).
    pub fn check(&self) -> Result<()> {
        let mut violations = Vec::new();
        for o in &self.objects {
            if let Err(e) = o.validate() {
                violations.extend(e.violations().iter().cloned());
            }
        }
        violations.extend(crate::references::check(self));
        if violations.is_empty() { Ok(()) } else { Err(Error::Invalid(violations)) }
    }

    /// Multi-document YAML that `kubectl apply -f` takes, after [`Bundle::check`].
    pub fn to_yaml(&self) -> Result<String> {
        self.check()?;
        let mut out = String::new();
        for (i, o) in self.objects.iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            let doc = serde_saphyr::to_string(o).map_err(|e| render_error(o.object_ref(), e))?;
            out.push_str(&doc);
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
        Ok(out)
    }

    /// A pretty-printed `v1` `List` of the objects (also accepted by `kubectl apply -f`), after
    /// [`Bundle::check`].
    pub fn to_json(&self) -> Result<String> {
        self.check()?;
        let items = self.objects.iter().map(Object::to_json_value).collect::<Result<Vec<_>>>()?;
        let list = serde_json::json!({ "apiVersion": "v1", "kind": "List", "items": items });
        let mut s = serde_json::to_string_pretty(&list)
            .map_err(|e| render_error(ObjectRef::new("List", self.name.clone()), e))?;
        s.push('\n');
        Ok(s)
    }
}

fn render_error(object: ObjectRef, e: impl std::fmt::Display) -> Error {
    Error::Render { object, message: e.to_string() }
}

impl<'a> IntoIterator for &'a Bundle {
    type Item = &'a Object;
    type IntoIter = std::slice::Iter<'a, Object>;
    fn into_iter(self) -> Self::IntoIter {
        self.objects.iter()
    }
}
