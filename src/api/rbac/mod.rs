//! RBAC: Roles and ClusterRoles grant verbs on resources; RoleBindings and ClusterRoleBindings
//! give them to service accounts, users and groups.
//!
//! A pod that calls the Kubernetes API needs its service account bound to a role. Fluentd's
//! DaemonSet (chapter 9) reads pod metadata in every namespace, so it gets a ClusterRole and a
//! [`ClusterRoleBinding`] (the example is there). Within one namespace, a [`Role`] and a
//! [`RoleBinding`]; a RoleBinding may also grant a ClusterRole's rules in its own namespace only
//! (`.cluster_role("view")`). Each builder's page has an example and the list of its setters.

use crate::error::Result;
use crate::meta::{Annotations, Customize, Labels, object_meta};
use crate::object::{Manifest, Validate};
use crate::selector::{Selector, check_label_selector};
use crate::validate::{self, Checker};
use k8s_openapi::api::rbac::v1 as rbac;
use typed_builder::TypedBuilder;

/// The API group of RBAC objects, which `roleRef` and User/Group subjects name.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

fn strings(items: impl IntoIterator<Item = impl Into<String>>) -> Vec<String> {
    items.into_iter().map(Into::into).collect()
}

fn list(items: Vec<String>) -> Option<Vec<String>> {
    (!items.is_empty()).then_some(items)
}

/// One rule of a Role or ClusterRole: `verbs` allowed on `resources` of `api_groups`, or on
/// non-resource URLs (ClusterRoles only).
///
/// ```
/// use kubeprint::rbac::PolicyRule;
/// // "" is the core group (pods, services, configmaps ...).
/// let read_config = PolicyRule::new([""], ["configmaps"], ["get"]).resource_names(["app-config"]);
/// let k8s = read_config.to_k8s();
/// assert_eq!(k8s.api_groups.unwrap(), [""]);
/// assert_eq!(k8s.resource_names.unwrap(), ["app-config"]);
/// let health = PolicyRule::non_resource_urls(["/healthz", "/metrics"], ["get"]).to_k8s();
/// assert_eq!(health.resources, None);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyRule(rbac::PolicyRule);

impl PolicyRule {
    /// `verbs` (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `*` ...) on
    /// `resources` (plural names, `deployments`, `pods/log`, `*`) of `api_groups` (`""` is the
    /// core group, `apps`, `batch`, `*` ...).
    pub fn new(
        api_groups: impl IntoIterator<Item = impl Into<String>>,
        resources: impl IntoIterator<Item = impl Into<String>>,
        verbs: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        PolicyRule(rbac::PolicyRule {
            api_groups: list(strings(api_groups)),
            resources: list(strings(resources)),
            verbs: strings(verbs),
            ..rbac::PolicyRule::default()
        })
    }

    /// `verbs` on URL paths that are not API resources (`/healthz`, `/metrics`, a trailing `*`
    /// matches a prefix). Only ClusterRoles may have such rules.
    pub fn non_resource_urls(
        urls: impl IntoIterator<Item = impl Into<String>>,
        verbs: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        PolicyRule(rbac::PolicyRule {
            non_resource_urls: list(strings(urls)),
            verbs: strings(verbs),
            ..rbac::PolicyRule::default()
        })
    }

    /// Restricts a resource rule to the objects with these names (`resourceNames`). Note that
    /// `list`, `watch` and `create` cannot be restricted by name.
    #[must_use]
    pub fn resource_names(mut self, names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.0.resource_names = list(strings(names));
        self
    }

    /// The rule as `k8s-openapi` holds it.
    pub fn to_k8s(&self) -> rbac::PolicyRule {
        self.0.clone()
    }
}

impl From<rbac::PolicyRule> for PolicyRule {
    /// Wraps a raw rule (validated with its role like any other).
    fn from(rule: rbac::PolicyRule) -> Self {
        PolicyRule(rule)
    }
}

/// The role a RoleBinding grants.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RoleRef {
    /// A Role of the binding's namespace.
    Role(String),
    /// A ClusterRole, whose rules then apply in the binding's namespace only.
    ClusterRole(String),
}

impl RoleRef {
    fn to_k8s(&self) -> rbac::RoleRef {
        let (kind, name) = match self {
            RoleRef::Role(name) => ("Role", name),
            RoleRef::ClusterRole(name) => ("ClusterRole", name),
        };
        rbac::RoleRef {
            api_group: Some(RBAC_GROUP.to_owned()),
            kind: kind.to_owned(),
            name: name.clone(),
        }
    }
}

/// Who a binding grants its role to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A ServiceAccount. Without a namespace (RoleBindings only), the binding's namespace.
    ServiceAccount {
        /// The account's name.
        name: String,
        /// The account's namespace; required in ClusterRoleBindings.
        namespace: Option<String>,
    },
    /// A user, as the cluster's authenticator names it.
    User(String),
    /// A group, as the cluster's authenticator names it (e.g. `system:serviceaccounts:ci`).
    Group(String),
}

impl Subject {
    /// The ServiceAccount `name` of `namespace`.
    pub fn service_account(name: impl Into<String>, namespace: impl Into<String>) -> Self {
        Subject::ServiceAccount {
            name: name.into(),
            namespace: Some(namespace.into()),
        }
    }

    /// The ServiceAccount `name` of the RoleBinding's own namespace (`namespace` left out,
    /// which the apiserver's authorizer reads as the binding's namespace), so a binding moved
    /// to another namespace, or given its namespace by the [`Bundle`](crate::Bundle), needs no
    /// second edit. ClusterRoleBindings need [`Subject::service_account`].
    ///
    /// ```
    /// use kubeprint::prelude::*;
    /// let binding = RoleBinding::builder()
    ///     .name("reader")
    ///     .namespace("shop-dev")
    ///     .role("pod-reader")
    ///     .local_service_account("web")
    ///     .build()
    ///     .to_object()?;
    /// let subject = &binding.subjects.unwrap()[0];
    /// assert_eq!((subject.name.as_str(), subject.namespace.as_deref()), ("web", None));
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn local_service_account(name: impl Into<String>) -> Self {
        Subject::ServiceAccount {
            name: name.into(),
            namespace: None,
        }
    }

    /// The subject as `k8s-openapi` holds it (User and Group with their API group, as
    /// `kubectl create rolebinding` writes them).
    pub fn to_k8s(&self) -> rbac::Subject {
        match self {
            Subject::ServiceAccount { name, namespace } => rbac::Subject {
                kind: "ServiceAccount".into(),
                name: name.clone(),
                namespace: namespace.clone(),
                api_group: None,
            },
            Subject::User(name) | Subject::Group(name) => rbac::Subject {
                kind: if matches!(self, Subject::User(_)) {
                    "User"
                } else {
                    "Group"
                }
                .into(),
                name: name.clone(),
                namespace: None,
                api_group: Some(RBAC_GROUP.to_owned()),
            },
        }
    }
}

fn subjects(subjects: &[Subject]) -> Option<Vec<rbac::Subject>> {
    (!subjects.is_empty()).then(|| subjects.iter().map(Subject::to_k8s).collect())
}

fn rules(rules: &[PolicyRule]) -> Option<Vec<rbac::PolicyRule>> {
    (!rules.is_empty()).then(|| rules.iter().map(PolicyRule::to_k8s).collect())
}

/// A Role: rules within one namespace. `name` is required; add rules with `.rule(..)`.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// let deployer = Role::builder()
///     .name("deployer")
///     .rule(PolicyRule::new(["apps"], ["deployments"], ["get", "list", "patch"]))
///     .rule(PolicyRule::new([""], ["pods/log"], ["get"]))
///     .build();
/// let object = deployer.to_object()?;
/// assert_eq!(object.rules.unwrap()[1].resources.as_deref(), Some(&["pods/log".to_owned()][..]));
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`Role::builder()`](Role::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace`; usually left to the bundle or the apply target. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.rule(rule)` (repeatable) | The rules, in the order added. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct Role {
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
    /// The rules, in the order added.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a rule (`PolicyRule::new(["apps"], ["deployments"], ["get", "list"])`).
            pub fn rule(&mut self, rule: PolicyRule) {
                self.rules.push(rule);
            }
        )
    )]
    rules: Vec<PolicyRule>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut rbac::Role) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<rbac::Role>,
}

impl Role {
    /// The Role's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Manifest for Role {
    type Object = rbac::Role;

    fn to_object(&self) -> Result<rbac::Role> {
        let mut role = rbac::Role {
            metadata: object_meta(
                &self.name,
                self.namespace.as_ref(),
                &self.labels,
                &self.annotations,
            ),
            rules: rules(&self.rules),
        };
        self.customize.apply(&mut role);
        role.to_object()
    }
}

/// A ClusterRole: rules for every namespace, cluster-scoped resources (nodes, namespaces ...)
/// and non-resource URLs. `name` is required.
///
/// An *aggregated* ClusterRole gets its rules from the ClusterRoles its selectors match (the
/// control plane fills them in and overwrites any given here):
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// let monitoring = ClusterRole::builder()
///     .name("monitoring")
///     .aggregate_from(Labels::from([("example.com/aggregate-to-monitoring", "true")]))
///     .build();
/// let object = monitoring.to_object()?;
/// assert_eq!(object.aggregation_rule.unwrap().cluster_role_selectors.unwrap().len(), 1);
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`ClusterRole::builder()`](ClusterRole::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name` (`:` is allowed, as in `system:aggregate-to-view`). |
/// | `.labels(impl Into<Labels>)` | `metadata.labels` (e.g. `rbac.authorization.k8s.io/aggregate-to-view: "true"` to add the rules to the built-in `view` role). |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.rule(rule)` (repeatable) | The rules, in the order added. |
/// | `.aggregate_from(selector)` (repeatable) | Selectors of the ClusterRoles whose rules this one aggregates. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct ClusterRole {
    /// `metadata.name` (`:` is allowed, as in `system:aggregate-to-view`).
    #[builder(setter(into))]
    name: String,
    /// `metadata.labels` (e.g. `rbac.authorization.k8s.io/aggregate-to-view: "true"` to add
    /// the rules to the built-in `view` role).
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// The rules, in the order added.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a rule (`PolicyRule::new([""], ["pods"], ["get", "list", "watch"])`).
            pub fn rule(&mut self, rule: PolicyRule) {
                self.rules.push(rule);
            }
        )
    )]
    rules: Vec<PolicyRule>,
    /// Selectors of the ClusterRoles whose rules this one aggregates.
    #[builder(
        via_mutators,
        mutators(
            /// Makes this an aggregated ClusterRole: adds the rules of every ClusterRole
            /// with these labels.
            pub fn aggregate_from(&mut self, selector: impl Into<Selector>) {
                self.aggregate_from.push(selector.into());
            }
        )
    )]
    aggregate_from: Vec<Selector>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut rbac::ClusterRole) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<rbac::ClusterRole>,
}

impl ClusterRole {
    /// The ClusterRole's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Manifest for ClusterRole {
    type Object = rbac::ClusterRole;

    fn to_object(&self) -> Result<rbac::ClusterRole> {
        let mut role = rbac::ClusterRole {
            metadata: object_meta(&self.name, None, &self.labels, &self.annotations),
            rules: rules(&self.rules),
            aggregation_rule: (!self.aggregate_from.is_empty()).then(|| rbac::AggregationRule {
                cluster_role_selectors: Some(
                    self.aggregate_from
                        .iter()
                        .map(Selector::to_label_selector)
                        .collect(),
                ),
            }),
        };
        self.customize.apply(&mut role);
        role.to_object()
    }
}

/// A RoleBinding: grants a Role (or a ClusterRole's rules) in its namespace. `name` and the
/// role (`.role(..)`, `.cluster_role(..)` or `.role_ref(..)`) are required.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
///
/// let deployer = Role::builder()
///     .name("deployer")
///     .namespace("shop")
///     .rule(PolicyRule::new(["apps"], ["deployments"], ["get", "list", "patch"]))
///     .build();
/// let binding = RoleBinding::builder()
///     .name("ci-deployer")
///     .namespace("shop")
///     .role("deployer")
///     .service_account("ci", "shop")
///     .group("shop-admins")
///     .build();
/// let object = binding.to_object()?;
/// assert_eq!(object.role_ref.kind, "Role");
/// assert_eq!(object.subjects.unwrap()[1].kind, "Group");
/// # let _ = deployer.to_object()?;
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`RoleBinding::new`] (the required fields as arguments) or [`RoleBinding::builder()`](RoleBinding::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | `metadata.namespace`; usually left to the bundle or the apply target. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.role_ref(RoleRef)` — **required** | The role granted (`roleRef`). |
/// | `.service_account(name, namespace)` / `.local_service_account(name)` / `.user(name)` / `.group(name)` / `.subject(subject)` (repeatable) | Who gets the role. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct RoleBinding {
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
    /// The role granted (`roleRef`).
    role_ref: RoleRef,
    /// Who gets the role.
    #[builder(
        via_mutators,
        mutators(
            /// Grants the role to the ServiceAccount `name` of `namespace`.
            pub fn service_account(&mut self, name: impl Into<String>, namespace: impl Into<String>) {
                self.subjects.push(Subject::service_account(name, namespace));
            }
            /// Grants the role to the ServiceAccount `name` of the binding's own namespace
            /// ([`Subject::local_service_account`]).
            pub fn local_service_account(&mut self, name: impl Into<String>) {
                self.subjects.push(Subject::local_service_account(name));
            }
            /// Grants the role to a user.
            pub fn user(&mut self, name: impl Into<String>) {
                self.subjects.push(Subject::User(name.into()));
            }
            /// Grants the role to a group.
            pub fn group(&mut self, name: impl Into<String>) {
                self.subjects.push(Subject::Group(name.into()));
            }
            /// Grants the role to `subject`.
            pub fn subject(&mut self, subject: Subject) {
                self.subjects.push(subject);
            }
        )
    )]
    subjects: Vec<Subject>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut rbac::RoleBinding) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<rbac::RoleBinding>,
}

impl RoleBinding {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name and the role it grants; go on with any
    /// other setter, then `.build()`. Same as `RoleBinding::builder().name(..).role_ref(..)`, but
    /// leaving one out is an ordinary "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        role_ref: RoleRef,
    ) -> RoleBindingBuilder<(
        (String,),
        (),
        (),
        (),
        (RoleRef,),
        (Vec<Subject>,),
        (Customize<rbac::RoleBinding>,),
    )> {
        Self::builder().name(name).role_ref(role_ref)
    }
}

/// A [`RoleBindingBuilder`] whose role is set (what `.role(..)` and `.cluster_role(..)`
/// return); the other parameters are the states of the other fields.
pub type RoleBindingWithRole<N, Ns, L, A, S, C> =
    RoleBindingBuilder<(N, Ns, L, A, (RoleRef,), S, C)>;

// `.role(..)` and `.cluster_role(..)`: the two ways to set the required `role_ref`. The tuple
// holds the builder's field states in declaration order; `role_ref` is the fifth.
impl<N, Ns, L, A, S, C> RoleBindingBuilder<(N, Ns, L, A, (), S, C)> {
    /// Grants the Role `name` of the binding's namespace.
    pub fn role(self, name: impl Into<String>) -> RoleBindingWithRole<N, Ns, L, A, S, C> {
        self.role_ref(RoleRef::Role(name.into()))
    }

    /// Grants the rules of the ClusterRole `name`, in the binding's namespace only.
    pub fn cluster_role(self, name: impl Into<String>) -> RoleBindingWithRole<N, Ns, L, A, S, C> {
        self.role_ref(RoleRef::ClusterRole(name.into()))
    }
}

impl RoleBinding {
    /// The RoleBinding's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Manifest for RoleBinding {
    type Object = rbac::RoleBinding;

    fn to_object(&self) -> Result<rbac::RoleBinding> {
        let mut binding = rbac::RoleBinding {
            metadata: object_meta(
                &self.name,
                self.namespace.as_ref(),
                &self.labels,
                &self.annotations,
            ),
            role_ref: self.role_ref.to_k8s(),
            subjects: subjects(&self.subjects),
        };
        self.customize.apply(&mut binding);
        binding.to_object()
    }
}

/// A ClusterRoleBinding: grants a ClusterRole in every namespace. `name` and `cluster_role`
/// are required; ServiceAccount subjects need their namespace.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
///
/// let reader = ClusterRole::builder()
///     .name("fluentd")
///     .rule(PolicyRule::new([""], ["pods", "namespaces"], ["get", "list", "watch"]))
///     .build();
/// let binding = ClusterRoleBinding::builder()
///     .name("fluentd")
///     .cluster_role("fluentd")
///     .service_account("fluentd", "kube-system")
///     .build();
/// let account = ServiceAccount::builder()
///     .name("fluentd")
///     .namespace("kube-system")
///     .automount_token(true) // the pod talks to the API server
///     .build();
///
/// let mut app = Bundle::new("fluentd");
/// app.add(reader)?.add(binding)?.add(account)?;
/// let binding = app.get("ClusterRoleBinding", "fluentd").unwrap().to_json_value()?;
/// assert_eq!(binding["roleRef"]["kind"], "ClusterRole");
/// assert_eq!(binding["subjects"][0]["namespace"], "kube-system");
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`ClusterRoleBinding::new`] (the required fields as arguments) or [`ClusterRoleBinding::builder()`](ClusterRoleBinding::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | `metadata.name`. |
/// | `.labels(impl Into<Labels>)` | `metadata.labels`. |
/// | `.annotations(impl Into<Annotations>)` | `metadata.annotations`. |
/// | `.cluster_role(impl Into<String>)` — **required** | The name of the ClusterRole granted. |
/// | `.service_account(name, namespace)` / `.user(name)` / `.group(name)` / `.subject(subject)` (repeatable) | Who gets the role. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished object before validation. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct ClusterRoleBinding {
    /// `metadata.name`.
    #[builder(setter(into))]
    name: String,
    /// `metadata.labels`.
    #[builder(default, setter(into))]
    labels: Labels,
    /// `metadata.annotations`.
    #[builder(default, setter(into))]
    annotations: Annotations,
    /// The name of the ClusterRole granted.
    #[builder(setter(into))]
    cluster_role: String,
    /// Who gets the role.
    #[builder(
        via_mutators,
        mutators(
            /// Grants the role to the ServiceAccount `name` of `namespace`.
            pub fn service_account(&mut self, name: impl Into<String>, namespace: impl Into<String>) {
                self.subjects.push(Subject::service_account(name, namespace));
            }
            /// Grants the role to a user.
            pub fn user(&mut self, name: impl Into<String>) {
                self.subjects.push(Subject::User(name.into()));
            }
            /// Grants the role to a group.
            pub fn group(&mut self, name: impl Into<String>) {
                self.subjects.push(Subject::Group(name.into()));
            }
            /// Grants the role to `subject`.
            pub fn subject(&mut self, subject: Subject) {
                self.subjects.push(subject);
            }
        )
    )]
    subjects: Vec<Subject>,
    /// Escape hatch: hooks run on the finished object before validation.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished object.
            pub fn customize(&mut self, f: impl Fn(&mut rbac::ClusterRoleBinding) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<rbac::ClusterRoleBinding>,
}

impl ClusterRoleBinding {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name and the ClusterRole it grants; go on
    /// with any other setter, then `.build()`. Same as
    /// `ClusterRoleBinding::builder().name(..).cluster_role(..)`, but leaving one out is an
    /// ordinary "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        cluster_role: impl Into<String>,
    ) -> ClusterRoleBindingBuilder<(
        (String,),
        (),
        (),
        (String,),
        (Vec<Subject>,),
        (Customize<rbac::ClusterRoleBinding>,),
    )> {
        Self::builder().name(name).cluster_role(cluster_role)
    }
}

impl ClusterRoleBinding {
    /// The ClusterRoleBinding's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Manifest for ClusterRoleBinding {
    type Object = rbac::ClusterRoleBinding;

    fn to_object(&self) -> Result<rbac::ClusterRoleBinding> {
        let mut binding = rbac::ClusterRoleBinding {
            metadata: object_meta(&self.name, None, &self.labels, &self.annotations),
            role_ref: RoleRef::ClusterRole(self.cluster_role.clone()).to_k8s(),
            subjects: subjects(&self.subjects),
        };
        self.customize.apply(&mut binding);
        binding.to_object()
    }
}

// ---------------------------------------------------------------------------------------------
// Validation: the apiserver's RBAC rules, plus the mistakes it lets through but the authorizer
// then ignores (a namespace on a User, a non-resource URL that can never match).

/// Whether the role or binding is namespaced (Role, RoleBinding) or cluster-wide.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Namespace,
    Cluster(&'static str),
}

fn check_rules(c: &mut Checker, rules: Option<&Vec<rbac::PolicyRule>>, scope: Scope) {
    let filled = |v: &Option<Vec<String>>| v.as_ref().is_some_and(|v| !v.is_empty());
    for (i, r) in rules.into_iter().flatten().enumerate() {
        let p = format!("rules[{i}]");
        if r.verbs.is_empty() {
            c.fail(format_args!("{p}.verbs"), "at least one verb is required");
        }
        if filled(&r.non_resource_urls) {
            if scope == Scope::Namespace {
                c.fail(
                    format_args!("{p}.nonResourceURLs"),
                    "only allowed in ClusterRoles (non-resource URLs are not namespaced)",
                );
            }
            if filled(&r.api_groups) || filled(&r.resources) || filled(&r.resource_names) {
                c.fail(
                    format_args!("{p}.nonResourceURLs"),
                    "must not be combined with apiGroups, resources or resourceNames",
                );
            }
            for (j, url) in r.non_resource_urls.iter().flatten().enumerate() {
                let star = url.find('*');
                if url != "*" && !url.starts_with('/') {
                    c.fail(
                        format_args!("{p}.nonResourceURLs[{j}]"),
                        format!("{url:?} must start with '/' (or be \"*\")"),
                    );
                } else if star.is_some_and(|at| at + 1 != url.len()) {
                    c.fail(
                        format_args!("{p}.nonResourceURLs[{j}]"),
                        format!("{url:?} may only have '*' at the end"),
                    );
                }
            }
            continue;
        }
        if !filled(&r.api_groups) {
            c.fail(
                format_args!("{p}.apiGroups"),
                "at least one API group is required for resource rules (\"\" is the core group)",
            );
        }
        if !filled(&r.resources) {
            c.fail(
                format_args!("{p}.resources"),
                match scope {
                    Scope::Namespace => "at least one resource is required",
                    Scope::Cluster(_) => {
                        "at least one resource (or else nonResourceURLs) is required"
                    }
                },
            );
        }
    }
}

fn check_role_ref(c: &mut Checker, r: &rbac::RoleRef, scope: Scope) {
    // Unset or empty is defaulted to the RBAC group by the apiserver.
    if let Some(group) = r
        .api_group
        .as_deref()
        .filter(|g| !g.is_empty() && *g != RBAC_GROUP)
    {
        c.fail(
            "roleRef.apiGroup",
            format!("{group:?} is not valid ({RBAC_GROUP})"),
        );
    }
    match (scope, r.kind.as_str()) {
        (Scope::Namespace, "Role" | "ClusterRole") | (Scope::Cluster(_), "ClusterRole") => {}
        (Scope::Namespace, kind) => c.fail(
            "roleRef.kind",
            format!("{kind:?} is not valid (Role, ClusterRole)"),
        ),
        (Scope::Cluster(_), kind) => c.fail(
            "roleRef.kind",
            format!(
                "{kind:?} is not valid (ClusterRole: a ClusterRoleBinding cannot grant a Role)"
            ),
        ),
    }
    c.check("roleRef.name", validate::path_segment_name(&r.name));
}

fn check_subjects(c: &mut Checker, subjects: Option<&Vec<rbac::Subject>>, scope: Scope) {
    for (i, s) in subjects.into_iter().flatten().enumerate() {
        let p = format!("subjects[{i}]");
        if s.name.is_empty() {
            c.fail(format_args!("{p}.name"), "must not be empty");
        }
        let group = s.api_group.as_deref().unwrap_or_default();
        let namespace = s.namespace.as_deref().unwrap_or_default();
        match s.kind.as_str() {
            "ServiceAccount" => {
                if !s.name.is_empty() {
                    c.check(
                        format_args!("{p}.name"),
                        validate::dns1123_subdomain(&s.name),
                    );
                }
                if !group.is_empty() {
                    c.fail(
                        format_args!("{p}.apiGroup"),
                        format!("{group:?} is not valid (\"\" for ServiceAccount subjects)"),
                    );
                }
                match (namespace, scope) {
                    ("", Scope::Cluster(kind)) => c.fail(
                        format_args!("{p}.namespace"),
                        format!("required for ServiceAccount subjects of a {kind}"),
                    ),
                    ("", Scope::Namespace) => {}
                    (ns, _) => c.check(format_args!("{p}.namespace"), validate::dns1123_label(ns)),
                }
            }
            kind @ ("User" | "Group") => {
                // Unset or empty is defaulted to the RBAC group by the apiserver.
                if !group.is_empty() && group != RBAC_GROUP {
                    c.fail(
                        format_args!("{p}.apiGroup"),
                        format!("{group:?} is not valid ({RBAC_GROUP})"),
                    );
                }
                if !namespace.is_empty() {
                    c.fail(
                        format_args!("{p}.namespace"),
                        format!("must not be set for {kind} subjects (they are not namespaced)"),
                    );
                }
            }
            other => c.fail(
                format_args!("{p}.kind"),
                format!("{other:?} is not valid (ServiceAccount, User, Group)"),
            ),
        }
    }
}

impl Validate for rbac::Role {
    fn validate(&self, c: &mut Checker) {
        check_rules(c, self.rules.as_ref(), Scope::Namespace);
    }
}

impl Validate for rbac::ClusterRole {
    fn validate(&self, c: &mut Checker) {
        check_rules(c, self.rules.as_ref(), Scope::Cluster("ClusterRole"));
        if let Some(aggregation) = &self.aggregation_rule {
            let selectors = aggregation.cluster_role_selectors.as_deref();
            if selectors.is_none_or(<[_]>::is_empty) {
                c.fail(
                    "aggregationRule.clusterRoleSelectors",
                    "at least one selector is required",
                );
            }
            for (i, s) in selectors.into_iter().flatten().enumerate() {
                check_label_selector(c, &format!("aggregationRule.clusterRoleSelectors[{i}]"), s);
            }
        }
    }
}

impl Validate for rbac::RoleBinding {
    fn validate(&self, c: &mut Checker) {
        check_role_ref(c, &self.role_ref, Scope::Namespace);
        check_subjects(c, self.subjects.as_ref(), Scope::Namespace);
    }
}

impl Validate for rbac::ClusterRoleBinding {
    fn validate(&self, c: &mut Checker) {
        let scope = Scope::Cluster("ClusterRoleBinding");
        check_role_ref(c, &self.role_ref, scope);
        check_subjects(c, self.subjects.as_ref(), scope);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors<M: Manifest>(m: &M) -> Vec<String> {
        match m.to_object() {
            Ok(_) => Vec::new(),
            Err(e) => e.violations().iter().map(ToString::to_string).collect(),
        }
    }

    fn one_error<M: Manifest>(m: &M) -> String {
        let e = errors(m);
        assert_eq!(e.len(), 1, "{e:#?}");
        e[0].clone()
    }

    fn role(rule: PolicyRule) -> Role {
        Role::builder().name("r").rule(rule).build()
    }

    fn cluster_role(rule: PolicyRule) -> ClusterRole {
        ClusterRole::builder().name("cr").rule(rule).build()
    }

    fn raw_rule(f: impl FnOnce(&mut rbac::PolicyRule)) -> PolicyRule {
        let mut r = PolicyRule::new(["apps"], ["deployments"], ["get"]).to_k8s();
        f(&mut r);
        PolicyRule::from(r)
    }

    macro_rules! binding {
        () => {
            RoleBinding::builder().name("b").role("r")
        };
    }

    fn raw_binding(f: impl Fn(&mut rbac::RoleBinding) + Send + Sync + 'static) -> RoleBinding {
        binding!()
            .service_account("app", "shop")
            .customize(f)
            .build()
    }

    fn raw_cluster_binding(
        f: impl Fn(&mut rbac::ClusterRoleBinding) + Send + Sync + 'static,
    ) -> ClusterRoleBinding {
        ClusterRoleBinding::builder()
            .name("cb")
            .cluster_role("cr")
            .service_account("app", "shop")
            .customize(f)
            .build()
    }

    #[test]
    fn role_and_rules() {
        let r = Role::builder()
            .name("deployer")
            .namespace("shop")
            .labels([("team", "a")])
            .rule(PolicyRule::new(
                ["apps"],
                ["deployments", "replicasets"],
                ["get", "list"],
            ))
            .rule(PolicyRule::new([""], ["configmaps"], ["get"]).resource_names(["settings"]))
            .build();
        assert_eq!(r.name(), "deployer");
        let object = r.to_object().unwrap();
        assert_eq!(object.metadata.namespace.as_deref(), Some("shop"));
        let rules = object.rules.unwrap();
        assert_eq!(
            rules[0].api_groups.as_deref(),
            Some(&["apps".to_owned()][..])
        );
        assert_eq!(rules[0].verbs, ["get", "list"]);
        assert_eq!(
            rules[1].resource_names.as_deref(),
            Some(&["settings".to_owned()][..])
        );
        assert_eq!(rules[1].non_resource_urls, None);
        // No rules at all is a valid (empty) role.
        let empty = Role::builder().name("nothing").build().to_object().unwrap();
        assert_eq!(empty.rules, None);
    }

    #[test]
    fn cluster_role_with_urls_and_aggregation() {
        let cr = ClusterRole::builder()
            .name("system:metrics-reader")
            .rule(PolicyRule::non_resource_urls(
                ["/metrics", "/debug/*"],
                ["get"],
            ))
            .aggregate_from(Selector::new().label("aggregate-to-metrics", "true"))
            .build();
        assert_eq!(cr.name(), "system:metrics-reader");
        let object = cr.to_object().unwrap();
        assert_eq!(object.metadata.namespace, None);
        assert_eq!(
            object.rules.unwrap()[0].non_resource_urls.as_deref(),
            Some(&["/metrics".to_owned(), "/debug/*".to_owned()][..])
        );
        let selectors = object
            .aggregation_rule
            .unwrap()
            .cluster_role_selectors
            .unwrap();
        assert_eq!(
            selectors[0].match_labels.as_ref().unwrap()["aggregate-to-metrics"],
            "true"
        );
    }

    #[test]
    fn role_binding_kinds_and_subjects() {
        let b = binding!()
            .namespace("shop")
            .service_account("ci", "tools")
            .subject(Subject::ServiceAccount {
                name: "local".into(),
                namespace: None,
            })
            .user("jane@example.com")
            .group("shop-admins")
            .build();
        assert_eq!(b.name(), "b");
        let object = b.to_object().unwrap();
        assert_eq!(
            object.role_ref,
            rbac::RoleRef {
                api_group: Some(RBAC_GROUP.into()),
                kind: "Role".into(),
                name: "r".into(),
            }
        );
        let s = object.subjects.unwrap();
        assert_eq!(
            (
                s[0].kind.as_str(),
                s[0].namespace.as_deref(),
                s[0].api_group.as_deref()
            ),
            ("ServiceAccount", Some("tools"), None)
        );
        assert_eq!(s[1].namespace, None);
        assert_eq!(
            (s[2].kind.as_str(), s[2].api_group.as_deref()),
            ("User", Some(RBAC_GROUP))
        );
        assert_eq!(s[3].kind, "Group");
        let view = RoleBinding::builder()
            .name("viewers")
            .cluster_role("view")
            .group("devs")
            .build()
            .to_object()
            .unwrap();
        assert_eq!(view.role_ref.kind, "ClusterRole");
        let typed = RoleBinding::builder()
            .name("typed")
            .role_ref(RoleRef::ClusterRole("edit".into()))
            .build()
            .to_object()
            .unwrap();
        assert_eq!(typed.role_ref.name, "edit");
    }

    #[test]
    fn cluster_role_binding() {
        let b = ClusterRoleBinding::builder()
            .name("fluentd")
            .cluster_role("fluentd")
            .service_account("fluentd", "kube-system")
            .build();
        assert_eq!(b.name(), "fluentd");
        let object = b.to_object().unwrap();
        assert_eq!(object.metadata.namespace, None);
        assert_eq!(object.role_ref.kind, "ClusterRole");
        assert_eq!(object.role_ref.name, "fluentd");
        assert_eq!(object.subjects.unwrap()[0].name, "fluentd");
    }

    #[test]
    fn rbac_names_may_contain_colons() {
        assert!(
            ClusterRole::builder()
                .name("system:x")
                .build()
                .to_object()
                .is_ok()
        );
        assert_eq!(
            one_error(&ClusterRole::builder().name("a/b").build()),
            r#"clusterrole "a/b": metadata.name: "a/b" must not contain '/' or '%'"#
        );
        assert_eq!(
            one_error(&Role::builder().name("..").build()),
            r#"role "..": metadata.name: ".." is not a valid name"#
        );
    }

    // --- one test per rule ---

    #[test]
    fn rule_verbs_required() {
        assert_eq!(
            one_error(&role(PolicyRule::new(
                ["apps"],
                ["deployments"],
                Vec::<String>::new()
            ))),
            r#"role "r": rules[0].verbs: at least one verb is required"#
        );
    }

    #[test]
    fn rule_api_groups_required() {
        assert_eq!(
            one_error(&role(PolicyRule::new(
                Vec::<String>::new(),
                ["pods"],
                ["get"]
            ))),
            r#"role "r": rules[0].apiGroups: at least one API group is required for resource rules ("" is the core group)"#
        );
    }

    #[test]
    fn rule_resources_required() {
        assert_eq!(
            one_error(&role(PolicyRule::new([""], Vec::<String>::new(), ["get"]))),
            r#"role "r": rules[0].resources: at least one resource is required"#
        );
        assert_eq!(
            one_error(&cluster_role(PolicyRule::new(
                [""],
                Vec::<String>::new(),
                ["get"]
            ))),
            r#"clusterrole "cr": rules[0].resources: at least one resource (or else nonResourceURLs) is required"#
        );
    }

    #[test]
    fn rule_non_resource_urls_only_in_cluster_roles() {
        assert_eq!(
            one_error(&role(PolicyRule::non_resource_urls(["/healthz"], ["get"]))),
            r#"role "r": rules[0].nonResourceURLs: only allowed in ClusterRoles (non-resource URLs are not namespaced)"#
        );
        assert!(
            cluster_role(PolicyRule::non_resource_urls(["*"], ["get"]))
                .to_object()
                .is_ok()
        );
    }

    #[test]
    fn rule_non_resource_urls_alone() {
        let mixed = raw_rule(|r| r.non_resource_urls = Some(vec!["/healthz".into()]));
        assert_eq!(
            one_error(&cluster_role(mixed)),
            r#"clusterrole "cr": rules[0].nonResourceURLs: must not be combined with apiGroups, resources or resourceNames"#
        );
    }

    #[test]
    fn rule_non_resource_url_shape() {
        assert_eq!(
            one_error(&cluster_role(PolicyRule::non_resource_urls(
                ["healthz"],
                ["get"]
            ))),
            r#"clusterrole "cr": rules[0].nonResourceURLs[0]: "healthz" must start with '/' (or be "*")"#
        );
        assert_eq!(
            one_error(&cluster_role(PolicyRule::non_resource_urls(
                ["/api/*/x"],
                ["get"]
            ))),
            r#"clusterrole "cr": rules[0].nonResourceURLs[0]: "/api/*/x" may only have '*' at the end"#
        );
    }

    #[test]
    fn rule_aggregation_selectors() {
        let empty = ClusterRole::builder()
            .name("cr")
            .customize(|r: &mut rbac::ClusterRole| {
                r.aggregation_rule = Some(rbac::AggregationRule::default())
            })
            .build();
        assert_eq!(
            one_error(&empty),
            r#"clusterrole "cr": aggregationRule.clusterRoleSelectors: at least one selector is required"#
        );
        let bad = ClusterRole::builder()
            .name("cr")
            .aggregate_from(Selector::new().label("x", "-"))
            .build();
        assert_eq!(
            one_error(&bad),
            r#"clusterrole "cr": aggregationRule.clusterRoleSelectors[0].matchLabels["x"]: value "-" must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"#
        );
    }

    #[test]
    fn rule_cluster_objects_have_no_namespace() {
        let cr = ClusterRole::builder()
            .name("cr")
            .customize(|r: &mut rbac::ClusterRole| r.metadata.namespace = Some("x".into()))
            .build();
        assert_eq!(
            one_error(&cr),
            r#"clusterrole "x/cr": metadata.namespace: must not be set: ClusterRoles are not namespaced"#
        );
        let cb = raw_cluster_binding(|b| b.metadata.namespace = Some("x".into()));
        assert_eq!(
            one_error(&cb),
            r#"clusterrolebinding "x/cb": metadata.namespace: must not be set: ClusterRoleBindings are not namespaced"#
        );
    }

    #[test]
    fn rule_role_ref_api_group() {
        let b = raw_binding(|b| b.role_ref.api_group = Some("apps".into()));
        assert_eq!(
            one_error(&b),
            r#"rolebinding "b": roleRef.apiGroup: "apps" is not valid (rbac.authorization.k8s.io)"#
        );
        // Unset is defaulted by the apiserver.
        assert_eq!(
            errors(&raw_binding(|b| b.role_ref.api_group = None)),
            Vec::<String>::new()
        );
    }

    #[test]
    fn rule_role_ref_kind() {
        let b = raw_binding(|b| b.role_ref.kind = "ServiceAccount".into());
        assert_eq!(
            one_error(&b),
            r#"rolebinding "b": roleRef.kind: "ServiceAccount" is not valid (Role, ClusterRole)"#
        );
        let cb = raw_cluster_binding(|b| b.role_ref.kind = "Role".into());
        assert_eq!(
            one_error(&cb),
            r#"clusterrolebinding "cb": roleRef.kind: "Role" is not valid (ClusterRole: a ClusterRoleBinding cannot grant a Role)"#
        );
    }

    #[test]
    fn rule_role_ref_name() {
        let b = RoleBinding::builder().name("b").role("").build();
        assert_eq!(
            one_error(&b),
            r#"rolebinding "b": roleRef.name: must not be empty"#
        );
        let cb = ClusterRoleBinding::builder()
            .name("cb")
            .cluster_role("a%b")
            .build();
        assert_eq!(
            one_error(&cb),
            r#"clusterrolebinding "cb": roleRef.name: "a%b" must not contain '/' or '%'"#
        );
    }

    #[test]
    fn rule_subject_name() {
        assert_eq!(
            one_error(&binding!().user("").build()),
            r#"rolebinding "b": subjects[0].name: must not be empty"#
        );
        assert_eq!(
            one_error(&binding!().service_account("CI", "shop").build()),
            r#"rolebinding "b": subjects[0].name: "CI" must consist of lowercase letters, digits, '-' and '.'"#
        );
        // Users and groups are named by the authenticator: anything goes.
        assert!(
            binding!()
                .user("Jane Doe")
                .group("system:masters")
                .build()
                .to_object()
                .is_ok()
        );
    }

    #[test]
    fn rule_subject_kind() {
        let b = raw_binding(|b| {
            b.subjects
                .as_mut()
                .into_iter()
                .flatten()
                .for_each(|s| s.kind = "Pod".into())
        });
        assert_eq!(
            one_error(&b),
            r#"rolebinding "b": subjects[0].kind: "Pod" is not valid (ServiceAccount, User, Group)"#
        );
    }

    #[test]
    fn rule_service_account_namespace() {
        let cb = ClusterRoleBinding::builder()
            .name("cb")
            .cluster_role("cr")
            .subject(Subject::ServiceAccount {
                name: "fluentd".into(),
                namespace: None,
            })
            .build();
        assert_eq!(
            one_error(&cb),
            r#"clusterrolebinding "cb": subjects[0].namespace: required for ServiceAccount subjects of a ClusterRoleBinding"#
        );
        assert_eq!(
            one_error(&binding!().service_account("ci", "Tools").build()),
            r#"rolebinding "b": subjects[0].namespace: "Tools" must consist of lowercase letters, digits and '-'"#
        );
    }

    #[test]
    fn rule_subject_api_group() {
        let sa = raw_binding(|b| {
            b.subjects
                .as_mut()
                .into_iter()
                .flatten()
                .for_each(|s| s.api_group = Some(RBAC_GROUP.into()))
        });
        assert_eq!(
            one_error(&sa),
            r#"rolebinding "b": subjects[0].apiGroup: "rbac.authorization.k8s.io" is not valid ("" for ServiceAccount subjects)"#
        );
        let user = binding!()
            .user("jane")
            .customize(|b: &mut rbac::RoleBinding| {
                b.subjects
                    .as_mut()
                    .into_iter()
                    .flatten()
                    .for_each(|s| s.api_group = Some("example.com".into()))
            })
            .build();
        assert_eq!(
            one_error(&user),
            r#"rolebinding "b": subjects[0].apiGroup: "example.com" is not valid (rbac.authorization.k8s.io)"#
        );
    }

    #[test]
    fn rule_user_and_group_have_no_namespace() {
        let b = binding!()
            .group("devs")
            .customize(|b: &mut rbac::RoleBinding| {
                b.subjects
                    .as_mut()
                    .into_iter()
                    .flatten()
                    .for_each(|s| s.namespace = Some("shop".into()))
            })
            .build();
        assert_eq!(
            one_error(&b),
            r#"rolebinding "b": subjects[0].namespace: must not be set for Group subjects (they are not namespaced)"#
        );
    }
}
