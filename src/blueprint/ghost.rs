//! Ghost: the publishing platform, on MySQL.
//!
//! A full example and the list of setters are on [`Ghost`].
//!
//! ## Objects
//! For a blueprint named `blog`: Deployment `blog` (one replica, `Recreate` strategy: the
//! content volume is ReadWriteOnce and Ghost does not support several instances),
//! PersistentVolumeClaim `blog-content`, Service `blog` (port 80 → 2368), NetworkPolicy `blog`,
//! an optional Ingress `blog`, Secret `blog` (key `owner-password`, generated once) and
//! ConfigMap `blog-scripts` for the owner account, and the database: by default an embedded [`MySql`] blueprint
//! named `blog-mysql` (database and user `ghost`), whose NetworkPolicy admits Ghost's pods; or
//! the MySQL blueprint given; or an external database ([`GhostDatabase::External`]).
//!
//! ## How it runs
//! - Ghost reads its configuration from `section__key` environment variables: `url`,
//!   `database__client=mysql` and `database__connection__*` (the password through
//!   `secretKeyRef` from the database's Secret), and optionally `mail__*` (SMTP user and
//!   password from a Secret given by the user).
//! - **Owner account**: a sidecar, `owner`, runs `scripts/ghost-owner.js` (node of the Ghost
//!   image) and creates the owner through Ghost's setup API
//!   (`POST <path>/ghost/api/admin/authentication/setup/`) with the [`Owner`]'s name and e-mail
//!   and the generated password, unless the site already has an owner; then it idles. So the
//!   first visitor of `/ghost/` can no longer make themselves Owner. Log in with the e-mail of
//!   [`GhostConnection::owner`] and the password in the Secret.
//! - **Mail and device verification**: with [`Mail`], Ghost sends mail through SMTP (`mail__*`)
//!   and keeps staff device verification (a code mailed on a login from a new device). Without
//!   it, `security__staffDeviceVerification=false`: the code could never arrive, and admins
//!   could not log in from a second device.
//! - **Database first**: Ghost exits at once when its database does not answer at start, so an
//!   init container, `wait-for-database` (node of the Ghost image), waits until the database's
//!   host and port accept a TCP connection (every 2 s). Without it the pod crash-loops while the
//!   embedded MySQL initialises, or while its Service has no ready endpoint yet, and the apply
//!   client reports that crash loop as a failure.
//! - Probes `GET <path>/ghost/api/admin/site/` with the `Host` of the public URL and
//!   `X-Forwarded-Proto` of its scheme, so Ghost answers the request itself instead of
//!   redirecting to its canonical URL. The startup probe allows 10 minutes: the first start
//!   runs the database migrations.
//! - UID/GID 1000 (`node` in the image), read-only root filesystem; the content volume
//!   (`/var/lib/ghost/content`, seeded by the image's entrypoint on first start) and an
//!   emptyDir at `/tmp` (uploads in progress) are the only writable places.
//!
//! ## Verified on a real node
//! `tests/cluster_realnode.rs` (`real_node_ghost_sets_up_its_owner_and_keeps_content`) runs this
//! blueprint, with its embedded MySQL blueprint, on the test cluster's real node: the images are
//! the local stand-ins `kubeprint.local/ghost:6.36.0` (the npm release of Ghost 6.36.0 on Debian's
//! Node 20.19, laid out as the official image; see `tools/cluster/README.md`) and
//! `kubeprint.local/mariadb:10.11` (MariaDB, not MySQL 8). Checked there: the pod becomes ready
//! through its own probes with no restart, under a read-only root filesystem as UID 1000; the
//! entrypoint seeds the empty content volume (themes included); the owner sidecar creates the
//! owner (the setup API then reports the site set up and refuses a second setup); the owner logs
//! in through the Admin API session endpoint with the password from the Secret and no device
//! verification (no mail configured; with verification left on, Ghost answers that login with
//! "Failed to send email"); the site answers 200 on `/` with the title set at setup; a published
//! post (MySQL) and an uploaded image (the content volume, uploaded through `/tmp`) survive the
//! deletion of the pod, whose successor does not seed again and whose sidecar finds the owner.
//! Not checked there: MySQL 8 itself, mail, the Ingress, NetworkPolicy enforcement.
//!
//! The NetworkPolicy admits only the declared [`Client`]s and the Ingress's
//! [`IngressController`](super::IngressController) on port 2368 (an Ingress without a
//! controller is a validation error: nothing could reach Ghost through it).

use super::mysql::MySql;
use super::{
    Blueprint, Client, Credentials, Persistence, SecretKeyRef, check_clients, start_checks,
};
use crate::api::apps::{Deployment, DeploymentStrategy};
use crate::api::core::persistentvolumeclaim::{AccessMode, PersistentVolumeClaim};
use crate::api::core::secret::Generate;
use crate::bundle::Bundle;
use crate::error::Result;
use crate::meta::Labels;
use crate::pod::{Container, EnvVar, Mount, Port, Probe, Resources, Volume};
use crate::quantity::{Cpu, Memory};
use typed_builder::TypedBuilder;

/// The default image.
pub const IMAGE: &str = "ghost:6.36.0";
/// Ghost's port in the container.
pub const PORT: i32 = 2368;
/// The client Service's port.
pub const SERVICE_PORT: i32 = 80;
/// UID and GID of the `node` user of the official image.
pub const UID: i64 = 1000;
/// Secret key of the owner account's password.
pub const OWNER_PASSWORD_KEY: &str = "owner-password";

const OWNER_SCRIPT: &str = include_str!("scripts/ghost-owner.js");

/// Node code of the `wait-for-database` init container (`node -e CODE HOST PORT`): returns once
/// a TCP connection to HOST:PORT opens, retrying every 2 s. Ghost exits at once when its
/// database does not answer at start, so without it the pod would crash-loop while MySQL
/// initialises or while its Service has no ready endpoint yet.
const WAIT_FOR_DATABASE: &str = "const net = require('node:net');
const [host, port] = process.argv.slice(1);
const attempt = () => {
  const s = net.connect({ host, port: Number(port), timeout: 3000 });
  s.once('connect', () => { s.destroy(); console.log(`${host}:${port} accepts connections`); process.exit(0); });
  const retry = (e) => {
    s.destroy();
    console.error(`waiting for ${host}:${port}: ${e ? e.message : 'timed out'}`);
    setTimeout(attempt, 2000);
  };
  s.once('error', retry);
  s.once('timeout', () => retry());
};
attempt();
";

fn default_resources() -> Resources {
    Resources::new()
        .requests(Cpu::millis(100), Memory::mib(256))
        .limit_memory(Memory::mib(1024))
}

/// Ghost's database.
#[derive(Clone, Debug)]
pub enum GhostDatabase {
    /// A MySQL blueprint, added to Ghost's bundle; its NetworkPolicy admits Ghost.
    MySql(Box<MySql>),
    /// A MySQL server managed elsewhere (e.g. `MySql::connection()` of a blueprint applied in
    /// its own bundle); the password's Secret is declared external.
    External(super::mysql::MySqlConnection),
}

impl From<MySql> for GhostDatabase {
    fn from(m: MySql) -> Self {
        GhostDatabase::MySql(Box::new(m))
    }
}

impl From<super::mysql::MySqlConnection> for GhostDatabase {
    fn from(c: super::mysql::MySqlConnection) -> Self {
        GhostDatabase::External(c)
    }
}

/// SMTP settings for Ghost's transactional mail (sign-ups, password resets, invitations).
/// The user name and password come from a Secret the user provides.
///
/// # Example
///
/// ```
/// use kubeprint::blueprint::{Blueprint, Ghost, Mail, MySql};
/// let mail = Mail::builder()
///     .from("Blog <noreply@example.com>")
///     .host("smtp.example.com")
///     .port(465)
///     .secure()
///     .secret("smtp")
///     .build();
/// let blog = Ghost::new("blog", "https://blog.example.com")
///     .database(MySql::builder().name("blog-db").build())
///     .mail(mail)
///     .build();
/// let bundle = blog.bundle()?;
/// let ghost = bundle.get("Deployment", "blog").unwrap().to_json_value()?;
/// let env: Vec<_> = ghost["spec"]["template"]["spec"]["containers"]
///     .as_array()
///     .unwrap()
///     .iter()
///     .flat_map(|c| c["env"].as_array().cloned().unwrap_or_default())
///     .collect();
/// assert!(env.iter().any(|e| e["name"] == "mail__options__host" && e["value"] == "smtp.example.com"));
/// assert!(bundle.is_external("Secret", "smtp"));
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`Mail::builder()`](Mail::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.from(impl Into<String>)` — **required** | The sender, e.g. `Blog <noreply@example.com>`. |
/// | `.host(impl Into<String>)` — **required** | SMTP server host. |
/// | `.port(i32)` | SMTP port (default 587, STARTTLS). |
/// | `.secure()` / `.secure_if(bool)` | Implicit TLS (port 465 usually) instead of STARTTLS. |
/// | `.secret(impl Into<String>)` — **required** | The Secret with the SMTP credentials. |
/// | `.user_key(impl Into<String>)` | Key of the user name in `secret`. |
/// | `.password_key(impl Into<String>)` | Key of the password in `secret`. |
#[derive(Clone, Debug, PartialEq, Eq, TypedBuilder)]
#[builder(doc)]
pub struct Mail {
    /// The sender, e.g. `Blog <noreply@example.com>`.
    #[builder(setter(into))]
    from: String,
    /// SMTP server host.
    #[builder(setter(into))]
    host: String,
    /// SMTP port (default 587, STARTTLS).
    #[builder(default = 587)]
    port: i32,
    /// Implicit TLS (port 465 usually) instead of STARTTLS.
    #[builder(setter(strip_bool(fallback = secure_if)))]
    secure: bool,
    /// The Secret with the SMTP credentials.
    #[builder(setter(into))]
    secret: String,
    /// Key of the user name in `secret`.
    #[builder(default = "user".to_owned(), setter(into))]
    user_key: String,
    /// Key of the password in `secret`.
    #[builder(default = "password".to_owned(), setter(into))]
    password_key: String,
}

/// An Ingress for Ghost's public URL (host and path taken from the URL), and the ingress
/// controller Ghost's NetworkPolicy admits.
pub type GhostIngress = super::PublicIngress;

/// Ghost's owner account, created on the first start through Ghost's setup API (the `owner`
/// sidecar, `scripts/ghost-owner.js`), with a password generated once into Secret `NAME` (key
/// [`OWNER_PASSWORD_KEY`]) or taken from an existing Secret. Without it, whoever first opens
/// `/ghost/` becomes Owner.
///
/// # Example
///
/// ```
/// use kubeprint::blueprint::ghost::Owner;
/// let owner = Owner::builder().name("Jo Editor").email("jo@example.com").blog_title("Jo's").build();
/// # let _ = owner;
/// ```
///
/// # Setters
///
/// On [`Owner::builder()`](Owner::builder); `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` | The owner's display name (default `Owner`). |
/// | `.email(impl Into<String>)` / `.email_opt(Option<..>)` | The owner's e-mail, the login name; default `owner@HOST` (the public URL's host, with `.invalid` appended when it has no dot). Set a real one to receive password resets. |
/// | `.blog_title(impl Into<String>)` / `.blog_title_opt(Option<..>)` | The site title set at setup (default: the blueprint's name). |
/// | `.credentials(Credentials)` | Where the password comes from (key [`OWNER_PASSWORD_KEY`]; generated by default). |
#[derive(Clone, Debug, PartialEq, Eq, TypedBuilder)]
#[builder(doc)]
pub struct Owner {
    /// The owner's display name (default `Owner`).
    #[builder(default = "Owner".to_owned(), setter(into))]
    name: String,
    /// The owner's e-mail, the login name; default `owner@HOST` (the public URL's host, with
    /// `.invalid` appended when it has no dot). Set a real one to receive password resets.
    #[builder(default, setter(into, strip_option(fallback = email_opt)))]
    email: Option<String>,
    /// The site title set at setup (default: the blueprint's name).
    #[builder(default, setter(into, strip_option(fallback = blog_title_opt)))]
    blog_title: Option<String>,
    /// Where the password comes from (key [`OWNER_PASSWORD_KEY`]; generated by default).
    #[builder(default)]
    credentials: Credentials,
}

impl Default for Owner {
    fn default() -> Self {
        Owner::builder().build()
    }
}

/// Resources of the `owner` sidecar.
fn owner_resources() -> Resources {
    Resources::new()
        .requests(Cpu::millis(10), Memory::mib(32))
        .limit_memory(Memory::mib(96))
}

/// A Ghost site. `name` and `url` are required.
///
/// # Example
///
/// ```
/// use kubeprint::blueprint::{Blueprint, Ghost, GhostIngress, IngressController, Mail, MySql};
/// let blog = Ghost::builder()
///     .name("blog")
///     .url("https://blog.example.com")
///     .database(MySql::builder().name("blog-db").build())
///     .mail(Mail::builder().from("Blog <noreply@example.com>").host("smtp.example.com").secret("smtp").build())
///     .ingress(
///         GhostIngress::builder()
///             .class("nginx")
///             .tls_secret("blog-tls")
///             .controller(IngressController::namespace("ingress-nginx"))
///             .build(),
///     )
///     .build();
/// let bundle = blog.bundle()?;
/// assert!(bundle.get("Ingress", "blog").is_some());
/// assert!(bundle.is_external("Secret", "smtp"));
/// bundle.check()?;
/// # Ok::<(), kubeprint::Error>(())
/// ```
///
/// # Setters
///
/// On [`Ghost::new`] (the required fields as arguments) or [`Ghost::builder()`](Ghost::builder);
/// `.build()` needs every **required** one.
///
/// | setter | what it sets |
/// |---|---|
/// | `.name(impl Into<String>)` — **required** | Name of the Deployment and Service, prefix of the other objects. |
/// | `.namespace(impl Into<String>)` / `.namespace_opt(Option<..>)` | Namespace of every object; left to the bundle or the apply target when unset. |
/// | `.url(impl Into<String>)` — **required** | The public URL (`http://` or `https://`), as readers reach the site. |
/// | `.image(impl Into<String>)` | The image (default [`IMAGE`]). |
/// | `.digest(impl Into<String>)` / `.digest_opt(Option<..>)` | Pins the image by digest (`sha256:` and 64 hex digits): the pods run `IMAGE@DIGEST`, which no re-pushed tag can change. |
/// | `.database(impl Into<GhostDatabase>)` / `.database_opt(Option<..>)` | The database: a MySQL blueprint or an external server; default: a MySQL blueprint named `NAME-mysql`. |
/// | `.storage(Persistence)` | The content volume (images, themes, logs; default 5Gi). |
/// | `.resources(Resources)` | Resources of the `ghost` container (default: requests 100m CPU / 256Mi, limit 1Gi). |
/// | `.mail(Mail)` / `.mail_opt(Option<..>)` | SMTP settings; Ghost cannot send mail without them. Without mail, staff device verification (a code sent by mail on a login from a new device) is turned off, or no admin could log in from a second device. |
/// | `.owner(Owner)` / `.owner_opt(Option<..>)` | The owner account created on first start (default: [`Owner::default`]); `.owner_opt(None)` leaves the setup to the first visitor of `/ghost/`. |
/// | `.ingress(GhostIngress)` / `.ingress_opt(Option<..>)` | An Ingress for the public URL. |
/// | `.eviction(super::Eviction)` | What a node drain may do to Ghost's pod (default [`Eviction::Allow`](super::Eviction): no PodDisruptionBudget; see [`Eviction`](super::Eviction) for the trade-off). The database's pod has its own setting ([`MySql`]'s `eviction`). |
/// | `.client(client)` (repeatable) | Pods allowed to connect (the ingress controller, typically). |
/// | `.labels(impl Into<Labels>)` | Extra labels on every object. |
#[derive(Clone, Debug, TypedBuilder)]
#[builder(doc)]
pub struct Ghost {
    /// Name of the Deployment and Service, prefix of the other objects.
    #[builder(setter(into))]
    name: String,
    /// Namespace of every object; left to the bundle or the apply target when unset.
    #[builder(default, setter(into, strip_option(fallback = namespace_opt)))]
    namespace: Option<String>,
    /// The public URL (`http://` or `https://`), as readers reach the site.
    #[builder(setter(into))]
    url: String,
    /// The image (default [`IMAGE`]).
    #[builder(default = IMAGE.to_owned(), setter(into))]
    image: String,
    /// Pins the image by digest (`sha256:` and 64 hex digits): the pods run `IMAGE@DIGEST`,
    /// which no re-pushed tag can change.
    #[builder(default, setter(into, strip_option(fallback = digest_opt)))]
    digest: Option<String>,
    /// The database: a MySQL blueprint or an external server; default: a MySQL blueprint named
    /// `NAME-mysql`.
    #[builder(default, setter(into, strip_option(fallback = database_opt)))]
    database: Option<GhostDatabase>,
    /// The content volume (images, themes, logs; default 5Gi).
    #[builder(default = Persistence::of("5Gi"))]
    storage: Persistence,
    /// Resources of the `ghost` container (default: requests 100m CPU / 256Mi, limit 1Gi).
    #[builder(default = default_resources())]
    resources: Resources,
    /// SMTP settings; Ghost cannot send mail without them. Without mail, staff device
    /// verification (a code sent by mail on a login from a new device) is turned off, or no
    /// admin could log in from a second device.
    #[builder(default, setter(strip_option(fallback = mail_opt)))]
    mail: Option<Mail>,
    /// The owner account created on first start (default: [`Owner::default`]);
    /// `.owner_opt(None)` leaves the setup to the first visitor of `/ghost/`.
    #[builder(default = Some(Owner::default()), setter(strip_option(fallback = owner_opt)))]
    owner: Option<Owner>,
    /// An Ingress for the public URL.
    #[builder(default, setter(strip_option(fallback = ingress_opt)))]
    ingress: Option<GhostIngress>,
    /// What a node drain may do to Ghost's pod (default [`Eviction::Allow`](super::Eviction):
    /// no PodDisruptionBudget; see [`Eviction`](super::Eviction) for the trade-off). The
    /// database's pod has its own setting ([`MySql`](super::MySql)'s `eviction`).
    #[builder(default)]
    eviction: super::Eviction,
    /// Pods allowed to connect (the ingress controller, typically).
    #[builder(
        via_mutators,
        mutators(
            /// Admits a client through the NetworkPolicy.
            pub fn client(&mut self, client: Client) {
                self.clients.push(client);
            }
        )
    )]
    clients: Vec<Client>,
    /// Extra labels on every object.
    #[builder(default, setter(into))]
    labels: Labels,
}

impl Ghost {
    // Returns the builder, not `Self`; its type is typed-builder\'s typestate with the required
    // fields set (one tuple element per field, in field order).
    #[allow(clippy::new_ret_no_self, clippy::type_complexity)]
    /// The builder with the required fields set — the name and the public URL; go on with any other
    /// setter, then `.build()`. Same as `Ghost::builder().name(..).url(..)`, but leaving one out is
    /// an ordinary "missing argument" error naming it.
    pub fn new(
        name: impl Into<String>,
        url: impl Into<String>,
    ) -> GhostBuilder<(
        (String,),
        (),
        (String,),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (),
        (Vec<Client>,),
        (),
    )> {
        Self::builder().name(name).url(url)
    }
}

/// How to reach a [`Ghost`] site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GhostConnection {
    /// The public URL.
    pub url: String,
    /// Host name of the Service inside the cluster.
    pub host: String,
    /// The Service port.
    pub port: i32,
    /// Labels of Ghost's pods.
    pub pod_labels: Labels,
    /// The owner account's login e-mail and password, when the blueprint creates it.
    pub owner: Option<(String, SecretKeyRef)>,
}

impl Ghost {
    /// The blueprint's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The public URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The owner's login e-mail: the given one, or `owner@HOST`.
    fn owner_email(&self, o: &Owner) -> String {
        if let Some(e) = &o.email {
            return e.clone();
        }
        let host = super::parse_http_url(&self.url)
            .map(|(_, authority, _)| {
                authority
                    .rsplit_once(':')
                    .map_or(authority, |(h, _)| h)
                    .trim_matches(['[', ']'])
                    .to_owned()
            })
            .unwrap_or_default();
        if host.contains('.') && !host.contains(':') {
            format!("owner@{host}")
        } else {
            format!("owner@{}.invalid", host.replace(':', "-"))
        }
    }

    /// The database blueprint or connection in use (the default one when none was given).
    pub fn database(&self) -> GhostDatabase {
        match &self.database {
            Some(d) => d.clone(),
            None => GhostDatabase::MySql(Box::new(
                MySql::builder()
                    .name(format!("{}-mysql", self.name))
                    .database("ghost")
                    .user("ghost")
                    .labels(self.labels.clone())
                    .build(),
            )),
        }
    }

    /// Validates the configuration (and the embedded MySQL blueprint's): every problem, each
    /// naming its field.
    pub fn validate(&self) -> Result<()> {
        let mut c = start_checks("Ghost", &self.name, self.namespace.as_deref(), "-content");
        super::check_image(&mut c, "image", &self.image);
        super::check_digest(&mut c, &self.image, self.digest.as_deref());
        let scheme = match super::parse_http_url(&self.url) {
            Ok((scheme, _, _)) => Some(scheme),
            Err(m) => {
                c.fail("url", m);
                None
            }
        };
        self.storage.check(&mut c, "storage");
        if let Some(mail) = &self.mail {
            if mail.from.trim().is_empty() {
                c.fail("mail.from", "must not be empty");
            }
            if mail.host.is_empty() || mail.host.chars().any(char::is_whitespace) {
                c.fail("mail.host", format!("{:?} is not a host name", mail.host));
            }
            c.check("mail.port", crate::validate::port_number(mail.port));
            c.check(
                "mail.secret",
                crate::validate::dns1123_subdomain(&mail.secret),
            );
            c.check("mail.user_key", crate::validate::config_key(&mail.user_key));
            c.check(
                "mail.password_key",
                crate::validate::config_key(&mail.password_key),
            );
        }
        if let Some(ingress) = &self.ingress {
            ingress.check(&mut c, scheme);
        }
        if let Some(o) = &self.owner {
            if o.name.trim().is_empty() || o.name.contains(['\n', '\r']) {
                c.fail("owner.name", format!("{:?} is not a name", o.name));
            }
            if let Some(e) = &o.email {
                let ok = e.split_once('@').is_some_and(|(user, domain)| {
                    !user.is_empty()
                        && domain.contains('.')
                        && !e.chars().any(|ch| ch.is_whitespace() || ch.is_control())
                });
                if !ok {
                    c.fail("owner.email", format!("{e:?} is not an e-mail address"));
                }
            }
            if let Some(t) = &o.blog_title
                && (t.trim().is_empty() || t.contains(['\n', '\r']))
            {
                c.fail(
                    "owner.blog_title",
                    format!("{t:?} must be one non-empty line"),
                );
            }
            o.credentials.check(&mut c, "owner.credentials");
        }
        check_clients(&mut c, &self.clients);
        super::finish_with_embedded(c, self.database.is_some(), || match self.database() {
            GhostDatabase::MySql(m) => m.or_namespace(self.namespace.as_deref()).validate(),
            GhostDatabase::External(_) => Ok(()),
        })
    }
}

impl Blueprint for Ghost {
    type Connection = GhostConnection;

    fn bundle(&self) -> Result<Bundle> {
        self.validate()?;
        build(self)
    }

    fn connection(&self) -> GhostConnection {
        GhostConnection {
            url: self.url.clone(),
            host: super::service_host(&self.name, self.namespace.as_deref()),
            port: SERVICE_PORT,
            pod_labels: super::selector_labels("ghost", &self.name),
            owner: self.owner.as_ref().map(|o| {
                (
                    self.owner_email(o),
                    SecretKeyRef::new(o.credentials.secret_name(&self.name), OWNER_PASSWORD_KEY),
                )
            }),
        }
    }
}

fn build(g: &Ghost) -> Result<Bundle> {
    let name = g.name.as_str();
    let image = super::image_ref(&g.image, g.digest.as_deref());
    let labels = super::standard_labels("ghost", name, "web", &g.labels);
    let selector = super::selector_labels("ghost", name);
    let content = format!("{name}-content");
    let size = g.storage.size().parse()?;
    // Validated: an http(s) URL.
    let (scheme, authority, path) = super::parse_http_url(&g.url).map_err(|m| {
        crate::Error::Invalid(vec![crate::Violation::new(
            crate::ObjectRef::new("Ghost", name),
            "url",
            m,
        )])
    })?;
    let mut bundle = Bundle::new(name);

    let db = match g.database() {
        GhostDatabase::MySql(m) => {
            let m = m
                .or_namespace(g.namespace.as_deref())
                .with_client(Client::Pods(selector.clone()));
            bundle.extend(m.bundle()?)?;
            m.connection()
        }
        GhostDatabase::External(c) => {
            bundle.external_secret(c.password.secret.clone());
            c
        }
    };

    if let Some(o) = &g.owner {
        // 32 alphanumeric characters: Ghost wants at least 10 and refuses common passwords.
        super::add_credentials(
            &mut bundle,
            &o.credentials,
            name,
            &labels,
            &[(OWNER_PASSWORD_KEY, Generate::alphanumeric())],
        )?;
    }
    let mut ghost = Container::builder()
        .name("ghost")
        .image(&image)
        .port(Port::tcp("http", PORT))
        .env(EnvVar::value("url", &g.url))
        .env(EnvVar::value("database__client", "mysql"))
        .env(EnvVar::value("database__connection__host", &db.host))
        .env(EnvVar::value(
            "database__connection__port",
            db.port.to_string(),
        ))
        .env(EnvVar::value("database__connection__user", &db.user))
        .env(EnvVar::from_secret(
            "database__connection__password",
            &db.password.secret,
            &db.password.key,
        ))
        .env(EnvVar::value(
            "database__connection__database",
            &db.database,
        ));
    if g.mail.is_none() {
        // Device verification mails a code on a login from a new device: without mail, no
        // staff user could log in from a second device.
        ghost = ghost.env(EnvVar::value("security__staffDeviceVerification", "false"));
    }
    if let Some(mail) = &g.mail {
        bundle.external_secret(mail.secret.clone());
        ghost = ghost
            .env(EnvVar::value("mail__transport", "SMTP"))
            .env(EnvVar::value("mail__from", &mail.from))
            .env(EnvVar::value("mail__options__host", &mail.host))
            .env(EnvVar::value("mail__options__port", mail.port.to_string()))
            .env(EnvVar::value(
                "mail__options__secure",
                mail.secure.to_string(),
            ))
            .env(EnvVar::from_secret(
                "mail__options__auth__user",
                &mail.secret,
                &mail.user_key,
            ))
            .env(EnvVar::from_secret(
                "mail__options__auth__pass",
                &mail.secret,
                &mail.password_key,
            ));
    }
    // Ghost answers its canonical URL only: ask as the public site would be asked.
    let site = format!("{}/ghost/api/admin/site/", path.trim_end_matches('/'));
    let probe = || {
        Probe::http_get(site.clone(), "http")
            .header("Host", authority)
            .header("X-Forwarded-Proto", scheme)
    };
    let ghost = ghost
        .mount(Mount::new("content", "/var/lib/ghost/content"))
        .mount(Mount::new("tmp", "/tmp"))
        // The first start creates the database schema: up to 10 minutes.
        .startup(probe().period(10).timeout(5).failure_threshold(60))
        .readiness(probe().period(10).timeout(5).failure_threshold(3))
        .liveness(probe().period(20).timeout(5).failure_threshold(6))
        .resources(g.resources.clone())
        .build();
    let wait = Container::builder()
        .name("wait-for-database")
        .image(&image)
        .command(["node", "-e", WAIT_FOR_DATABASE])
        .args([db.host.clone(), db.port.to_string()])
        .resources(owner_resources())
        .build();
    let mut template = super::labelled_template!(&selector, &labels)
        .init_container(wait)
        .container(ghost)
        .volume(Volume::pvc("content", &content))
        .volume(super::empty_dir("tmp"));
    if let Some(o) = &g.owner {
        let scripts = format!("{name}-scripts");
        bundle.add(super::scripts_config_map(
            &scripts,
            &labels,
            &[("ghost-owner.js", OWNER_SCRIPT)],
        ))?;
        let owner = Container::builder()
            .name("owner")
            .image(&image)
            .command(super::script_command("node", "ghost-owner.js", &[]))
            .env(EnvVar::value("GHOST_PORT", PORT.to_string()))
            .env(EnvVar::value("GHOST_HOST_HEADER", authority))
            .env(EnvVar::value("GHOST_PROTO", scheme))
            .env(EnvVar::value("GHOST_PATH", path))
            .env(EnvVar::value("GHOST_OWNER_NAME", &o.name))
            .env(EnvVar::value("GHOST_OWNER_EMAIL", g.owner_email(o)))
            .env(EnvVar::from_secret(
                "GHOST_OWNER_PASSWORD",
                o.credentials.secret_name(name),
                OWNER_PASSWORD_KEY,
            ))
            .env(EnvVar::value(
                "GHOST_BLOG_TITLE",
                o.blog_title.clone().unwrap_or_else(|| name.to_owned()),
            ))
            .mount(Mount::new("scripts", super::SCRIPTS_DIR).read_only())
            .resources(owner_resources())
            .build();
        template = template
            .container(owner)
            .volume(Volume::config_map("scripts", &scripts).default_mode(0o444));
    }
    let template = template.security(super::pod_security(UID)).build();

    let pvc = PersistentVolumeClaim::builder()
        .name(&content)
        .labels(labels.clone())
        .size(size)
        .access_mode(AccessMode::ReadWriteOnce);
    bundle.add(match g.storage.storage_class() {
        Some(class) => pvc.storage_class(class).build(),
        None => pvc.build(),
    })?;
    bundle.add(
        Deployment::builder()
            .name(name)
            .labels(labels.clone())
            .replicas(1)
            // One ReadWriteOnce volume, and Ghost runs as a single instance: never two pods.
            .strategy(DeploymentStrategy::recreate())
            .template(template)
            .build(),
    )?;
    bundle.add(super::client_service(
        name,
        &labels,
        &selector,
        &[("http", SERVICE_PORT)],
    ))?;
    super::single_replica_budget(&mut bundle, g.eviction, name, &labels, &selector)?;
    let mut clients = g.clients.clone();
    if let Some(ingress) = &g.ingress {
        ingress.add(&mut bundle, name, &labels, authority, path, "http")?;
        clients.extend(ingress.controller_client());
    }
    super::network_policy(
        &mut bundle,
        name,
        &labels,
        &selector,
        &[PORT],
        &clients,
        &[],
    )?;
    if let Some(ns) = &g.namespace {
        bundle.set_namespace(ns);
    }
    Ok(bundle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_is_validated() {
        let g = Ghost::builder()
            .name("blog")
            .url("blog.example.com")
            .build();
        assert_eq!(
            g.validate().unwrap_err().to_string(),
            "ghost \"blog\": url: \"blog.example.com\" is not an http:// or https:// URL"
        );
        let g = Ghost::builder()
            .name("blog")
            .url("ftp://blog.example.com")
            .build();
        assert_eq!(
            g.validate().unwrap_err().to_string(),
            "ghost \"blog\": url: \"ftp://blog.example.com\" must start with http:// or https://"
        );
        Ghost::builder()
            .name("blog")
            .url("http://localhost:2368")
            .build()
            .validate()
            .unwrap();
    }

    #[test]
    fn ghost_starts_once_its_database_accepts_connections() {
        let init = |g: Ghost| {
            let bundle = g.bundle().unwrap();
            let d = bundle
                .get("Deployment", "blog")
                .unwrap()
                .to_json_value()
                .unwrap();
            d["spec"]["template"]["spec"]["initContainers"].clone()
        };
        let g = Ghost::builder()
            .name("blog")
            .url("http://blog.example.com")
            .build();
        let embedded = init(g.clone());
        assert_eq!(embedded[0]["name"], "wait-for-database");
        assert_eq!(embedded[0]["image"], IMAGE);
        assert_eq!(embedded[0]["command"][0], "node");
        assert_eq!(
            embedded[0]["args"],
            serde_json::json!(["blog-mysql", "3306"])
        );
        let GhostDatabase::MySql(m) = g.database() else {
            panic!("the default database is a MySQL blueprint")
        };
        let mut external = m.connection();
        external.host = "db.example.com".to_owned();
        external.port = 3307;
        let external = init(
            Ghost::builder()
                .name("blog")
                .url("http://blog.example.com")
                .database(external)
                .build(),
        );
        assert_eq!(
            external[0]["args"],
            serde_json::json!(["db.example.com", "3307"])
        );
    }

    #[test]
    fn embedded_database_is_validated_too() {
        let g = Ghost::builder()
            .name("blog")
            .url("http://blog.example.com")
            .database(MySql::builder().name("db").database("my-blog").build())
            .ingress(
                GhostIngress::builder()
                    .tls_secret("tls")
                    .controller(super::super::IngressController::namespace("ingress-nginx"))
                    .build(),
            )
            .build();
        assert_eq!(
            g.validate().unwrap_err().to_string(),
            "ghost \"blog\": ingress.tls_secret: the url is http://; a TLS site needs an https:// url\n\
             mysql \"db\": database: \"my-blog\" is not a valid identifier: use ASCII letters, digits and '_', not starting with a digit"
        );
    }
}
