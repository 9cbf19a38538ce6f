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
//!
//! # Rolling pods when their configuration changes
//!
//! Kubernetes does not restart pods when a ConfigMap or Secret they read changes. A pod
//! template that opts in with the annotation [`ROLLOUT_ON_CONFIG_CHANGE`]` = "true"` gets the
//! annotation [`CONFIG_CHECKSUM`]: a SHA-256 over the ConfigMaps and Secrets *in the bundle*
//! that its volumes, `env` and `envFrom` read. Any change to their data changes the template,
//! so Deployments, StatefulSets and DaemonSets roll their pods (a CronJob's next Jobs get the
//! new configuration anyway; the checksum just records it). Bare Pods and Jobs are left alone:
//! their templates cannot change.
//!
//! The checksum is kept up to date by the bundle itself, on every [`Bundle::add`],
//! [`Bundle::extend`], [`Bundle::set_namespace`] and after every [`Bundle::objects_mut`], so
//! [`Bundle::objects`], the renderers and the apply client all see the same value.
//!
//! Values of a Secret's *generate-once* keys (see
//! [`GENERATE_ONCE_ANNOTATION`](crate::object::GENERATE_ONCE_ANNOTATION)) are left out: they are
//! random on every build but the cluster keeps the first one, so hashing them would roll the
//! pods on every apply. The checksum covers the other keys, their values, and which objects
//! were read. Note that a SHA-256 of a low-entropy secret value can be guessed by brute force
//! by whoever can read the pod template; keep such values out of opted-in pods' Secrets.
//!
//! ```
//! use kubeprint::bundle::{CONFIG_CHECKSUM, ROLLOUT_ON_CONFIG_CHANGE};
//! use kubeprint::prelude::*;
//! use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
//! use k8s_openapi::api::core::v1::{ConfigMapVolumeSource, Container, PodSpec, PodTemplateSpec, Volume};
//! use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
//!
//! let labels = Labels::from([("app", "web")]);
//! let web = Deployment {
//!     metadata: ObjectMeta { name: Some("web".into()), ..Default::default() },
//!     spec: DeploymentSpec {
//!         selector: LabelSelector { match_labels: labels.to_option(), ..Default::default() },
//!         template: PodTemplateSpec {
//!             metadata: Some(ObjectMeta {
//!                 labels: labels.to_option(),
//!                 annotations: Some([(ROLLOUT_ON_CONFIG_CHANGE.to_owned(), "true".to_owned())].into()),
//!                 ..Default::default()
//!             }),
//!             spec: Some(PodSpec {
//!                 containers: vec![Container { name: "web".into(), image: Some("nginx:1.29".into()), ..Default::default() }],
//!                 volumes: Some(vec![Volume {
//!                     name: "settings".into(),
//!                     config_map: Some(ConfigMapVolumeSource { name: "settings".into(), ..Default::default() }),
//!                     ..Default::default()
//!                 }]),
//!                 ..Default::default()
//!             }),
//!         },
//!         ..Default::default()
//!     },
//!     ..Default::default()
//! };
//! let checksum = |level: &str| -> kubeprint::Result<String> {
//!     let mut app = Bundle::new("web");
//!     app.add(web.clone())?;
//!     app.add(ConfigMap::builder().name("settings").entry("level", level).build())?;
//!     let meta = app.objects().iter().find_map(|o| match o {
//!         Object::Deployment(d) => d.spec.template.metadata.clone(),
//!         _ => None,
//!     });
//!     Ok(meta.and_then(|m| m.annotations?.get(CONFIG_CHECKSUM).cloned()).unwrap_or_default())
//! };
//! assert_eq!(checksum("debug")?.len(), 64);
//! assert_eq!(checksum("debug")?, checksum("debug")?);
//! assert_ne!(checksum("debug")?, checksum("info")?);
//! # Ok::<(), kubeprint::Error>(())
//! ```

mod import;
pub(crate) mod index;

use crate::error::{Error, ObjectRef, Result, Violation};
use crate::meta::Labels;
use crate::object::refs;
use crate::object::{Manifest, Object, Tier};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::ops::{Deref, DerefMut};

/// Pod-template annotation: set it to `"true"` to have the bundle maintain
/// [`CONFIG_CHECKSUM`] on the template, so pods roll when their configuration changes.
pub const ROLLOUT_ON_CONFIG_CHANGE: &str = "kubeprint.dev/rollout-on-config-change";

/// Pod-template annotation the bundle maintains on templates that opt in with
/// [`ROLLOUT_ON_CONFIG_CHANGE`]: lowercase hex SHA-256 of the configuration the pods read.
pub const CONFIG_CHECKSUM: &str = "kubeprint.dev/config-checksum";

/// Where namespace-less objects of a bundle without a target namespace land.
const DEFAULT_NAMESPACE: &str = "default";

/// The objects of one application.
///
/// Objects are kept sorted by install rank (namespaces, then service accounts, secrets,
/// config and storage, then services, then workloads, then jobs), then kind, namespace and name,
/// so the same objects always render to the same bytes whatever order they were added in.
///
/// `Debug` never shows Secret values (see [`Object`]).
#[derive(Clone, Default)]
pub struct Bundle {
    name: String,
    namespace: Option<String>,
    objects: Vec<Object>,
    /// `(lowercase kind, name)`.
    external: BTreeSet<(String, String)>,
    external_pods: BTreeSet<Labels>,
    /// Labels and annotations of every object ([`Bundle::label`], [`Bundle::annotate`]).
    labels: Labels,
    annotations: Labels,
    /// The opted-in pod templates (see [`ROLLOUT_ON_CONFIG_CHANGE`]) by what they read, so
    /// that adding an object recomputes the checksums of the templates that read it and of no
    /// other (looking at every object on every add made building a bundle quadratic). A
    /// function of `objects`: left out of `==` and `Debug`.
    readers: BTreeMap<ReadKey, BTreeSet<OwnedKey>>,
    /// How the generate-once keys of Secret builders were made, by (Secret name, key), for
    /// [`Bundle::derive_generated`]. Left out of `==` and `Debug`.
    generated: BTreeMap<(String, String), crate::secret::Generate>,
    /// CRDs registered with [`Bundle::know_crd`] (installed by someone else), by name: they
    /// give custom objects their plural and scope and are checked against, never rendered.
    known_crds: BTreeMap<String, CustomResourceDefinition>,
    /// `(kind, field path)`: fields hidden as secret in every custom object of the kind
    /// ([`Bundle::secret_field`]).
    secret_fields: BTreeSet<(String, String)>,
}

/// What a pod template reads: (kind, namespace, name).
type ReadKey = (String, Option<String>, String);

/// `(install rank, group, kind, namespace, name)`: built-in kinds each have their own rank (so
/// their order is rank, namespace, name); custom kinds share one and sort by group and kind.
type SortKey<'a> = (u8, &'a str, &'a str, Option<&'a str>, &'a str);

/// A [`SortKey`] that borrows nothing.
type OwnedKey = (u8, String, String, Option<String>, String);

pub(crate) fn sort_key(o: &Object) -> SortKey<'_> {
    (
        o.install_rank(),
        o.group(),
        o.kind(),
        o.namespace(),
        o.name(),
    )
}

fn owned_key(o: &Object) -> OwnedKey {
    (
        o.install_rank(),
        o.group().to_owned(),
        o.kind().to_owned(),
        o.namespace().map(str::to_owned),
        o.name().to_owned(),
    )
}

impl PartialEq for Bundle {
    fn eq(&self, other: &Self) -> bool {
        // `readers` follows from the objects.
        self.name == other.name
            && self.namespace == other.namespace
            && self.objects == other.objects
            && self.external == other.external
            && self.external_pods == other.external_pods
            && self.labels == other.labels
            && self.annotations == other.annotations
    }
}

impl std::fmt::Debug for Bundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bundle")
            .field("name", &self.name)
            .field("namespace", &self.namespace)
            .field("objects", &self.objects)
            .field("external", &self.external)
            .field("external_pods", &self.external_pods)
            .field("labels", &self.labels)
            .field("annotations", &self.annotations)
            .finish()
    }
}

impl Bundle {
    /// An empty bundle. `name` identifies the application (the apply client's pruning set is
    /// keyed by it), so keep it stable.
    pub fn new(name: impl Into<String>) -> Self {
        Bundle {
            name: name.into(),
            ..Bundle::default()
        }
    }

    /// The bundle's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The target namespace set by [`Bundle::set_namespace`], if any.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// Builds, validates and adds one object. Adding a second object of the same kind, namespace
    /// and name is an error. A namespaced object without a namespace gets the bundle's target
    /// namespace, if one is set.
    pub fn add<M: Manifest>(&mut self, manifest: M) -> Result<&mut Self> {
        let object: Object = manifest.to_object()?.into();
        let name = object.name().to_owned();
        self.insert_all(vec![object])?;
        for (key, how) in manifest.generated_keys() {
            self.generated.insert((name.clone(), key), how);
        }
        Ok(self)
    }

    /// Remakes every value the bundle's Secret builders generated once from `seed` (see
    /// [`Seed`](crate::secret::Seed)), keyed by the Secret's namespace (empty without one),
    /// name and key: the same seed gives the same bytes on every run, another seed other
    /// values. Keys of Secrets not made by a builder's `generated` (a raw `k8s-openapi` Secret
    /// carrying the annotation) keep the value the program gave.
    ///
    /// The apply client still keeps the live value of a generate-once key: the seed decides only
    /// what a new Secret gets, and what `render` prints.
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// use kubeprint::secret::{Generate, Seed};
    /// let app = || {
    ///     let mut b = Bundle::new("shop");
    ///     b.set_namespace("shop-prod");
    ///     b.add(Secret::builder().name("db").generated("password", Generate::alphanumeric()).build())?;
    ///     Ok::<_, kubeprint::Error>(b)
    /// };
    /// let seed = Seed::new("from a file only the operator holds");
    /// let (mut one, mut two) = (app()?, app()?);
    /// assert_ne!(one.to_yaml()?, two.to_yaml()?); // the CSPRNG: new values on every build
    /// one.derive_generated(&seed)?;
    /// two.derive_generated(&seed)?;
    /// assert_eq!(one.to_yaml()?, two.to_yaml()?);
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn derive_generated(&mut self, seed: &crate::secret::Seed) -> Result<&mut Self> {
        self.derive_generated_in(seed, None)
    }

    /// Whether a Secret builder of the bundle generates a value once: without
    /// [`Bundle::derive_generated`], rendering such a bundle prints new values on every run.
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// let app = Bundle::new("a").with(Secret::builder().name("s").generated("pw", Default::default()).build())?;
    /// assert!(app.has_generated());
    /// assert!(!Bundle::new("b").has_generated());
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn has_generated(&self) -> bool {
        !self.generated.is_empty()
    }

    /// [`Bundle::derive_generated`], keying namespace-less objects by `default_namespace`.
    pub(crate) fn derive_generated_in(
        &mut self,
        seed: &crate::secret::Seed,
        default_namespace: Option<&str>,
    ) -> Result<&mut Self> {
        if self.generated.is_empty() {
            return Ok(self);
        }
        let generated = self.generated.clone();
        let target = self.namespace.clone();
        let mut objects = self.objects_mut();
        for o in objects.iter_mut() {
            let keys = o.generate_once_keys();
            let Object::Secret(secret) = o else { continue };
            let name = secret.metadata.name.clone().unwrap_or_default();
            let ns = secret
                .metadata
                .namespace
                .clone()
                .or_else(|| target.clone())
                .or_else(|| default_namespace.map(str::to_owned))
                .unwrap_or_default();
            for key in keys {
                let Some(how) = generated.get(&(name.clone(), key.clone())) else {
                    continue;
                };
                let value = seed.derive(&ns, &name, &key, *how).map_err(|message| {
                    crate::Error::Random {
                        object: crate::ObjectRef::new("Secret", name.clone())
                            .in_namespace(Some(ns.clone())),
                        message,
                    }
                })?;
                if let Some(data) = secret.data.as_mut()
                    && let Some(v) = data.get_mut(&key)
                {
                    v.0 = value.expose().to_vec();
                }
            }
        }
        drop(objects);
        Ok(self)
    }

    /// Adds an object of a kube-rs resource type: `#[derive(kube::CustomResource)]` types and
    /// kopium-generated ones (see [`CustomObject::from_kube`]). Its plural and scope come from
    /// the type, or from its CRD when the bundle has it.
    ///
    /// [`CustomObject::from_kube`]: crate::object::CustomObject::from_kube
    #[cfg(feature = "client")]
    pub fn add_resource<T>(&mut self, object: &T) -> Result<&mut Self>
    where
        T: kube::Resource<DynamicType = ()> + serde::Serialize,
        T::Scope: 'static,
    {
        self.add(crate::object::CustomObject::from_kube(object)?)
    }

    /// Adds a `DynamicObject` of the type `api` describes (see
    /// [`CustomObject::from_dynamic`](crate::object::CustomObject::from_dynamic)).
    #[cfg(feature = "client")]
    pub fn add_dynamic(
        &mut self,
        object: &kube::api::DynamicObject,
        api: &kube::api::ApiResource,
        namespaced: bool,
    ) -> Result<&mut Self> {
        self.add(crate::object::CustomObject::from_dynamic(
            object, api, namespaced,
        )?)
    }

    /// Like [`Bundle::add`], by value, for chaining.
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// let app = Bundle::new("demo").with(ConfigMap::builder().name("settings").entry("a", "b").build())?;
    /// assert_eq!(app.len(), 1);
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn with<M: Manifest>(mut self, manifest: M) -> Result<Self> {
        self.add(manifest)?;
        Ok(self)
    }

    /// Adds every object, external declaration and external pod set of `other`; for composing
    /// blueprints. All or nothing: when one object is already in `self`, nothing is added.
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// let mut app = Bundle::new("app").with(ConfigMap::builder().name("a").build())?;
    /// let db = Bundle::new("db").with(ConfigMap::builder().name("b").build())?;
    /// app.extend(db.clone())?;
    /// assert_eq!(app.len(), 2);
    /// assert!(app.extend(db).is_err()); // "b" is already there
    /// assert_eq!(app.len(), 2);
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn extend(&mut self, other: Bundle) -> Result<&mut Self> {
        self.insert_all(other.objects)?;
        self.generated.extend(other.generated);
        self.external.extend(other.external);
        self.external_pods.extend(other.external_pods);
        Ok(self)
    }

    /// Inserts objects, all or none.
    fn insert_all(&mut self, objects: Vec<Object>) -> Result<()> {
        let mut objects = objects;
        self.resolve_custom(&mut objects);
        for o in &mut objects {
            self.apply_namespace(o);
        }
        let mut violations = Vec::new();
        let mut seen: BTreeSet<SortKey<'_>> = BTreeSet::new();
        let mut positions = Vec::with_capacity(objects.len());
        for o in &objects {
            let key = sort_key(o);
            let (pos, present) = self.position(key);
            positions.push(pos);
            if present || (objects.len() > 1 && !seen.insert(key)) {
                violations.push(Violation::new(
                    o.object_ref(),
                    "",
                    format!("is already in bundle {:?}", self.name),
                ));
            }
        }
        if !violations.is_empty() {
            return Err(Error::Invalid(violations));
        }
        drop(seen);
        // Opted-in templates go stale when added, and so do the templates that read an added
        // object (a ConfigMap or Secret, or a claim: the checksum names those it finds).
        let mut stale = BTreeSet::new();
        for o in &objects {
            if rolls_out(o) {
                add_reader(
                    &mut self.readers,
                    self.namespace.as_deref().unwrap_or(DEFAULT_NAMESPACE),
                    o,
                );
                stale.insert(owned_key(o));
            }
        }
        if !self.readers.is_empty() {
            for o in &objects {
                let read = (
                    o.kind().to_owned(),
                    self.namespace_of(o).map(str::to_owned),
                    o.name().to_owned(),
                );
                stale.extend(self.readers.get(&read).into_iter().flatten().cloned());
            }
        }
        if let &[pos] = positions.as_slice()
            && let Some(o) = objects.pop()
        {
            self.objects.insert(pos, o);
        } else {
            // Many objects go in by one sort rather than many shifts.
            self.objects.extend(objects);
            self.objects.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
        }
        let updates = stale
            .iter()
            .flat_map(|key| {
                let key = (
                    key.0,
                    key.1.as_str(),
                    key.2.as_str(),
                    key.3.as_deref(),
                    key.4.as_str(),
                );
                let start = self.objects.partition_point(|o| sort_key(o) < key);
                self.objects[start..]
                    .iter()
                    .take_while(move |o| sort_key(o) == key)
                    .enumerate()
                    .map(move |(i, o)| (start + i, o))
            })
            .filter(|(_, o)| rolls_out(o))
            .map(|(i, o)| (i, self.config_checksum(o)))
            .collect();
        self.set_checksums(updates);
        Ok(())
    }

    /// Gives custom objects the plural and scope their CRD says (one of `incoming`, of the
    /// bundle, or known), and corrects the bundle's custom objects of the kinds of incoming CRDs.
    fn resolve_custom(&mut self, incoming: &mut [Object]) {
        let has_custom = |os: &[Object]| os.iter().any(|o| matches!(o, Object::Custom(_)));
        let has_crd = |os: &[Object]| {
            os.iter()
                .any(|o| matches!(o, Object::CustomResourceDefinition(_)))
        };
        let corrects = has_crd(incoming) && has_custom(&self.objects);
        if !(has_custom(incoming) || corrects) {
            return;
        }
        let mut kinds: BTreeMap<(String, String), (String, bool)> = BTreeMap::new();
        let crds = self
            .known_crds
            .values()
            .chain(self.crds())
            .chain(incoming.iter().filter_map(|o| match o {
                Object::CustomResourceDefinition(c) => Some(c.as_ref()),
                _ => None,
            }));
        for crd in crds {
            let (group, kind, plural, namespaced) =
                crate::api::apiextensions::customresourcedefinition::served_kind(crd);
            kinds.insert(
                (group.to_owned(), kind.to_owned()),
                (plural.to_owned(), namespaced),
            );
        }
        let target = self.namespace.clone();
        let fix = |o: &mut Object| {
            if let Object::Custom(c) = o
                && let Some((plural, namespaced)) =
                    kinds.get(&(c.group().to_owned(), c.kind().to_owned()))
            {
                if c.is_namespaced() && !namespaced && c.metadata.namespace == target {
                    // Given the target namespace while the kind's scope was guessed.
                    c.metadata.namespace = None;
                }
                c.set_resource(plural, *namespaced);
            }
        };
        incoming.iter_mut().for_each(fix);
        if corrects {
            self.objects.iter_mut().for_each(fix);
            self.normalize();
        }
    }

    /// The bundle's CustomResourceDefinitions.
    pub(crate) fn crds(&self) -> impl Iterator<Item = &CustomResourceDefinition> {
        // CRDs have the lowest rank: they come first.
        self.objects.iter().map_while(|o| match o {
            Object::CustomResourceDefinition(c) => Some(c.as_ref()),
            _ => None,
        })
    }

    /// Registers a CRD installed by someone else (a vendor's chart, the cluster's
    /// administrators): the bundle's custom objects of its kind get its plural and scope, and
    /// [`Bundle::check`] validates them against its schema. The CRD is not part of the bundle:
    /// it is neither rendered nor applied.
    ///
    /// ```
    /// # use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::*;
    /// use kubeprint::object::CustomObject;
    /// use kubeprint::prelude::*;
    /// let mut crd = CustomResourceDefinition::default();
    /// crd.metadata.name = Some("policies.example.com".into());
    /// crd.spec.group = "example.com".into();
    /// crd.spec.names.kind = "Policy".into();
    /// crd.spec.names.plural = "policies".into();
    /// crd.spec.scope = "Cluster".into();
    /// let mut app = Bundle::new("p");
    /// app.know_crd(crd);
    /// app.add(CustomObject::new("example.com/v1", "Policy", "guessed", true).with_name("strict"))?;
    /// assert!(!app.objects()[0].is_namespaced());
    /// assert_eq!(app.objects()[0].plural(), "policies");
    /// assert_eq!(app.len(), 1); // the CRD itself is not in the bundle
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn know_crd(&mut self, crd: CustomResourceDefinition) -> &mut Self {
        let name = crd.metadata.name.clone().unwrap_or_default();
        self.known_crds.insert(name, crd);
        // Re-resolve the bundle's custom objects (as if added again) against every CRD known.
        let mut objects = std::mem::take(&mut self.objects);
        self.resolve_custom(&mut objects);
        self.objects = objects;
        self.normalize();
        self
    }

    /// The CRD of the kind of a custom object: the bundle's own, else a known one.
    pub(crate) fn crd_of(&self, group: &str, kind: &str) -> Option<&CustomResourceDefinition> {
        self.crds()
            .chain(self.known_crds.values())
            .find(|c| c.spec.group == group && c.spec.names.kind == kind)
    }

    /// Where an object with sort key `key` goes, and whether one is already there.
    fn position(&self, key: SortKey<'_>) -> (usize, bool) {
        let pos = self.objects.partition_point(|e| sort_key(e) < key);
        let present = self.objects.get(pos).is_some_and(|e| sort_key(e) == key);
        (pos, present)
    }

    fn apply_namespace(&self, o: &mut Object) {
        if let Some(ns) = &self.namespace
            && o.is_namespaced()
            && o.namespace().is_none()
        {
            o.metadata_mut().namespace = Some(ns.clone());
        }
        add_missing(&mut o.metadata_mut().labels, &self.labels);
        add_missing(&mut o.metadata_mut().annotations, &self.annotations);
        if let Object::Custom(c) = o {
            for (kind, path) in &self.secret_fields {
                if c.kind() == kind {
                    c.add_secret_field(path.clone());
                }
            }
        }
    }

    /// Hides field `path` of every custom object of `kind` in the bundle, those in it and those
    /// added or imported later, as [`CustomObject::with_secret_field`](crate::object::CustomObject::with_secret_field)
    /// does for one: `render --redact`, snapshots, diffs, `Debug` and error messages show
    /// `<redacted>` instead of the value. For kinds whose objects come from YAML
    /// ([`Bundle::import_yaml`]) or from a derived type.
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// let mut app = Bundle::new("shop");
    /// app.secret_field("Database", "spec.password");
    /// app.import_yaml("
    /// apiVersion: example.com/v1
    /// kind: Database
    /// metadata: {name: orders}
    /// spec: {user: app, password: s3cr3t-pw}
    /// ")?;
    /// let shown = kubeprint::testing::redacted_yaml(&app)?;
    /// assert!(shown.contains("password: <redacted>") && !shown.contains("s3cr3t-pw"));
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn secret_field(&mut self, kind: impl Into<String>, path: impl Into<String>) -> &mut Self {
        let (kind, path) = (kind.into(), path.into());
        for o in &mut self.objects {
            if let Object::Custom(c) = o
                && c.kind() == kind
            {
                c.add_secret_field(path.clone());
            }
        }
        self.secret_fields.insert((kind, path));
        self
    }

    /// Labels every object of the bundle, those in it and those added later, with
    /// `key: value` (`app.kubernetes.io/part-of`, an environment...). An object that sets the
    /// label itself keeps its own value. Only the objects' own metadata is labelled, not pod
    /// templates or selectors: changing a template rolls every pod (and a Job's template
    /// cannot change), and selectors are immutable; label pods with the pod template.
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// let mut app = Bundle::new("shop");
    /// app.add(ConfigMap::builder().name("a").build())?;
    /// app.label("app.kubernetes.io/part-of", "shop").label("env", "prod");
    /// app.add(ConfigMap::builder().name("b").labels(Labels::new().with("env", "canary")).build())?;
    /// app.annotate("owner", "team-shop");
    /// let labels = |app: &Bundle, name| app.get("ConfigMap", name).unwrap().metadata().labels.clone().unwrap();
    /// assert_eq!(labels(&app, "a")["env"], "prod");
    /// assert_eq!(labels(&app, "b")["env"], "canary"); // its own value wins
    /// assert_eq!(labels(&app, "b")["app.kubernetes.io/part-of"], "shop");
    /// let annotations = app.get("ConfigMap", "a").unwrap().metadata().annotations.clone().unwrap();
    /// assert_eq!(annotations["owner"], "team-shop");
    /// app.label("env", "staging"); // relabels what had the bundle's "prod", not "canary"
    /// assert_eq!(labels(&app, "a")["env"], "staging");
    /// assert_eq!(labels(&app, "b")["env"], "canary");
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn label(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        let (key, value) = (key.into(), value.into());
        let previous = self.labels.get(&key).map(str::to_owned);
        for o in &mut self.objects {
            set_common(
                &mut o.metadata_mut().labels,
                &key,
                &value,
                previous.as_deref(),
            );
        }
        self.labels.insert(key, value);
        self.normalize();
        self
    }

    /// Annotates every object of the bundle, those in it and those added later, with
    /// `key: value`; an object that sets the annotation itself keeps its own value (see
    /// [`Bundle::label`]).
    pub fn annotate(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        let (key, value) = (key.into(), value.into());
        let previous = self.annotations.get(&key).map(str::to_owned);
        for o in &mut self.objects {
            set_common(
                &mut o.metadata_mut().annotations,
                &key,
                &value,
                previous.as_deref(),
            );
        }
        self.annotations.insert(key, value);
        self.normalize();
        self
    }

    /// Declares that an object this bundle refers to exists outside the bundle, so the
    /// reference check accepts it. `kind` is the Kubernetes kind (`Secret`, `ConfigMap`,
    /// `PersistentVolumeClaim`, `ServiceAccount`, `Service`, `Deployment` ...; compared without
    /// regard to case); the declaration holds in every namespace. Declare `Endpoints` named
    /// like a selector-less Service when its endpoints are managed outside the bundle.
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// let mut app = Bundle::new("web");
    /// app.external("Secret", "tls-cert").external_config_map("shared-settings");
    /// assert!(app.is_external("secret", "tls-cert"));
    /// assert!(app.is_external("ConfigMap", "shared-settings"));
    /// ```
    pub fn external(&mut self, kind: &str, name: impl Into<String>) -> &mut Self {
        self.external
            .insert((kind.to_ascii_lowercase(), name.into()));
        self
    }

    /// Declares an external Secret (e.g. one cert-manager or an operator creates).
    pub fn external_secret(&mut self, name: impl Into<String>) -> &mut Self {
        self.external("Secret", name)
    }

    /// Declares an external ConfigMap.
    pub fn external_config_map(&mut self, name: impl Into<String>) -> &mut Self {
        self.external("ConfigMap", name)
    }

    /// Declares an external PersistentVolumeClaim.
    pub fn external_volume_claim(&mut self, name: impl Into<String>) -> &mut Self {
        self.external("PersistentVolumeClaim", name)
    }

    /// Declares an external ServiceAccount.
    pub fn external_service_account(&mut self, name: impl Into<String>) -> &mut Self {
        self.external("ServiceAccount", name)
    }

    /// Declares an external Service (for Ingress backends and StatefulSet `serviceName`).
    pub fn external_service(&mut self, name: impl Into<String>) -> &mut Self {
        self.external("Service", name)
    }

    /// Declares that the endpoints of the selector-less Service `service` are managed outside
    /// the bundle.
    pub fn external_endpoints(&mut self, service: impl Into<String>) -> &mut Self {
        self.external("Endpoints", service)
    }

    /// Declares that pods labelled `labels` exist outside the bundle (run by an operator or
    /// another bundle), so Services, PodDisruptionBudgets and NetworkPolicies of this bundle
    /// may select them. Their ports are not checked.
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// let mut app = Bundle::new("web");
    /// app.external_pods(Labels::from([("app", "legacy")]));
    /// ```
    pub fn external_pods(&mut self, labels: impl Into<Labels>) -> &mut Self {
        self.external_pods.insert(labels.into());
        self
    }

    /// Whether `kind`/`name` was declared external (`kind` compared without regard to case).
    pub fn is_external(&self, kind: &str, name: &str) -> bool {
        self.external
            .contains(&(kind.to_ascii_lowercase(), name.to_owned()))
    }

    pub(crate) fn external_pod_labels(&self) -> impl Iterator<Item = &Labels> {
        self.external_pods.iter()
    }

    /// Sets the bundle's target namespace: every namespaced object without a namespace gets
    /// it, now and when added later. Calling it again moves the objects in the previous target
    /// namespace to the new one. Cluster-scoped objects are never given a namespace.
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// let mut app = Bundle::new("web");
    /// app.add(ConfigMap::builder().name("a").build())?;
    /// app.set_namespace("staging");
    /// app.add(ConfigMap::builder().name("b").build())?;
    /// app.add(ConfigMap::builder().name("c").namespace("other").build())?;
    /// let namespaces: Vec<_> = app.objects().iter().map(|o| o.namespace()).collect();
    /// assert_eq!(namespaces, [Some("other"), Some("staging"), Some("staging")]);
    /// app.set_namespace("prod");
    /// assert_eq!(app.get("ConfigMap", "a").unwrap().namespace(), Some("prod"));
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn set_namespace(&mut self, namespace: &str) -> &mut Self {
        let previous = self.namespace.replace(namespace.to_owned());
        for o in &mut self.objects {
            if o.is_namespaced()
                && (o.namespace().is_none() || o.namespace() == previous.as_deref())
            {
                o.metadata_mut().namespace = Some(namespace.to_owned());
            }
        }
        self.normalize();
        self
    }

    /// The objects, in install order.
    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    /// The objects of one apply wave, in install order.
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// let app = Bundle::new("demo").with(ConfigMap::builder().name("a").build())?;
    /// assert_eq!(app.objects_in_tier(kubeprint::Tier::Config).count(), 1);
    /// assert_eq!(app.objects_in_tier(kubeprint::Tier::Workloads).count(), 0);
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn objects_in_tier(&self, tier: Tier) -> impl Iterator<Item = &Object> {
        self.objects.iter().filter(move |o| o.tier() == tier)
    }

    /// The objects, mutably, for last-minute changes. When the returned guard is dropped the
    /// bundle re-sorts its objects, gives namespace-less objects the target namespace and
    /// recomputes config checksums. Changed objects are validated again by
    /// [`Bundle::check`] (and so on render and apply), which also reports duplicates.
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// let mut app = Bundle::new("demo").with(ConfigMap::builder().name("b").build())?;
    /// app.add(ConfigMap::builder().name("c").build())?;
    /// for o in app.objects_mut().iter_mut() {
    ///     if o.name() == "c" {
    ///         o.metadata_mut().name = Some("a".into());
    ///     }
    /// }
    /// assert_eq!(app.objects()[0].name(), "a");
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn objects_mut(&mut self) -> ObjectsMut<'_> {
        ObjectsMut { bundle: self }
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether the bundle is empty.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The first object (in install order) of `kind` (compared without regard to case) named
    /// `name`, in any namespace.
    pub fn get(&self, kind: &str, name: &str) -> Option<&Object> {
        self.objects
            .iter()
            .find(|o| o.kind().eq_ignore_ascii_case(kind) && o.name() == name)
    }

    /// The namespace `o` lives in: its own, else the bundle's target namespace, else
    /// `default` (where `kubectl apply` and the client put namespace-less objects when no
    /// namespace is given); `None` for cluster-scoped objects. So a Service that says
    /// `namespace: default` selects the pods of a Deployment that says nothing.
    pub(crate) fn namespace_of<'a>(&'a self, o: &'a Object) -> Option<&'a str> {
        namespace_in(Some(self.implicit_namespace()), o)
    }

    /// The namespace of namespace-less objects: the target namespace, else `default`.
    pub(crate) fn implicit_namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or(DEFAULT_NAMESPACE)
    }

    /// The object of `kind` named `name` in namespace `ns` (any namespace for cluster-scoped
    /// kinds).
    ///
    /// The first such object in install order, found by binary search: objects are sorted by
    /// (rank, kind, namespace, name) and a kind has one rank.
    pub(crate) fn find(&self, kind: &str, ns: Option<&str>, name: &str) -> Option<&Object> {
        let rank = Object::install_rank_of(kind)?;
        let start = self
            .objects
            .partition_point(|o| (o.install_rank(), o.kind()) < (rank, kind));
        let len = self.objects[start..].partition_point(|o| o.kind() == kind);
        let of_kind = &self.objects[start..start + len];
        if of_kind.first().is_some_and(|o| !o.is_namespaced()) {
            return of_kind.iter().find(|o| o.name() == name);
        }
        // Objects in namespace `ns`: those that say so, and those without a namespace when
        // `ns` is the target namespace (sorted first; normally there are none of them).
        let at = |namespace: Option<&str>| {
            let i = of_kind.partition_point(|o| (o.namespace(), o.name()) < (namespace, name));
            of_kind
                .get(i)
                .filter(|o| o.namespace() == namespace && o.name() == name)
        };
        let ns = ns.unwrap_or(self.implicit_namespace());
        let implicit = if ns == self.implicit_namespace() {
            at(None)
        } else {
            None
        };
        implicit.or_else(|| at(Some(ns)))
    }

    /// Re-establishes the invariants after arbitrary changes: target namespace, order,
    /// checksums.
    fn normalize(&mut self) {
        if let Some(ns) = self.namespace.clone() {
            for o in &mut self.objects {
                if o.is_namespaced() && o.namespace().is_none() {
                    o.metadata_mut().namespace = Some(ns.clone());
                }
            }
        }
        self.objects.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
        self.readers.clear();
        let mut updates = Vec::new();
        for (i, o) in self.objects.iter().enumerate() {
            if rolls_out(o) {
                add_reader(
                    &mut self.readers,
                    self.namespace.as_deref().unwrap_or(DEFAULT_NAMESPACE),
                    o,
                );
                updates.push((i, self.config_checksum(o)));
            }
        }
        self.set_checksums(updates);
    }

    /// Sets [`CONFIG_CHECKSUM`] on the templates of the objects at the given positions.
    fn set_checksums(&mut self, updates: Vec<(usize, String)>) {
        for (i, sum) in updates {
            if let Some(annotations) = self.objects.get_mut(i).and_then(template_annotations_mut) {
                annotations.insert(CONFIG_CHECKSUM.to_owned(), sum);
            }
        }
    }

    /// SHA-256 over the ConfigMaps and Secrets in the bundle that `o`'s pods read, in
    /// (kind, name) order, without the values of generate-once keys. (Claims the pods mount
    /// count by kind and name when they are in the bundle.)
    fn config_checksum(&self, o: &Object) -> String {
        let mut h = Sha256::new();
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        let ns = self.namespace_of(o);
        for (kind, name) in config_refs(o) {
            let Some(config) = self.find(kind, ns, name) else {
                continue;
            };
            field(kind.as_bytes());
            field(name.as_bytes());
            match config {
                Object::ConfigMap(cm) => {
                    for (k, v) in cm.data.iter().flatten() {
                        field(b"data");
                        field(k.as_bytes());
                        field(v.as_bytes());
                    }
                    for (k, v) in cm.binary_data.iter().flatten() {
                        field(b"binaryData");
                        field(k.as_bytes());
                        field(&v.0);
                    }
                }
                Object::Secret(s) => {
                    let generated = config.generate_once_keys();
                    let keep = |k: &String| !generated.contains(k);
                    for (k, v) in s.data.iter().flatten().filter(|(k, _)| keep(k)) {
                        field(b"data");
                        field(k.as_bytes());
                        field(&v.0);
                    }
                    for (k, v) in s.string_data.iter().flatten().filter(|(k, _)| keep(k)) {
                        field(b"stringData");
                        field(k.as_bytes());
                        field(v.as_bytes());
                    }
                    for k in &generated {
                        field(b"generated");
                        field(k.as_bytes());
                    }
                }
                _ => {}
            }
        }
        let digest = h.finalize();
        let mut hex = String::with_capacity(64);
        for b in digest.iter() {
            let _ = write!(hex, "{b:02x}");
        }
        hex
    }

    /// Multi-document YAML that `kubectl apply -f` takes, after [`Bundle::check`].
    pub fn to_yaml(&self) -> Result<String> {
        self.check()?;
        self.write_yaml_documents(|out, o| {
            serde_saphyr::to_fmt_writer(out, o).map_err(|e| render_error(o.object_ref(), e))
        })
    }

    /// Joins the YAML documents `render` makes of each object.
    pub(crate) fn yaml_documents(
        &self,
        render: impl Fn(&Object) -> Result<String>,
    ) -> Result<String> {
        self.write_yaml_documents(|out, o| {
            out.push_str(&render(o)?);
            Ok(())
        })
    }

    /// Joins the YAML documents `write` appends for each object.
    fn write_yaml_documents(
        &self,
        write: impl Fn(&mut String, &Object) -> Result<()>,
    ) -> Result<String> {
        let mut out = String::new();
        for (i, o) in self.objects.iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            write(&mut out, o)?;
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
        let items = self
            .objects
            .iter()
            .map(Object::to_json_value)
            .collect::<Result<Vec<_>>>()?;
        let list = serde_json::json!({ "apiVersion": "v1", "kind": "List", "items": items });
        let mut s = serde_json::to_string_pretty(&list)
            .map_err(|e| render_error(ObjectRef::new("List", self.name.clone()), e))?;
        s.push('\n');
        Ok(s)
    }
}

/// [`Bundle::namespace_of`] in a bundle with target namespace `target`.
fn namespace_in<'a>(target: Option<&'a str>, o: &'a Object) -> Option<&'a str> {
    if o.is_namespaced() {
        o.namespace().or(target)
    } else {
        None
    }
}

/// Records in `readers` what the opted-in template `o` reads, in a bundle whose
/// namespace-less objects are in `implicit`.
fn add_reader(readers: &mut BTreeMap<ReadKey, BTreeSet<OwnedKey>>, implicit: &str, o: &Object) {
    let ns = namespace_in(Some(implicit), o).map(str::to_owned);
    for (kind, name) in config_refs(o) {
        readers
            .entry((kind.to_owned(), ns.clone(), name.to_owned()))
            .or_default()
            .insert(owned_key(o));
    }
}

/// Whether `o` is a pod controller whose template opted in to config checksums.
fn rolls_out(o: &Object) -> bool {
    matches!(
        o,
        Object::Deployment(_)
            | Object::StatefulSet(_)
            | Object::DaemonSet(_)
            | Object::ReplicaSet(_)
            | Object::CronJob(_)
    ) && refs::pod_spec(o)
        .and_then(|p| p.meta)
        .and_then(|m| m.annotations.as_ref())
        .and_then(|a| a.get(ROLLOUT_ON_CONFIG_CHANGE))
        .is_some_and(|v| v == "true")
}

/// The ConfigMaps and Secrets `o`'s pods read, sorted, without duplicates.
fn config_refs(o: &Object) -> BTreeSet<(&str, &str)> {
    refs::pod_refs_without_paths(o)
        .into_iter()
        .filter(|r| r.edge.is_config())
        .map(|r| (r.kind, r.name))
        .collect()
}

/// The pod-template annotations of a pod controller (created when missing).
/// Sets `key` to `value` in `map` unless the object set `key` itself (to something other than
/// the bundle's `previous` value of it).
fn set_common(
    map: &mut Option<BTreeMap<String, String>>,
    key: &str,
    value: &str,
    previous: Option<&str>,
) {
    let map = map.get_or_insert_with(BTreeMap::new);
    match map.get_mut(key) {
        Some(own) if Some(own.as_str()) != previous => {}
        Some(own) => value.clone_into(own),
        None => {
            map.insert(key.to_owned(), value.to_owned());
        }
    }
}

/// Adds the entries of `common` that `map` does not have.
fn add_missing(map: &mut Option<BTreeMap<String, String>>, common: &Labels) {
    if common.is_empty() {
        return;
    }
    let map = map.get_or_insert_with(BTreeMap::new);
    for (k, v) in common.iter() {
        map.entry(k.to_owned()).or_insert_with(|| v.to_owned());
    }
}

fn template_annotations_mut(o: &mut Object) -> Option<&mut BTreeMap<String, String>> {
    let meta = match o {
        Object::Deployment(d) => &mut d.spec.template.metadata,
        Object::StatefulSet(s) => &mut s.spec.template.metadata,
        Object::DaemonSet(d) => &mut d.spec.template.metadata,
        Object::ReplicaSet(r) => &mut r.spec.template.as_mut()?.metadata,
        Object::CronJob(c) => &mut c.spec.job_template.spec.as_mut()?.template.metadata,
        _ => return None,
    };
    Some(
        meta.get_or_insert_with(Default::default)
            .annotations
            .get_or_insert_with(Default::default),
    )
}

/// An [`Object`] goes into a bundle as it is, validated like a builder's output.
///
/// ```
/// use kubeprint::prelude::*;
/// let cm: Object = ConfigMap::builder().name("settings").build().to_object()?.into();
/// let app = Bundle::new("demo").with(cm)?;
/// assert_eq!(app.len(), 1);
/// # Ok::<(), kubeprint::Error>(())
/// ```
impl Manifest for Object {
    type Object = Object;
    fn to_object(&self) -> Result<Object> {
        self.validate()?;
        Ok(self.clone())
    }
}

fn render_error(object: ObjectRef, e: impl std::fmt::Display) -> Error {
    Error::Render {
        object,
        message: e.to_string(),
    }
}

impl<'a> IntoIterator for &'a Bundle {
    type Item = &'a Object;
    type IntoIter = std::slice::Iter<'a, Object>;
    fn into_iter(self) -> Self::IntoIter {
        self.objects.iter()
    }
}

/// Mutable access to a bundle's objects (from [`Bundle::objects_mut`]); dereferences to
/// `[Object]`. On drop the bundle restores its order, namespaces and config checksums.
#[derive(Debug)]
pub struct ObjectsMut<'a> {
    bundle: &'a mut Bundle,
}

impl Deref for ObjectsMut<'_> {
    type Target = [Object];
    fn deref(&self) -> &[Object] {
        &self.bundle.objects
    }
}

impl DerefMut for ObjectsMut<'_> {
    fn deref_mut(&mut self) -> &mut [Object] {
        &mut self.bundle.objects
    }
}

impl Drop for ObjectsMut<'_> {
    fn drop(&mut self) {
        self.bundle.normalize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::*;
    use crate::object::GENERATE_ONCE_ANNOTATION;
    use k8s_openapi::ByteString;
    use k8s_openapi::api::batch::v1::{Job, JobSpec};
    use k8s_openapi::api::core::v1::{
        ConfigMapKeySelector, Container, EnvVar, EnvVarSource, LocalObjectReference, PodSpec,
        SecretVolumeSource, Volume,
    };
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    /// A Deployment "web" reading ConfigMap "settings" (volume) and Secret "db" (env), opted in.
    fn web(opt_in: bool) -> Object {
        let env = EnvVar {
            name: "LEVEL".into(),
            value_from: Some(EnvVarSource {
                config_map_key_ref: Some(ConfigMapKeySelector {
                    name: "env-settings".into(),
                    key: "level".into(),
                    optional: Some(true),
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let spec = PodSpec {
            containers: vec![Container {
                env: Some(vec![env]),
                ..container("web", &[("http", 8080)])
            }],
            volumes: Some(vec![
                cm_volume("config", "settings"),
                Volume {
                    name: "db".into(),
                    secret: Some(SecretVolumeSource {
                        secret_name: Some("db".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ]),
            image_pull_secrets: Some(vec![LocalObjectReference {
                name: "registry".into(),
            }]),
            ..Default::default()
        };
        let mut d = deployment("web", spec);
        if opt_in && let Some(m) = d.spec.template.metadata.as_mut() {
            m.annotations = Some(labels(&[(ROLLOUT_ON_CONFIG_CHANGE, "true")]));
        }
        d.into()
    }

    fn db_secret(password: &str, generated: &str) -> Object {
        let mut s = secret("db", &[("password", password)]);
        s.data = Some(
            [(
                "root-password".to_owned(),
                ByteString(generated.as_bytes().to_vec()),
            )]
            .into(),
        );
        s.metadata.annotations = Some(labels(&[(GENERATE_ONCE_ANNOTATION, "root-password")]));
        s.into()
    }

    fn app(objects: Vec<Object>) -> Bundle {
        let mut b = bundle(objects);
        b.external_secret("registry");
        b
    }

    fn checksum(b: &Bundle, kind: &str, name: &str) -> Option<String> {
        checksum_of(b.get(kind, name)?)
    }

    fn checksum_of(o: &Object) -> Option<String> {
        refs::pod_spec(o)?
            .meta?
            .annotations
            .as_ref()?
            .get(CONFIG_CHECKSUM)
            .cloned()
    }

    fn standard() -> Vec<Object> {
        vec![
            web(true),
            config_map("settings", &[("level", "debug")]).into(),
            db_secret("s3cret", "generated-1"),
            config_map("unrelated", &[("x", "1")]).into(),
            service(
                "web",
                "web",
                &[("http", 80, Some(IntOrString::String("http".into())))],
            )
            .into(),
        ]
    }

    #[test]
    fn checksum_is_stable_and_order_independent() {
        let a = app(standard());
        let mut reversed = standard();
        reversed.reverse();
        let b = app(reversed);
        let sum = checksum(&a, "Deployment", "web");
        assert_eq!(sum.as_ref().map(String::len), Some(64));
        assert_eq!(sum, checksum(&b, "Deployment", "web"));
        assert_eq!(a.to_yaml().unwrap(), b.to_yaml().unwrap());
        assert_eq!(a.to_json().unwrap(), b.to_json().unwrap());
        assert_eq!(a.to_yaml().unwrap(), a.to_yaml().unwrap());
        assert!(
            a.to_yaml()
                .unwrap()
                .contains(&format!("{CONFIG_CHECKSUM}: {}", sum.unwrap_or_default()))
        );
    }

    #[test]
    fn checksum_follows_config_but_not_generated_values() {
        let base = checksum(&app(standard()), "Deployment", "web");
        let with = |f: &dyn Fn(&mut Vec<Object>)| {
            let mut objects = standard();
            f(&mut objects);
            checksum(&app(objects), "Deployment", "web")
        };
        // A generate-once value differs on every build: no rollout.
        assert_eq!(base, with(&|o| o[2] = db_secret("s3cret", "generated-2")));
        // Unrelated config: no rollout.
        assert_eq!(
            base,
            with(&|o| o[3] = config_map("unrelated", &[("x", "2")]).into())
        );
        // Real changes roll.
        assert_ne!(
            base,
            with(&|o| o[1] = config_map("settings", &[("level", "info")]).into())
        );
        assert_ne!(
            base,
            with(&|o| o[1] = config_map("settings", &[("level", "debug"), ("extra", "")]).into())
        );
        assert_ne!(base, with(&|o| o[2] = db_secret("changed", "generated-1")));
        // A referenced optional ConfigMap appearing rolls too.
        assert_ne!(
            base,
            with(&|o| o.push(config_map("env-settings", &[("level", "x")]).into()))
        );
        // Image pull secrets are not configuration.
        assert_eq!(
            base,
            with(&|o| o.push(secret("registry", &[(".dockerconfigjson", "{}")]).into()))
        );
    }

    #[test]
    fn checksum_only_when_opted_in_and_kept_current() {
        let mut objects = standard();
        objects[0] = web(false);
        assert_eq!(checksum(&app(objects), "Deployment", "web"), None);

        // Changing config through objects_mut recomputes it.
        let mut b = app(standard());
        let before = checksum(&b, "Deployment", "web");
        for o in b.objects_mut().iter_mut() {
            if let Object::ConfigMap(cm) = o
                && cm.metadata.name.as_deref() == Some("settings")
            {
                cm.data = Some(labels(&[("level", "trace")]));
            }
        }
        let after = checksum(&b, "Deployment", "web");
        assert!(after.is_some() && after != before);
        assert_eq!(
            after,
            checksum(
                &app({
                    let mut o = standard();
                    o[1] = config_map("settings", &[("level", "trace")]).into();
                    o
                }),
                "Deployment",
                "web"
            )
        );

        // extend() of the configuration later updates the template.
        let mut b = app(vec![web(true)]);
        let alone = checksum(&b, "Deployment", "web");
        b.extend(bundle(vec![
            config_map("settings", &[("level", "debug")]).into(),
        ]))
        .unwrap();
        assert_ne!(alone, checksum(&b, "Deployment", "web"));
    }

    /// Whatever the order objects are added in, one at a time or all at once, each template
    /// ends with the checksum a full recomputation gives.
    #[test]
    fn incremental_checksums_match_a_full_recomputation() {
        use k8s_openapi::api::core::v1::PersistentVolumeClaimVolumeSource;
        let worker = |ns: Option<&str>| -> Object {
            let spec = PodSpec {
                volumes: Some(vec![
                    cm_volume("config", "settings"),
                    Volume {
                        name: "data".into(),
                        persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                            claim_name: "data".into(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                ]),
                ..pod(vec![container("worker", &[])])
            };
            let mut d = deployment("worker", spec);
            d.metadata.namespace = ns.map(str::to_owned);
            if let Some(m) = d.spec.template.metadata.as_mut() {
                m.annotations = Some(labels(&[(ROLLOUT_ON_CONFIG_CHANGE, "true")]));
            }
            d.into()
        };
        let mut other_settings = config_map("settings", &[("level", "warn")]);
        other_settings.metadata.namespace = Some("other".into());
        let objects: Vec<Object> = vec![
            web(true),
            worker(None),
            worker(Some("other")),
            config_map("settings", &[("level", "debug")]).into(),
            other_settings.into(),
            db_secret("s3cret", "generated-1"),
            pvc("data").into(),
            config_map("unrelated", &[("x", "1")]).into(),
        ];
        let one_by_one = |order: &[Object]| {
            let mut b = Bundle::new("test");
            for o in order {
                b.add(o.clone()).unwrap();
            }
            b
        };
        let mut full = one_by_one(&objects);
        drop(full.objects_mut());
        let sums: Vec<Option<String>> = full
            .objects()
            .iter()
            .filter(|o| o.kind() == "Deployment")
            .map(checksum_of)
            .collect();
        // Three templates, three different configurations.
        assert_eq!(sums.len(), 3);
        assert!(sums.iter().all(Option::is_some), "{sums:?}");
        assert_ne!(sums[0], sums[1]);
        assert_ne!(sums[1], sums[2]);
        assert_ne!(sums[0], sums[2]);
        let n = objects.len();
        for shift in 0..n {
            let mut order = objects.clone();
            order.rotate_left(shift);
            assert_eq!(
                one_by_one(&order).objects(),
                full.objects(),
                "rotated {shift}"
            );
            order.reverse();
            assert_eq!(
                one_by_one(&order).objects(),
                full.objects(),
                "reversed {shift}"
            );
            // In two batches.
            let mut b = Bundle::new("test");
            let (first, second) = order.split_at(shift);
            b.extend(one_by_one(first)).unwrap();
            b.extend(one_by_one(second)).unwrap();
            assert_eq!(b.objects(), full.objects(), "batches {shift}");
        }
    }

    /// `find` (a binary search) answers like a scan in install order.
    #[test]
    fn find_agrees_with_a_scan() {
        let in_ns = |mut cm: k8s_openapi::api::core::v1::ConfigMap, ns: &str| -> Object {
            cm.metadata.namespace = Some(ns.into());
            cm.into()
        };
        let mut b = bundle(vec![
            config_map("a", &[("v", "1")]).into(),
            config_map("c", &[]).into(),
            in_ns(config_map("a", &[("v", "2")]), "x"),
            in_ns(config_map("b", &[]), "x"),
            in_ns(config_map("a", &[]), "y"),
            secret("a", &[]).into(),
            k8s_openapi::api::core::v1::Namespace {
                metadata: meta("x"),
                ..Default::default()
            }
            .into(),
        ]);
        let scan =
            |b: &Bundle, kind: &str, ns: Option<&str>, name: &str| -> Option<*const Object> {
                b.objects()
                    .iter()
                    .find(|o| {
                        o.kind() == kind
                            && o.name() == name
                            && (!o.is_namespaced()
                                || b.namespace_of(o) == Some(ns.unwrap_or(b.implicit_namespace())))
                    })
                    .map(std::ptr::from_ref)
            };
        let compare = |b: &Bundle| {
            let mut found = 0;
            for kind in ["ConfigMap", "Secret", "Namespace", "Deployment", "Bogus"] {
                for ns in [None, Some("x"), Some("y"), Some("z")] {
                    for name in ["a", "b", "c", "x", "d"] {
                        let expected = scan(b, kind, ns, name);
                        let got = b.find(kind, ns, name).map(std::ptr::from_ref);
                        assert_eq!(got, expected, "{kind} {ns:?} {name}");
                        found += usize::from(got.is_some());
                    }
                }
            }
            found
        };
        assert_eq!(compare(&b), 10);
        // The target namespace makes "a" and "x/a" the same object (a duplicate `check`
        // reports): the first one is found. A query without a namespace asks for the target
        // namespace, so it finds what the query for "x" (then "z") finds.
        b.set_namespace("x");
        assert_eq!(compare(&b), 13);
        b.set_namespace("z");
        assert_eq!(compare(&b), 13);
        // Objects without a namespace in a bundle with a target namespace (which the bundle
        // does not let happen) are in the target namespace.
        let mut objects = vec![
            config_map("a", &[("v", "1")]).into(),
            in_ns(config_map("a", &[("v", "2")]), "x"),
            config_map("b", &[]).into(),
        ];
        objects.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
        let raw = Bundle {
            namespace: Some("x".into()),
            objects,
            ..Bundle::default()
        };
        assert_eq!(compare(&raw), 4); // "a" and "b", asked for with and without "x"
    }

    #[test]
    fn checksum_not_set_on_jobs() {
        let mut spec = PodSpec {
            volumes: Some(vec![cm_volume("c", "settings")]),
            ..pod(vec![container("job", &[])])
        };
        spec.restart_policy = Some("Never".into());
        let mut t = template("migrate", spec);
        if let Some(m) = t.metadata.as_mut() {
            m.annotations = Some(labels(&[(ROLLOUT_ON_CONFIG_CHANGE, "true")]));
        }
        let job = Job {
            metadata: meta("migrate"),
            spec: Some(JobSpec {
                template: t,
                ..Default::default()
            }),
            ..Default::default()
        };
        let b = bundle(vec![
            job.into(),
            config_map("settings", &[("a", "b")]).into(),
        ]);
        assert_eq!(checksum(&b, "Job", "migrate"), None);
    }

    #[test]
    fn duplicates_are_rejected() {
        let mut b = bundle(vec![config_map("a", &[]).into()]);
        let e = b.add(config_map("a", &[])).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"configmap "a": is already in bundle "test""#
        );
        // extend is all or nothing.
        let other = bundle(vec![
            config_map("b", &[]).into(),
            config_map("a", &[]).into(),
        ]);
        assert!(b.extend(other).is_err());
        assert_eq!(b.len(), 1);
        // Same name in another namespace is another object.
        let mut elsewhere = config_map("a", &[]);
        elsewhere.metadata.namespace = Some("other".into());
        b.add(elsewhere).unwrap();
        // ... until set_namespace makes them collide: check() reports it.
        b.set_namespace("other");
        assert_eq!(
            b.check().unwrap_err().to_string(),
            r#"configmap "other/a": is in bundle "test" more than once"#
        );
        // With a target namespace, an explicit namespace equal to it is the same object.
        let mut b = Bundle::new("test");
        b.set_namespace("prod");
        b.add(config_map("a", &[])).unwrap();
        let mut explicit = config_map("a", &[]);
        explicit.metadata.namespace = Some("prod".into());
        assert!(b.add(explicit).is_err());
    }

    #[test]
    fn cluster_scoped_objects_get_no_namespace() {
        let mut b = Bundle::new("test");
        b.set_namespace("prod");
        b.add(k8s_openapi::api::core::v1::Namespace {
            metadata: meta("prod"),
            ..Default::default()
        })
        .unwrap();
        b.add(config_map("a", &[])).unwrap();
        assert_eq!(b.objects()[0].namespace(), None);
        assert_eq!(b.objects()[1].namespace(), Some("prod"));
        assert_eq!(b.namespace(), Some("prod"));
    }

    fn crd(kind: &str, plural: &str, scope: &str) -> Object {
        serde_json::from_value::<CustomResourceDefinition>(serde_json::json!({
            "metadata": {"name": format!("{plural}.example.com")},
            "spec": {"group": "example.com", "scope": scope,
                "names": {"kind": kind, "plural": plural},
                "versions": [{"name": "v1", "served": true, "storage": true}]}
        }))
        .unwrap()
        .into()
    }

    fn custom(api_version: &str, kind: &str, name: &str) -> Object {
        crate::object::CustomObject::new(
            api_version,
            kind,
            crate::object::custom::guess_plural(kind),
            true,
        )
        .with_name(name)
        .into()
    }

    #[test]
    fn custom_objects_sort_after_built_ins_and_crds_first() {
        let objects = vec![
            custom("zeta.io/v1", "Alpha", "a"),
            custom("example.com/v1", "Widget", "b"),
            crate::ConfigMap::builder()
                .name("c")
                .build()
                .to_object()
                .unwrap()
                .into(),
            custom("example.com/v1", "Widget", "a"),
            crd("Widget", "widgets", "Namespaced"),
            custom("example.com/v1", "Gadget", "z"),
            Object::from(k8s_openapi::api::batch::v1::CronJob {
                metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                    name: Some("j".into()),
                    ..Default::default()
                },
                ..Default::default()
            }),
        ];
        let names = |b: &Bundle| {
            b.objects()
                .iter()
                .map(|o| format!("{}.{}/{}", o.kind(), o.group(), o.name()))
                .collect::<Vec<_>>()
        };
        let forward = Bundle::new("t");
        let mut forward = forward;
        forward.objects = objects.clone();
        forward.normalize();
        let want = [
            "CustomResourceDefinition.apiextensions.k8s.io/widgets.example.com",
            "ConfigMap./c",
            "CronJob.batch/j",
            "Gadget.example.com/z",
            "Widget.example.com/a",
            "Widget.example.com/b",
            "Alpha.zeta.io/a",
        ];
        assert_eq!(names(&forward), want);
        // Added one by one, in reverse: the same order.
        let mut b = Bundle::new("t");
        for o in objects.into_iter().rev() {
            b.insert_all(vec![o]).unwrap();
        }
        assert_eq!(names(&b), want);
        assert_eq!(b.objects_in_tier(Tier::Namespaces).count(), 1);
        assert_eq!(b.objects_in_tier(Tier::Workloads).count(), 4);
        // Same kind and name in two groups: two objects; twice in one group: a duplicate.
        assert!(b.add(custom("other.io/v1", "Widget", "a")).is_ok());
        let e = b.add(custom("example.com/v2", "Widget", "a")).unwrap_err();
        assert!(e.to_string().contains("is already in bundle"), "{e}");
    }

    #[test]
    fn crds_give_custom_objects_their_plural_and_scope() {
        // CRD first, then the object.
        let mut b = Bundle::new("t");
        b.set_namespace("prod");
        b.add(crd("Policy", "policyz", "Cluster")).unwrap();
        b.add(custom("example.com/v1", "Policy", "p")).unwrap();
        let p = b.get("Policy", "p").unwrap();
        assert_eq!(
            (p.plural(), p.is_namespaced(), p.namespace()),
            ("policyz", false, None)
        );
        // The object first: it got the target namespace; the CRD corrects it.
        let mut b = Bundle::new("t");
        b.set_namespace("prod");
        b.add(custom("example.com/v1", "Policy", "p")).unwrap();
        b.add(custom("example.com/v1", "Widget", "w")).unwrap();
        assert_eq!(b.get("Policy", "p").unwrap().namespace(), Some("prod"));
        b.add(crd("Policy", "policyz", "Cluster")).unwrap();
        let p = b.get("Policy", "p").unwrap();
        assert_eq!((p.plural(), p.namespace()), ("policyz", None));
        let w = b.get("Widget", "w").unwrap();
        assert_eq!((w.plural(), w.namespace()), ("widgets", Some("prod")));
        assert!(b.check().is_ok());
        // Rendered like any object, apiVersion and kind first.
        let yaml = b.to_yaml().unwrap();
        assert!(
            yaml.contains("apiVersion: example.com/v1\nkind: Policy\nmetadata:\n  name: p\n"),
            "{yaml}"
        );
    }

    #[test]
    fn import_makes_typed_and_custom_objects_and_names_documents() {
        let yaml = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx:1.29}]}
---
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec: {size: 3, anything: [goes]}
";
        let mut b = Bundle::new("t");
        b.import_yaml(yaml).unwrap();
        assert!(matches!(
            b.get("Deployment", "web"),
            Some(Object::Deployment(_))
        ));
        assert!(matches!(b.get("Widget", "w"), Some(Object::Custom(_))));
        // Strict: an unknown field of a typed kind, or of a custom object's metadata.
        let mut b = Bundle::new("t");
        let e = b
            .import_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndatta: {}\n")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"decoding document 2 (configmap "b"): datta: unknown field"#
        );
        let e = b
            .import_json(r#"[{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "nmespace": "x"}}]"#)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"decoding document 1 (widget "w"): metadata.nmespace: unknown field"#
        );
        // A known kind in a version kubeprint does not know is an error, not a custom object.
        let e = b
            .import_yaml("apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: i}\n")
            .unwrap_err();
        assert!(e.to_string().contains("not one kubeprint supports"), "{e}");
        // All or nothing, and validated like added objects.
        let e = b
            .import_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: Not_Valid}\n")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with(r#"widget "Not_Valid": metadata.name"#),
            "{e}"
        );
        assert!(b.is_empty());
        // A List, and a reader.
        b.import_reader(r#"{"kind": "List", "apiVersion": "v1", "items": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}]}"#.as_bytes()).unwrap();
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn tiers_get_and_debug() {
        let b = app(standard());
        let kinds = |t| b.objects_in_tier(t).map(|o| o.kind()).collect::<Vec<_>>();
        assert_eq!(kinds(Tier::Config), ["Secret", "ConfigMap", "ConfigMap"]);
        assert_eq!(kinds(Tier::Services), ["Service"]);
        assert_eq!(kinds(Tier::Workloads), ["Deployment"]);
        assert!(kinds(Tier::Jobs).is_empty());
        assert_eq!(
            b.get("deployment", "web").map(Object::kind),
            Some("Deployment")
        );
        let debug = format!("{b:?}");
        assert!(
            debug.contains("root-password") && debug.contains("<redacted>"),
            "{debug}"
        );
        assert!(
            !debug.contains("s3cret") && !debug.contains("generated-1"),
            "{debug}"
        );
        let encoded =
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "generated-1");
        assert!(!debug.contains(&encoded), "{debug}");
    }

    #[test]
    fn check_reports_validation_and_references() {
        let mut b = bundle(vec![web(false)]);
        for o in b.objects_mut().iter_mut() {
            o.metadata_mut().labels = Some(labels(&[("bad key!", "x")]));
        }
        let lines: Vec<String> = b
            .check()
            .unwrap_err()
            .violations()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            lines[0].starts_with(r#"deployment "web": metadata.labels["bad key!"]"#),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains(r#"configmap "settings" is neither"#)),
            "{lines:?}"
        );
        assert!(b.to_yaml().is_err() && b.to_json().is_err());
    }
}
