//! [`PodTemplate`]: the pod every workload runs, written once.
//!
//! A full example and the list of setters are on [`PodTemplate`].

use crate::meta::{Annotations, Customize, Labels};
use crate::pod::container::Container;
use crate::pod::scheduling::{Affinity, Toleration, TopologySpread};
use crate::pod::security::PodSecurity;
use crate::pod::volume::Volume;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use typed_builder::TypedBuilder;

/// The label a workload selects its pods by when the template has no selector labels.
pub const NAME_LABEL: &str = "app.kubernetes.io/name";

/// What happens when a container of the pod exits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RestartPolicy {
    /// Always restart (the only policy of Deployments, ReplicaSets, DaemonSets, StatefulSets).
    Always,
    /// Restart after a failure (non-zero exit).
    OnFailure,
    /// Never restart.
    Never,
}

impl RestartPolicy {
    /// The name Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            RestartPolicy::Always => "Always",
            RestartPolicy::OnFailure => "OnFailure",
            RestartPolicy::Never => "Never",
        }
    }
}

/// A pod template: containers, volumes, scheduling and security, shared by every workload.
///
/// At least one container is required (checked when the workload is built). Pods are
/// Pod Security Standards *restricted* unless `.security(..)` says otherwise (see
/// [`PodSecurity`]).
///
/// **Selector labels.** `.selector_label(k, v)` adds a label that the workload's selector
/// matches *and* that every pod carries. Without any, the workload selects
/// `app.kubernetes.io/name: <workload name>`, added to the pod labels. A selector label wins
/// over a plain `.label` with the same key.
///
/// # Example
///
/// ```
/// use kubeprint::prelude::*;
/// let template = PodTemplate::builder()
///     .selector_label("app", "kuard")
///     .label("version", "2")
///     .container(
///         Container::builder()
///             .name("kuard")
///             .image("gcr.io/kuar-demo/kuard-amd64:blue")
///             .port(Port::tcp("http", 8080))
///             .build(),
///     )
///     .build();
/// assert_eq!(template.selector_for("kuard").to_string(), "app=kuard");
/// let spec = template.to_template_spec("kuard");
/// let labels = spec.metadata.unwrap().labels.unwrap();
/// assert_eq!((labels["app"].as_str(), labels["version"].as_str()), ("kuard", "2"));
/// ```
///
/// # Setters
///
/// On [`PodTemplate::builder()`](PodTemplate::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.container(container)` (repeatable) | The containers, in the order added. |
/// | `.init_container(container)` (repeatable) | Init containers, run to completion in order before the containers start. |
/// | `.volume(volume)` (repeatable) | Volumes containers can mount. |
/// | `.selector_label(key, value)` (repeatable) | Labels that select the pods (and are pod labels). |
/// | `.label(key, value)` (repeatable) | Further pod labels (not part of the selector). |
/// | `.annotation(key, value)` / `.rollout_on_config_change()` (repeatable) | Pod annotations. |
/// | `.restart_policy(RestartPolicy)` / `.restart_policy_opt(Option<..>)` | The pod's restart policy; Jobs default to `OnFailure`, everything else to `Always`. |
/// | `.node_selector(key, value)` (repeatable) | Node labels the pod requires (`nodeSelector`). |
/// | `.toleration(toleration)` (repeatable) | Tolerated taints. |
/// | `.affinity(Affinity)` / `.affinity_opt(Option<..>)` | Node affinity and pod (anti-)affinity. |
/// | `.topology_spread(spread)` (repeatable) | Topology spread constraints. |
/// | `.service_account(impl Into<String>)` / `.service_account_opt(Option<..>)` | The ServiceAccount the pod runs as (`serviceAccountName`). |
/// | `.image_pull_secret(secret)` (repeatable) | Secrets with registry credentials. |
/// | `.termination_grace_period(i64)` / `.termination_grace_period_opt(Option<..>)` | Seconds between SIGTERM and SIGKILL on shutdown (`terminationGracePeriodSeconds`). |
/// | `.security(PodSecurity)` | Security settings; Pod Security Standards *restricted* by default. |
/// | `.priority_class(impl Into<String>)` / `.priority_class_opt(Option<..>)` | The PriorityClass (`priorityClassName`). |
/// | `.runtime_class(impl Into<String>)` / `.runtime_class_opt(Option<..>)` | The RuntimeClass (`runtimeClassName`): which container runtime handler runs the pod (a sandbox such as gVisor or Kata), with its overhead and node constraints. |
/// | `.hostname(impl Into<String>)` / `.hostname_opt(Option<..>)` | The pod's hostname (default: the pod name). |
/// | `.subdomain(impl Into<String>)` / `.subdomain_opt(Option<..>)` | The pod's subdomain: with a headless Service of that name the pod gets the DNS name `<hostname>.<subdomain>.<namespace>.svc`. |
/// | `.customize(f)` (repeatable) | Escape hatch: hooks run on the finished template; the workload validates it afterwards. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct PodTemplate {
    /// The containers, in the order added.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a container.
            pub fn container(&mut self, container: Container) {
                self.containers.push(container);
            }
        )
    )]
    containers: Vec<Container>,
    /// Init containers, run to completion in order before the containers start.
    #[builder(
        via_mutators,
        mutators(
            /// Adds an init container.
            pub fn init_container(&mut self, container: Container) {
                self.init_containers.push(container);
            }
        )
    )]
    init_containers: Vec<Container>,
    /// Volumes containers can mount.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a volume (`Volume::empty_dir("scratch")`, `Volume::pvc(..)` ...).
            pub fn volume(&mut self, volume: impl Into<Volume>) {
                self.volumes.push(volume.into());
            }
        )
    )]
    volumes: Vec<Volume>,
    /// Labels that select the pods (and are pod labels).
    #[builder(
        via_mutators,
        mutators(
            /// Adds a label the workload's selector matches; the pods carry it too.
            pub fn selector_label(&mut self, key: impl Into<String>, value: impl Into<String>) {
                self.selector_labels.insert(key, value);
            }
        )
    )]
    selector_labels: Labels,
    /// Further pod labels (not part of the selector).
    #[builder(
        via_mutators,
        mutators(
            /// Adds a pod label that is not part of the selector.
            pub fn label(&mut self, key: impl Into<String>, value: impl Into<String>) {
                self.labels.insert(key, value);
            }
        )
    )]
    labels: Labels,
    /// Pod annotations.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a pod annotation.
            pub fn annotation(&mut self, key: impl Into<String>, value: impl Into<String>) {
                self.annotations.insert(key, value);
            }
            /// Rolls the pods whenever a ConfigMap or Secret of the bundle that they use
            /// changes: the bundle keeps a checksum of that config in the pod template
            /// (`kubeprint.dev/config-checksum`), so a config change is a template change.
            /// Values of "generate once" Secret keys are left out, so they never roll pods.
            ///
            /// ```
            /// use kubeprint::prelude::*;
            /// let web = |level: &str| -> kubeprint::Result<String> {
            ///     let template = PodTemplate::builder()
            ///         .rollout_on_config_change()
            ///         .container(
            ///             Container::builder()
            ///                 .name("web")
            ///                 .image("nginx:1.27")
            ///                 .env_from(EnvFrom::config_map("settings"))
            ///                 .build(),
            ///         )
            ///         .build();
            ///     let app = Bundle::new("web")
            ///         .with(ConfigMap::builder().name("settings").entry("LEVEL", level).build())?
            ///         .with(Deployment::builder().name("web").template(template).build())?;
            ///     app.to_yaml()
            /// };
            /// let checksum = |yaml: String| {
            ///     yaml.lines().find(|l| l.contains("config-checksum")).map(str::to_owned)
            /// };
            /// assert_ne!(checksum(web("debug")?), checksum(web("info")?));
            /// # Ok::<(), kubeprint::Error>(())
            /// ```
            pub fn rollout_on_config_change(&mut self) {
                self.annotations.insert(crate::bundle::ROLLOUT_ON_CONFIG_CHANGE, "true");
            }
        )
    )]
    annotations: Annotations,
    /// The pod's restart policy; Jobs default to `OnFailure`, everything else to `Always`.
    #[builder(default, setter(strip_option(fallback = restart_policy_opt)))]
    restart_policy: Option<RestartPolicy>,
    /// Node labels the pod requires (`nodeSelector`).
    #[builder(
        via_mutators,
        mutators(
            /// Only nodes labelled `key=value` (`nodeSelector`).
            pub fn node_selector(&mut self, key: impl Into<String>, value: impl Into<String>) {
                self.node_selector.insert(key, value);
            }
        )
    )]
    node_selector: Labels,
    /// Tolerated taints.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a toleration.
            pub fn toleration(&mut self, toleration: Toleration) {
                self.tolerations.push(toleration);
            }
        )
    )]
    tolerations: Vec<Toleration>,
    /// Node affinity and pod (anti-)affinity.
    #[builder(default, setter(strip_option(fallback = affinity_opt)))]
    affinity: Option<Affinity>,
    /// Topology spread constraints.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a topology spread constraint.
            pub fn topology_spread(&mut self, spread: TopologySpread) {
                self.topology_spread.push(spread);
            }
        )
    )]
    topology_spread: Vec<TopologySpread>,
    /// The ServiceAccount the pod runs as (`serviceAccountName`).
    #[builder(default, setter(into, strip_option(fallback = service_account_opt)))]
    service_account: Option<String>,
    /// Secrets with registry credentials.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a registry credentials Secret (`imagePullSecrets`).
            pub fn image_pull_secret(&mut self, secret: impl Into<String>) {
                let secret = secret.into();
                if !self.image_pull_secrets.contains(&secret) {
                    self.image_pull_secrets.push(secret);
                }
            }
        )
    )]
    image_pull_secrets: Vec<String>,
    /// Seconds between SIGTERM and SIGKILL on shutdown (`terminationGracePeriodSeconds`).
    #[builder(default, setter(strip_option(fallback = termination_grace_period_opt)))]
    termination_grace_period: Option<i64>,
    /// Security settings; Pod Security Standards *restricted* by default.
    #[builder(default)]
    security: PodSecurity,
    /// The PriorityClass (`priorityClassName`).
    #[builder(default, setter(into, strip_option(fallback = priority_class_opt)))]
    priority_class: Option<String>,
    /// The RuntimeClass (`runtimeClassName`): which container runtime handler runs the pod
    /// (a sandbox such as gVisor or Kata), with its overhead and node constraints.
    #[builder(default, setter(into, strip_option(fallback = runtime_class_opt)))]
    runtime_class: Option<String>,
    /// The pod's hostname (default: the pod name).
    #[builder(default, setter(into, strip_option(fallback = hostname_opt)))]
    hostname: Option<String>,
    /// The pod's subdomain: with a headless Service of that name the pod gets the DNS name
    /// `<hostname>.<subdomain>.<namespace>.svc`.
    #[builder(default, setter(into, strip_option(fallback = subdomain_opt)))]
    subdomain: Option<String>,
    /// Escape hatch: hooks run on the finished template; the workload validates it afterwards.
    #[builder(
        via_mutators,
        mutators(
            /// Adds a hook that may change any field of the finished pod template.
            pub fn customize(&mut self, f: impl Fn(&mut core::PodTemplateSpec) + Send + Sync + 'static) {
                self.customize.push(f);
            }
        )
    )]
    customize: Customize<core::PodTemplateSpec>,
}

impl PodTemplate {
    /// Keeps the builders' promise: under the default *restricted* [`PodSecurity`], a hostPath
    /// or NFS volume, or a capability added beyond `NET_BIND_SERVICE`, would silently make pods
    /// that namespaces enforcing *restricted* refuse. Those need the explicit opt-out
    /// `.security(PodSecurity::default().allow_host_volumes())` (or `allow_added_capabilities`,
    /// or `PodSecurity::unrestricted()`); without it the builder's `to_object` fails,
    /// naming the field (`path` is the pod spec's, e.g. `spec.template.spec`).
    pub(crate) fn keep_restricted_promise(
        &self,
        kind: &str,
        name: &str,
        path: &str,
    ) -> crate::error::Result<()> {
        let object = crate::error::ObjectRef::new(kind, name);
        let mut out = Vec::new();
        let why = |opt_out: &str| {
            format!(
                "breaks Pod Security restricted, which the template's default PodSecurity \
                 promises: opt out explicitly with PodSecurity::{opt_out}()"
            )
        };
        let volumes = if self.security.allows_host_volumes() {
            &[][..]
        } else {
            &self.volumes[..]
        };
        for (i, v) in volumes.iter().enumerate() {
            let v = v.to_k8s();
            for (source, set) in [
                ("hostPath", v.host_path.is_some()),
                ("nfs", v.nfs.is_some()),
            ] {
                if set {
                    out.push(crate::error::Violation::new(
                        object.clone(),
                        format!("{path}.volumes[{i}].{source}"),
                        format!("a {source} volume {}", why("allow_host_volumes")),
                    ));
                }
            }
        }
        let defaults = self.security.container_context();
        let lists = [
            ("initContainers", &self.init_containers),
            ("containers", &self.containers),
        ];
        for (field, list) in lists
            .into_iter()
            .filter(|_| !self.security.allows_added_capabilities())
        {
            for (i, c) in list.iter().enumerate() {
                let k = c.to_k8s(defaults.as_ref());
                let adds = k
                    .security_context
                    .and_then(|s| s.capabilities)
                    .and_then(|c| c.add)
                    .unwrap_or_default();
                for (j, cap) in adds.iter().enumerate() {
                    if cap != "NET_BIND_SERVICE" {
                        out.push(crate::error::Violation::new(
                            object.clone(),
                            format!("{path}.{field}[{i}].securityContext.capabilities.add[{j}]"),
                            format!(
                                "adding capability {cap} {}",
                                why("allow_added_capabilities")
                            ),
                        ));
                    }
                }
            }
        }
        if out.is_empty() {
            Ok(())
        } else {
            Err(crate::Error::Invalid(out))
        }
    }

    /// The selector of a workload named `workload` running this template: the selector labels,
    /// or `app.kubernetes.io/name: <workload>` when there are none.
    pub fn selector_for(&self, workload: &str) -> Labels {
        if self.selector_labels.is_empty() {
            Labels::from([(NAME_LABEL, workload)])
        } else {
            self.selector_labels.clone()
        }
    }

    /// The containers.
    pub fn containers(&self) -> &[Container] {
        &self.containers
    }

    /// The restart policy set on the template, if any.
    pub fn restart_policy(&self) -> Option<RestartPolicy> {
        self.restart_policy
    }

    /// The security settings.
    pub fn security(&self) -> &PodSecurity {
        &self.security
    }

    /// Every port of every container, in container order.
    pub fn ports(&self) -> Vec<core::ContainerPort> {
        self.containers
            .iter()
            .flat_map(|c| c.ports().iter().map(|p| p.to_container_port()))
            .collect()
    }

    /// The template as `k8s-openapi` holds it, for a workload named `workload` (customize hooks
    /// included; not validated — the workload validates it).
    pub fn to_template_spec(&self, workload: &str) -> core::PodTemplateSpec {
        self.render(workload, None)
    }

    /// Like [`PodTemplate::to_template_spec`]; `restart_policy` overrides the template's.
    pub(crate) fn render(
        &self,
        workload: &str,
        restart_policy: Option<RestartPolicy>,
    ) -> core::PodTemplateSpec {
        let selector = self.selector_for(workload);
        let mut labels = self.labels.clone();
        labels.merge(&selector);
        let defaults = self.security.container_context();
        let containers = |list: &[Container]| -> Vec<core::Container> {
            list.iter().map(|c| c.to_k8s(defaults.as_ref())).collect()
        };
        let init = containers(&self.init_containers);
        let affinity = self.affinity.as_ref().map(|a| a.to_k8s(&selector));
        let spec = core::PodSpec {
            containers: containers(&self.containers),
            init_containers: (!init.is_empty()).then_some(init),
            volumes: (!self.volumes.is_empty())
                .then(|| self.volumes.iter().map(Volume::to_k8s).collect()),
            restart_policy: restart_policy
                .or(self.restart_policy)
                .map(|p| p.as_str().to_owned()),
            node_selector: self.node_selector.to_option(),
            tolerations: (!self.tolerations.is_empty())
                .then(|| self.tolerations.iter().map(Toleration::to_k8s).collect()),
            affinity: affinity.filter(|a| *a != core::Affinity::default()),
            topology_spread_constraints: (!self.topology_spread.is_empty()).then(|| {
                self.topology_spread
                    .iter()
                    .map(|t| t.to_k8s(&selector))
                    .collect()
            }),
            service_account_name: self.service_account.clone(),
            automount_service_account_token: self.security.automount(),
            image_pull_secrets: (!self.image_pull_secrets.is_empty()).then(|| {
                self.image_pull_secrets
                    .iter()
                    .map(|name| core::LocalObjectReference { name: name.clone() })
                    .collect()
            }),
            termination_grace_period_seconds: self.termination_grace_period,
            security_context: self.security.pod_context(),
            priority_class_name: self.priority_class.clone(),
            runtime_class_name: self.runtime_class.clone(),
            hostname: self.hostname.clone(),
            subdomain: self.subdomain.clone(),
            ..core::PodSpec::default()
        };
        let mut template = core::PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: labels.to_option(),
                annotations: self.annotations.to_option(),
                ..ObjectMeta::default()
            }),
            spec: Some(spec),
        };
        self.customize.apply(&mut template);
        template
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::{NodeExpr, Port, TaintEffect};

    fn app() -> Container {
        Container::builder()
            .name("app")
            .image("nginx:1.27")
            .port(Port::tcp("http", 80))
            .build()
    }

    #[test]
    fn default_selector_is_the_workload_name() {
        let t = PodTemplate::builder().container(app()).build();
        assert_eq!(t.selector_for("web"), Labels::from([(NAME_LABEL, "web")]));
        let spec = t.to_template_spec("web");
        assert_eq!(spec.metadata.unwrap().labels.unwrap()[NAME_LABEL], "web");
    }

    #[test]
    fn selector_labels_are_pod_labels_and_win() {
        let t = PodTemplate::builder()
            .container(app())
            .label("app", "other")
            .label("tier", "web")
            .selector_label("app", "kuard")
            .build();
        assert_eq!(t.selector_for("ignored"), Labels::from([("app", "kuard")]));
        let labels = t
            .to_template_spec("ignored")
            .metadata
            .unwrap()
            .labels
            .unwrap();
        assert_eq!(labels.len(), 2);
        assert_eq!(
            (labels["app"].as_str(), labels["tier"].as_str()),
            ("kuard", "web")
        );
    }

    #[test]
    fn restricted_by_default() {
        let t = PodTemplate::builder()
            .container(app())
            .init_container(app())
            .build();
        let spec = t.to_template_spec("web").spec.unwrap();
        assert!(crate::pod::restricted_findings(&spec).is_empty());
        assert_eq!(spec.automount_service_account_token, Some(false));
        assert_eq!(spec.security_context.unwrap().run_as_non_root, Some(true));
        let init = &spec.init_containers.unwrap()[0];
        assert_eq!(
            init.security_context
                .as_ref()
                .unwrap()
                .read_only_root_filesystem,
            Some(true)
        );
    }

    #[test]
    fn added_capabilities_and_host_volumes_need_an_opt_out() {
        use crate::pod::ContainerSecurity;
        let deployment = |security: PodSecurity| {
            crate::Deployment::builder()
                .name("web")
                .template(
                    PodTemplate::builder()
                        .security(security)
                        .container(
                            Container::builder()
                                .name("web")
                                .image("nginx:1.27")
                                .security(ContainerSecurity::new().add_capability("NET_ADMIN"))
                                .build(),
                        )
                        .volume(Volume::nfs("shared", "nfs.example.com", "/exports"))
                        .build(),
                )
                .build()
        };
        let e = crate::Manifest::to_object(&deployment(PodSecurity::default())).unwrap_err();
        let paths: Vec<&str> = e.violations().iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "spec.template.spec.volumes[0].nfs",
                "spec.template.spec.containers[0].securityContext.capabilities.add[0]",
            ]
        );
        assert!(
            e.to_string()
                .contains("PodSecurity::allow_added_capabilities()"),
            "{e}"
        );
        let opted_out = PodSecurity::default()
            .allow_host_volumes()
            .allow_added_capabilities();
        assert!(crate::Manifest::to_object(&deployment(opted_out)).is_ok());
        assert!(crate::Manifest::to_object(&deployment(PodSecurity::unrestricted())).is_ok());
        // NET_BIND_SERVICE is the one restricted allows.
        let t = PodTemplate::builder()
            .container(app())
            .security(PodSecurity::default().add_capability("NET_BIND_SERVICE"))
            .build();
        assert!(t.keep_restricted_promise("Pod", "p", "spec").is_ok());
    }

    #[test]
    fn unrestricted() {
        let t = PodTemplate::builder()
            .container(app())
            .security(PodSecurity::unrestricted())
            .build();
        let spec = t.to_template_spec("web").spec.unwrap();
        assert_eq!(spec.security_context, None);
        assert_eq!(spec.containers[0].security_context, None);
        assert_eq!(spec.automount_service_account_token, None);
        assert!(!crate::pod::restricted_findings(&spec).is_empty());
    }

    #[test]
    fn every_pod_field() {
        let t = PodTemplate::builder()
            .container(app())
            .volume(Volume::empty_dir("tmp"))
            .annotation("prometheus.io/scrape", "true")
            .restart_policy(RestartPolicy::Always)
            .node_selector("ssd", "true")
            .toleration(crate::pod::Toleration::exists("dedicated").effect(TaintEffect::NoSchedule))
            .affinity(Affinity::new().require_node(NodeExpr::exists("ssd")))
            .topology_spread(TopologySpread::new("kubernetes.io/hostname"))
            .service_account("web")
            .image_pull_secret("registry")
            .image_pull_secret("registry")
            .termination_grace_period(60)
            .priority_class("high")
            .runtime_class("gvisor")
            .hostname("web-0")
            .subdomain("web")
            .build();
        assert_eq!(t.restart_policy(), Some(RestartPolicy::Always));
        assert!(t.security().is_restricted());
        assert_eq!(t.containers().len(), 1);
        let spec = t.to_template_spec("web");
        assert_eq!(
            spec.metadata.unwrap().annotations.unwrap()["prometheus.io/scrape"],
            "true"
        );
        let s = spec.spec.unwrap();
        assert_eq!(s.volumes.unwrap()[0].name, "tmp");
        assert_eq!(s.restart_policy.as_deref(), Some("Always"));
        assert_eq!(s.node_selector.unwrap()["ssd"], "true");
        assert_eq!(s.tolerations.unwrap()[0].key.as_deref(), Some("dedicated"));
        assert!(s.affinity.unwrap().node_affinity.is_some());
        let spread = &s.topology_spread_constraints.unwrap()[0];
        assert_eq!(
            spread
                .label_selector
                .as_ref()
                .unwrap()
                .match_labels
                .as_ref()
                .unwrap()[NAME_LABEL],
            "web"
        );
        assert_eq!(s.service_account_name.as_deref(), Some("web"));
        assert_eq!(s.image_pull_secrets.unwrap().len(), 1);
        assert_eq!(s.termination_grace_period_seconds, Some(60));
        assert_eq!(s.priority_class_name.as_deref(), Some("high"));
        assert_eq!(s.runtime_class_name.as_deref(), Some("gvisor"));
        assert_eq!(
            (s.hostname.as_deref(), s.subdomain.as_deref()),
            (Some("web-0"), Some("web"))
        );
    }

    #[test]
    fn restart_override_and_ports() {
        let t = PodTemplate::builder()
            .container(app())
            .restart_policy(RestartPolicy::Never)
            .build();
        let spec = t
            .render("job", Some(RestartPolicy::OnFailure))
            .spec
            .unwrap();
        assert_eq!(spec.restart_policy.as_deref(), Some("OnFailure"));
        assert_eq!(t.ports()[0].container_port, 80);
        assert_eq!(RestartPolicy::Never.as_str(), "Never");
    }

    #[test]
    fn empty_affinity_is_omitted() {
        let t = PodTemplate::builder()
            .container(app())
            .affinity(Affinity::new())
            .build();
        assert_eq!(t.to_template_spec("web").spec.unwrap().affinity, None);
    }

    #[test]
    fn customize_hook() {
        let t = PodTemplate::builder()
            .container(app())
            .customize(|t| {
                if let Some(spec) = &mut t.spec {
                    spec.dns_policy = Some("None".into());
                }
            })
            .build();
        assert_eq!(
            t.to_template_spec("web")
                .spec
                .unwrap()
                .dns_policy
                .as_deref(),
            Some("None")
        );
    }
}
