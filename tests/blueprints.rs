//! Offline tests of the blueprints: snapshots (Secret values redacted), reference checks,
//! Pod Security *restricted*, no password literals, determinism, validation messages.

use k8s_openapi::api::core::v1::PodSpec;
use kubeprint::Object;
use kubeprint::blueprint::{
    Blueprint, Client, Credentials, Dashboard, Ghost, GhostIngress, IngressController, Mail,
    MongoDb, MySql, Parse, ParseDatabase, Persistence, PublicIngress, Redis, SecretKeyRef,
    Sentinel,
};
use kubeprint::bundle::Bundle;
use kubeprint::meta::Labels;
use kubeprint::pod::restricted_findings;
use kubeprint::testing::redacted_yaml;
use kubeprint::workload::PvcRetention;

fn pod_specs(bundle: &Bundle) -> Vec<(String, PodSpec)> {
    bundle
        .objects()
        .iter()
        .filter_map(|o| {
            let spec = match o {
                Object::StatefulSet(s) => s.spec.template.spec.clone(),
                Object::Deployment(d) => d.spec.template.spec.clone(),
                _ => None,
            }?;
            Some((format!("{} {}", o.kind(), o.name()), spec))
        })
        .collect()
}

/// Everything every blueprint bundle must satisfy.
fn assert_production_ready(bundle: &Bundle) {
    bundle.check().expect("bundle check");
    let specs = pod_specs(bundle);
    assert!(!specs.is_empty());
    for (what, spec) in &specs {
        let findings = restricted_findings(spec);
        assert!(
            findings.is_empty(),
            "{what} is not PSS restricted: {findings:?}"
        );
        let pod = spec
            .security_context
            .as_ref()
            .expect("pod security context");
        let uid = pod.run_as_user.expect("numeric runAsUser");
        assert!(uid == 999 || uid == 1000, "{what}: uid {uid}");
        assert_eq!(pod.run_as_group, Some(uid), "{what}");
        assert_eq!(pod.fs_group, Some(uid), "{what}");
        for c in spec
            .containers
            .iter()
            .chain(spec.init_containers.iter().flatten())
        {
            let sc = c
                .security_context
                .as_ref()
                .expect("container security context");
            assert_eq!(
                sc.read_only_root_filesystem,
                Some(true),
                "{what}/{}",
                c.name
            );
            let r = c
                .resources
                .as_ref()
                .unwrap_or_else(|| panic!("{what}/{} has no resources", c.name));
            assert!(
                r.requests
                    .as_ref()
                    .is_some_and(|m| m.contains_key("cpu") && m.contains_key("memory")),
                "{what}/{}",
                c.name
            );
            assert!(
                r.limits.as_ref().is_some_and(|m| m.contains_key("memory")),
                "{what}/{}",
                c.name
            );
            // The one-shot sidecars (MongoDB's replica-set join, Ghost's owner setup) idle once
            // done and serve nothing to probe.
            if spec.containers.iter().any(|x| x.name == c.name)
                && c.name != "replicaset"
                && c.name != "owner"
            {
                assert!(
                    c.readiness_probe.is_some() && c.liveness_probe.is_some(),
                    "{what}/{} probes",
                    c.name
                );
            }
            for e in c.env.iter().flatten() {
                let secretish = [
                    "PASSWORD",
                    "PASS",
                    "AUTH",
                    "MASTER_KEY",
                    "MAINTENANCE_KEY",
                    "SECRET",
                ]
                .iter()
                .any(|w| e.name.to_ascii_uppercase().contains(w));
                if secretish && !e.name.ends_with("_FILE") && !e.name.ends_with("_IPS") {
                    assert!(
                        e.value.is_none() && e.value_from.is_some(),
                        "{what}/{}: {} is a literal",
                        c.name,
                        e.name
                    );
                }
            }
            for arg in c.args.iter().flatten().chain(c.command.iter().flatten()) {
                assert!(
                    !arg.to_ascii_lowercase().contains("password="),
                    "{what}/{}: {arg}",
                    c.name
                );
            }
        }
    }
    // Every pod template opts in to rolling on configuration changes.
    for o in bundle.objects() {
        let meta = match o {
            Object::StatefulSet(s) => s.spec.template.metadata.clone(),
            Object::Deployment(d) => d.spec.template.metadata.clone(),
            _ => continue,
        };
        let annotations = meta.and_then(|m| m.annotations).unwrap_or_default();
        assert_eq!(
            annotations
                .get(kubeprint::bundle::CONFIG_CHECKSUM)
                .map(String::len),
            Some(64),
            "{}",
            o.name()
        );
    }
    // Deterministic, and generated values never leak into the redacted rendering.
    assert_eq!(
        redacted_yaml(bundle).unwrap(),
        redacted_yaml(bundle).unwrap()
    );
}

fn snapshot(name: &str, blueprint: &impl Blueprint) -> Bundle {
    let bundle = blueprint.bundle().expect("bundle");
    assert_production_ready(&bundle);
    // Two builds differ only in generated values, which are redacted.
    let again = blueprint.bundle().expect("bundle");
    assert_eq!(
        redacted_yaml(&bundle).unwrap(),
        redacted_yaml(&again).unwrap()
    );
    insta::assert_snapshot!(name, redacted_yaml(&bundle).unwrap());
    bundle
}

fn app(name: &str) -> Labels {
    Labels::from([("app", name)])
}

#[test]
fn mysql_defaults() {
    snapshot("mysql_defaults", &MySql::builder().name("db").build());
}

#[test]
fn mysql_customised() {
    let db = MySql::builder()
        .name("shop-db")
        .namespace("shop")
        .image("mysql:8.4.6")
        .database("shop")
        .user("shopper")
        .credentials(Credentials::existing("shop-db-credentials"))
        .storage(
            Persistence::builder()
                .size("50Gi")
                .storage_class("fast")
                .when_deleted(PvcRetention::Delete)
                .build(),
        )
        .setting("max_connections", "300")
        .setting("innodb_buffer_pool_size", "512M")
        .client(Client::external_pods(app("shop")))
        .client(Client::namespace("monitoring"))
        .labels(Labels::from([("team", "payments")]))
        .build();
    let bundle = snapshot("mysql_customised", &db);
    assert!(bundle.is_external("Secret", "shop-db-credentials"));
    assert!(bundle.get("Secret", "shop-db").is_none());
}

#[test]
fn redis_standalone_defaults() {
    let bundle = snapshot(
        "redis_standalone_defaults",
        &Redis::builder().name("cache").build(),
    );
    assert!(bundle.get("PodDisruptionBudget", "cache").is_none());
}

#[test]
fn redis_sentinel_customised() {
    let r = Redis::builder()
        .name("sessions")
        .namespace("web")
        .image("redis:7.2")
        .sentinel(
            Sentinel::builder()
                .replicas(5)
                .quorum(3)
                .master_set("sessions")
                .down_after_ms(5000)
                .build(),
        )
        .storage(Persistence::of("2Gi"))
        .setting("maxmemory", "400mb")
        .setting("maxmemory-policy", "allkeys-lru")
        .client(Client::external_pods(app("web")))
        .build();
    let bundle = snapshot("redis_sentinel_customised", &r);
    assert!(bundle.get("PodDisruptionBudget", "sessions").is_some());
}

#[test]
fn mongodb_defaults() {
    let bundle = snapshot(
        "mongodb_defaults",
        &MongoDb::builder().name("mongo").build(),
    );
    assert!(bundle.get("PodDisruptionBudget", "mongo").is_some());
}

#[test]
fn mongodb_customised() {
    let m = MongoDb::builder()
        .name("events")
        .namespace("data")
        .replicas(5)
        .replica_set("events")
        .database("events")
        .user("writer")
        .storage(
            Persistence::builder()
                .size("100Gi")
                .storage_class("ssd")
                .build(),
        )
        .client(Client::PodsInNamespaces {
            namespaces: Labels::from([("team", "analytics")]),
            pods: app("ingest"),
        })
        .build();
    snapshot("mongodb_customised", &m);
}

#[test]
fn ghost_defaults() {
    let bundle = snapshot(
        "ghost_defaults",
        &Ghost::builder()
            .name("blog")
            .url("https://blog.example.com")
            .build(),
    );
    // The embedded MySQL admits Ghost's pods.
    assert!(bundle.get("StatefulSet", "blog-mysql").is_some());
    let yaml = redacted_yaml(&bundle).unwrap();
    assert!(yaml.contains("database__connection__host"));
}

#[test]
fn ghost_customised() {
    let g = Ghost::builder()
        .name("blog")
        .namespace("blog")
        .url("https://example.com/blog/")
        .database(
            MySql::builder()
                .name("blog-db")
                .database("ghost_prod")
                .user("ghost")
                .build(),
        )
        .storage(
            Persistence::builder()
                .size("20Gi")
                .storage_class("standard")
                .build(),
        )
        .mail(
            Mail::builder()
                .from("Blog <noreply@example.com>")
                .host("smtp.example.com")
                .port(465)
                .secure()
                .secret("smtp")
                .build(),
        )
        .ingress(
            GhostIngress::builder()
                .class("nginx")
                .tls_secret("blog-tls")
                .annotations(Labels::from([(
                    "cert-manager.io/cluster-issuer",
                    "letsencrypt",
                )]))
                .controller(IngressController::namespace("ingress-nginx"))
                .build(),
        )
        .build();
    let bundle = snapshot("ghost_customised", &g);
    assert!(bundle.is_external("Secret", "smtp"));
    assert!(bundle.is_external("Secret", "blog-tls"));
}

#[test]
fn ghost_with_external_database() {
    let db = MySql::builder().name("shared-db").namespace("data").build();
    let g = Ghost::builder()
        .name("blog")
        .url("http://blog.local")
        .database(db.connection())
        .build();
    let bundle = g.bundle().unwrap();
    assert_production_ready(&bundle);
    assert!(bundle.get("StatefulSet", "shared-db").is_none());
    assert!(bundle.is_external("Secret", "shared-db"));
    let yaml = redacted_yaml(&bundle).unwrap();
    assert!(yaml.contains("value: shared-db.data.svc"), "{yaml}");
}

#[test]
fn parse_defaults() {
    let bundle = snapshot(
        "parse_defaults",
        &Parse::builder().name("api").app_id("my-app").build(),
    );
    assert!(bundle.get("Deployment", "api-dashboard").is_none());
    assert!(bundle.get("StatefulSet", "api-mongodb").is_some());
}

#[test]
fn parse_customised() {
    let p = Parse::builder()
        .name("api")
        .namespace("mobile")
        .app_id("com.example.app")
        .public_url("https://api.example.com/parse")
        .master_key_ips(["192.0.2.10", "127.0.0.1", "::1"])
        .replicas(3)
        .database(ParseDatabase::External(SecretKeyRef::new("atlas", "uri")))
        .cloud_code("Parse.Cloud.define('hello', () => 'world');\n")
        .dashboard(Dashboard::builder().user("ops").app_name("Example").build())
        .ingress(
            PublicIngress::builder()
                .class("nginx")
                .tls_secret("api-tls")
                .controller(
                    IngressController::namespace("ingress-nginx")
                        .pods(Labels::from([("app.kubernetes.io/name", "ingress-nginx")])),
                )
                .build(),
        )
        .client(Client::external_pods(app("mobile-backend")))
        .build();
    let bundle = snapshot("parse_customised", &p);
    assert!(bundle.is_external("Secret", "atlas"));
    assert!(bundle.get("ConfigMap", "api-cloud").is_some());
}

/// The ingress rules of NetworkPolicy `name`: (peers as YAML, ports) per rule.
fn policy_rules(bundle: &Bundle, name: &str) -> Vec<(String, Vec<i64>)> {
    let np = bundle
        .get("NetworkPolicy", name)
        .unwrap_or_else(|| panic!("no NetworkPolicy {name}"))
        .to_json_value()
        .unwrap();
    np["spec"]["ingress"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let ports = r["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p["port"].as_i64())
                .collect();
            (r["from"].to_string(), ports)
        })
        .collect()
}

#[test]
fn parse_is_reachable_through_its_ingress() {
    let p = Parse::builder()
        .name("api")
        .app_id("my-app")
        .public_url("https://api.example.com/parse")
        .ingress(
            PublicIngress::builder()
                .controller(IngressController::namespace("ingress-nginx"))
                .build(),
        )
        .client(Client::external_pods(app("web")))
        .build();
    let bundle = p.bundle().unwrap();
    assert_production_ready(&bundle);
    let yaml = redacted_yaml(&bundle).unwrap();
    // The Ingress routes the public URL's host and path to the Service's port.
    assert!(yaml.contains("kind: Ingress"), "{yaml}");
    assert!(yaml.contains("host: api.example.com"), "{yaml}");
    assert!(yaml.contains("path: /parse\n"), "{yaml}");
    // The master key stays loopback-only by default, Ingress or not.
    assert!(
        yaml.contains("value: 127.0.0.1/32,::1/128"),
        "master key IPs: {yaml}"
    );
    // The policy admits the declared client and the ingress controller, on Parse's port only.
    let rules = policy_rules(&bundle, "api");
    assert_eq!(rules.len(), 2, "{rules:?}");
    assert_eq!(
        rules[0],
        (
            r#"[{"podSelector":{"matchLabels":{"app":"web"}}}]"#.to_owned(),
            vec![1337]
        )
    );
    assert_eq!(
        rules[1],
        (
            r#"[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"ingress-nginx"}}}]"#
                .to_owned(),
            vec![1337]
        )
    );
    // Only the controller's pods, when given.
    let p = Parse::builder()
        .name("api")
        .app_id("my-app")
        .public_url("https://api.example.com/parse")
        .ingress(
            PublicIngress::builder()
                .controller(
                    IngressController::namespace("ingress")
                        .pods(Labels::from([("app.kubernetes.io/name", "traefik")])),
                )
                .build(),
        )
        .build();
    let rules = policy_rules(&p.bundle().unwrap(), "api");
    assert_eq!(
        rules,
        vec![(
            r#"[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"ingress"}},"podSelector":{"matchLabels":{"app.kubernetes.io/name":"traefik"}}}]"#
                .to_owned(),
            vec![1337]
        )]
    );
}

#[test]
fn an_ingress_needs_its_controller_and_parse_a_public_url() {
    let p = Parse::builder()
        .name("api")
        .app_id("my-app")
        .ingress(PublicIngress::default())
        .build();
    assert_eq!(
        p.validate().unwrap_err().to_string(),
        "parse \"api\": ingress: needs a public_url (the Ingress routes its host and path)\n\
         parse \"api\": ingress.controller: must be set: the NetworkPolicy admits only declared \
         peers, so the ingress controller could not reach the pods (e.g. \
         IngressController::namespace(\"ingress-nginx\"))"
    );
    let g = Ghost::builder()
        .name("blog")
        .url("https://blog.example.com")
        .ingress(
            GhostIngress::builder()
                .controller(IngressController::namespace("Ingress_Nginx"))
                .build(),
        )
        .build();
    assert!(
        g.validate()
            .unwrap_err()
            .to_string()
            .starts_with("ghost \"blog\": ingress.controller.namespace: \"Ingress_Nginx\""),
    );
}

#[test]
fn generated_secrets_are_generate_once() {
    for bundle in [
        MySql::builder().name("db").build().bundle().unwrap(),
        Redis::builder().name("cache").build().bundle().unwrap(),
        MongoDb::builder().name("mongo").build().bundle().unwrap(),
        Parse::builder()
            .name("api")
            .app_id("x")
            .dashboard(Dashboard::default())
            .build()
            .bundle()
            .unwrap(),
    ] {
        for o in bundle.objects().iter().filter(|o| o.kind() == "Secret") {
            let Object::Secret(s) = o else { unreachable!() };
            let mut keys: Vec<String> = s.data.iter().flatten().map(|(k, _)| k.clone()).collect();
            keys.sort();
            let mut generated = o.generate_once_keys();
            generated.sort();
            assert_eq!(keys, generated, "{}: every key is generated once", o.name());
        }
    }
    // Fresh values on each build (the client keeps the live ones).
    let value = |b: &Bundle| match b.get("Secret", "db") {
        Some(Object::Secret(s)) => s.data.as_ref().unwrap()["password"].0.clone(),
        _ => panic!("no secret"),
    };
    let db = MySql::builder().name("db").build();
    let (a, b) = (db.bundle().unwrap(), db.bundle().unwrap());
    assert_ne!(value(&a), value(&b));
    assert_eq!(value(&a).len(), 32);
}

#[test]
fn validation_errors_name_the_field() {
    let err = |r: kubeprint::Result<Bundle>| r.unwrap_err().to_string();
    assert_eq!(
        err(Ghost::builder()
            .name("blog")
            .url("blog.example.com")
            .build()
            .bundle()),
        "ghost \"blog\": url: \"blog.example.com\" is not an http:// or https:// URL"
    );
    assert_eq!(
        err(Redis::builder()
            .name("cache")
            .sentinel(Sentinel::builder().replicas(2).build())
            .build()
            .bundle()),
        "redis \"cache\": sentinel.replicas: must be at least 3 for Sentinel to elect a master, got 2"
    );
    assert_eq!(
        err(Redis::builder()
            .name("cache")
            .sentinel(Sentinel::builder().quorum(4).build())
            .build()
            .bundle()),
        "redis \"cache\": sentinel.quorum: must be between 1 and sentinel.replicas (3), got 4"
    );
    assert_eq!(
        err(Redis::builder()
            .name("cache")
            .sentinel(Sentinel::builder().down_after_ms(1000).build())
            .build()
            .bundle()),
        "redis \"cache\": sentinel.down_after_ms: must be at least 2000, got 1000: Sentinel pings \
         and reconnects once a second, and with less it can judge a just-promoted master down \
         before reconnecting to it, then fail over again"
    );
    assert_eq!(
        err(MySql::builder()
            .name("db")
            .storage(Persistence::of("10 GB"))
            .build()
            .bundle()),
        "mysql \"db\": storage.size: quantity \"10 GB\": is not a number with an optional suffix (m, Ki, Mi, Gi, k, M, G, ...)"
    );
    assert_eq!(
        err(MySql::builder()
            .name("db")
            .database("my-db")
            .build()
            .bundle()),
        "mysql \"db\": database: \"my-db\" is not a valid identifier: use ASCII letters, digits and '_', not starting with a digit"
    );
    assert_eq!(
        err(MySql::builder()
            .name("db")
            .user("app user")
            .build()
            .bundle()),
        "mysql \"db\": user: \"app user\" is not a valid identifier: use ASCII letters, digits and '_', not starting with a digit"
    );
    assert_eq!(
        err(Parse::builder()
            .name("api")
            .app_id("my app")
            .build()
            .bundle()),
        "parse \"api\": app_id: \"my app\" must be ASCII letters, digits, '-', '_' or '.' (no spaces)"
    );
    assert_eq!(
        err(Parse::builder()
            .name("api")
            .app_id("x")
            .master_key_ips(["10.0.0.0/8", "10.1.0.0/99"])
            .build()
            .bundle()),
        "parse \"api\": master_key_ips[1]: \"10.1.0.0/99\" has an invalid prefix length (0-32)"
    );
    assert_eq!(
        err(MongoDb::builder()
            .name("mongo")
            .replicas(0)
            .build()
            .bundle()),
        "mongodb \"mongo\": replicas: must be at least 1, got 0"
    );
    assert_eq!(
        err(Ghost::builder()
            .name("Blog")
            .url("https://x.example")
            .build()
            .bundle()),
        "ghost \"Blog\": name: \"Blog\" must consist of lowercase letters, digits and '-'"
    );
    // Problems of an embedded blueprint are reported with it.
    assert_eq!(
        err(Parse::builder()
            .name("api")
            .app_id("x")
            .database(MongoDb::builder().name("db").user("root").build())
            .build()
            .bundle()),
        "mongodb \"db\": user: must differ from root_user"
    );
}

#[test]
fn default_images_are_exact_versions() {
    use kubeprint::blueprint::{ghost, mongodb, mysql, parse, redis};
    for image in [
        mysql::IMAGE,
        redis::IMAGE,
        mongodb::IMAGE,
        ghost::IMAGE,
        parse::IMAGE,
        parse::DASHBOARD_IMAGE,
    ] {
        let (_, tag) = image.rsplit_once(':').expect("a tag");
        let parts: Vec<&str> = tag.split('.').collect();
        assert!(
            parts.len() == 3 && parts.iter().all(|p| p.parse::<u32>().is_ok()),
            "{image} is not an exact MAJOR.MINOR.PATCH version"
        );
    }
}

#[test]
fn images_can_be_pinned_by_digest() {
    let digest = format!("sha256:{}", "ab".repeat(32));
    let json = |b: &Bundle| {
        b.objects()
            .iter()
            .map(|o| o.to_json_value().unwrap().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let db = MySql::builder().name("db").digest(digest.clone()).build();
    let all = json(&db.bundle().unwrap());
    assert!(
        all.contains(&format!(r#""image":"mysql:8.4.10@{digest}""#)),
        "{all}"
    );
    let r = Redis::builder()
        .name("cache")
        .sentinel(Sentinel::default())
        .digest(digest.clone())
        .build();
    let all = json(&r.bundle().unwrap());
    // Every container of the pod (init, redis, sentinel) runs the pinned image.
    assert_eq!(all.matches(&format!("@{digest}")).count(), 3, "{all}");
    let bad = MongoDb::builder()
        .name("mongo")
        .digest("sha256:abc")
        .build();
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "mongodb \"mongo\": digest: \"sha256:abc\" must be \"sha256:\" and 64 lowercase hex digits"
    );
    let twice = Ghost::builder()
        .name("blog")
        .url("https://blog.example.com")
        .image(format!("ghost:6.36.0@{digest}"))
        .digest(digest.clone())
        .build();
    assert_eq!(
        twice.validate().unwrap_err().to_string(),
        format!("ghost \"blog\": digest: the image \"ghost:6.36.0@{digest}\" already has a digest")
    );
}

#[test]
fn multi_replica_blueprints_spread_over_nodes() {
    use kubeprint::blueprint::Spread;
    let spec_of = |bundle: &Bundle, kind: &str, name: &str| {
        let v = bundle.get(kind, name).unwrap().to_json_value().unwrap();
        v["spec"]["template"]["spec"].clone()
    };
    let soft = |spec: &serde_json::Value| {
        let anti = &spec["affinity"]["podAntiAffinity"];
        anti["requiredDuringSchedulingIgnoredDuringExecution"].is_null()
            && anti["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]["topologyKey"]
                == "kubernetes.io/hostname"
            && spec["topologySpreadConstraints"][0]["whenUnsatisfiable"] == "ScheduleAnyway"
    };
    let hard = |spec: &serde_json::Value| {
        let anti = &spec["affinity"]["podAntiAffinity"];
        anti["requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKey"]
            == "kubernetes.io/hostname"
            && anti["preferredDuringSchedulingIgnoredDuringExecution"].is_null()
            && spec["topologySpreadConstraints"][0]["whenUnsatisfiable"] == "DoNotSchedule"
    };
    let none = |spec: &serde_json::Value| {
        spec["affinity"].is_null() && spec["topologySpreadConstraints"].is_null()
    };
    // Defaults: soft, on every multi-replica blueprint.
    let m = MongoDb::builder().name("mongo").build().bundle().unwrap();
    let spec = spec_of(&m, "StatefulSet", "mongo");
    assert!(soft(&spec), "{spec:#}");
    // The selector of the terms is the blueprint's own pods.
    assert_eq!(
        spec["topologySpreadConstraints"][0]["labelSelector"]["matchLabels"]["app.kubernetes.io/instance"],
        "mongo"
    );
    let r = Redis::builder()
        .name("s")
        .sentinel(Sentinel::default())
        .build()
        .bundle()
        .unwrap();
    assert!(soft(&spec_of(&r, "StatefulSet", "s")));
    let p = Parse::builder()
        .name("api")
        .app_id("x")
        .build()
        .bundle()
        .unwrap();
    assert!(soft(&spec_of(&p, "Deployment", "api")));
    // Hard on request.
    for (spread, check) in [
        (Spread::Hard, &hard as &dyn Fn(&serde_json::Value) -> bool),
        (Spread::None, &none),
    ] {
        let m = MongoDb::builder().name("mongo").spread(spread).build();
        let b = m.bundle().unwrap();
        assert_production_ready(&b);
        assert!(check(&spec_of(&b, "StatefulSet", "mongo")), "{spread:?}");
        let r = Redis::builder()
            .name("s")
            .sentinel(Sentinel::default())
            .spread(spread)
            .build();
        assert!(check(&spec_of(&r.bundle().unwrap(), "StatefulSet", "s")));
        let p = Parse::builder()
            .name("api")
            .app_id("x")
            .spread(spread)
            .build();
        assert!(check(&spec_of(&p.bundle().unwrap(), "Deployment", "api")));
    }
    // One pod: nothing to spread.
    let single = Redis::builder().name("c").spread(Spread::Hard).build();
    assert!(none(&spec_of(
        &single.bundle().unwrap(),
        "StatefulSet",
        "c"
    )));
    let single = MongoDb::builder().name("m").replicas(1).build();
    assert!(none(&spec_of(
        &single.bundle().unwrap(),
        "StatefulSet",
        "m"
    )));
}

#[test]
fn redis_loads_the_bundled_modules_unless_told_not_to() {
    use kubeprint::blueprint::RedisModules;
    let env_of = |r: Redis| {
        let b = r.bundle().unwrap();
        let v = b.get("StatefulSet", "c").unwrap().to_json_value().unwrap();
        let env = v["spec"]["template"]["spec"]["containers"][0]["env"].clone();
        env.as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "REDIS_MODULES")
            .map(|e| e["value"].clone())
    };
    // The default: the script loads the image's modules (tests/scripts/redis-modules.test.sh).
    assert_eq!(
        env_of(Redis::builder().name("c").build()),
        Some("bundled".into())
    );
    assert_eq!(
        env_of(
            Redis::builder()
                .name("c")
                .modules(RedisModules::None)
                .build()
        ),
        Some("none".into())
    );
}

#[test]
fn ghost_creates_its_owner_and_handles_device_verification() {
    let containers = |g: &Ghost| {
        let b = g.bundle().unwrap();
        let v = b
            .get("Deployment", "blog")
            .unwrap()
            .to_json_value()
            .unwrap();
        v["spec"]["template"]["spec"]["containers"].clone()
    };
    let env_value = |c: &serde_json::Value, name: &str| {
        c["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .map(|e| e["value"].clone())
    };
    let g = Ghost::builder()
        .name("blog")
        .url("http://localhost:2368")
        .build();
    let cs = containers(&g);
    assert_eq!(cs[1]["name"], "owner");
    assert_eq!(
        env_value(&cs[0], "security__staffDeviceVerification"),
        Some("false".into())
    );
    // A host without a domain gets a syntactically valid, reserved login e-mail.
    assert_eq!(
        env_value(&cs[1], "GHOST_OWNER_EMAIL"),
        Some("owner@localhost.invalid".into())
    );
    let (email, password) = g.connection().owner.unwrap();
    assert_eq!(email, "owner@localhost.invalid");
    assert_eq!(password, SecretKeyRef::new("blog", "owner-password"));
    let b = g.bundle().unwrap();
    assert_eq!(
        b.get("Secret", "blog").unwrap().generate_once_keys(),
        ["owner-password"]
    );

    // With mail, device verification stays on (Ghost's default).
    let g = Ghost::builder()
        .name("blog")
        .url("https://blog.example.com")
        .mail(
            Mail::builder()
                .from("b@example.com")
                .host("smtp.example.com")
                .secret("smtp")
                .build(),
        )
        .owner(
            kubeprint::blueprint::GhostOwner::builder()
                .email("editor@example.com")
                .credentials(Credentials::existing("ghost-owner"))
                .build(),
        )
        .build();
    let cs = containers(&g);
    assert_eq!(env_value(&cs[0], "security__staffDeviceVerification"), None);
    assert_eq!(
        env_value(&cs[1], "GHOST_OWNER_EMAIL"),
        Some("editor@example.com".into())
    );
    let b = g.bundle().unwrap();
    assert!(b.is_external("Secret", "ghost-owner"));
    assert!(b.get("Secret", "blog").is_none());

    // Opting out: no sidecar, no Secret.
    let g = Ghost::builder()
        .name("blog")
        .url("https://blog.example.com")
        .owner_opt(None)
        .build();
    assert_eq!(containers(&g).as_array().unwrap().len(), 1);
    assert!(g.bundle().unwrap().get("Secret", "blog").is_none());
    assert!(g.connection().owner.is_none());

    let bad = Ghost::builder()
        .name("blog")
        .url("https://blog.example.com")
        .owner(
            kubeprint::blueprint::GhostOwner::builder()
                .email("nobody")
                .build(),
        )
        .build();
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "ghost \"blog\": owner.email: \"nobody\" is not an e-mail address"
    );
}

#[test]
fn mysql_backups() {
    use kubeprint::blueprint::Backup;
    let db = MySql::builder()
        .name("db")
        .backup(Backup::builder().keep(3).time_zone("Europe/Paris").build())
        .build();
    let bundle = db.bundle().unwrap();
    assert_production_ready(&bundle);
    let cron = bundle
        .get("CronJob", "db-backup")
        .unwrap()
        .to_json_value()
        .unwrap();
    assert_eq!(cron["spec"]["schedule"], "0 3 * * *");
    assert_eq!(cron["spec"]["timeZone"], "Europe/Paris");
    assert_eq!(cron["spec"]["concurrencyPolicy"], "Forbid");
    let pod: PodSpec =
        serde_json::from_value(cron["spec"]["jobTemplate"]["spec"]["template"]["spec"].clone())
            .unwrap();
    assert!(
        restricted_findings(&pod).is_empty(),
        "{:?}",
        restricted_findings(&pod)
    );
    let c = &pod.containers[0];
    assert_eq!(
        c.command.as_deref().unwrap(),
        ["bash", "/opt/kubeprint/mysql-backup.sh", "backup"]
    );
    let env: Vec<(String, Option<String>)> = c
        .env
        .iter()
        .flatten()
        .map(|e| (e.name.clone(), e.value.clone()))
        .collect();
    assert!(
        env.contains(&("BACKUP_KEEP".into(), Some("3".into()))),
        "{env:?}"
    );
    assert!(
        env.contains(&("MYSQL_HOST".into(), Some("db".into()))),
        "{env:?}"
    );
    // The backup pods reach the server through its NetworkPolicy.
    let rules = policy_rules(&bundle, "db");
    assert_eq!(
        rules,
        vec![(
            r#"[{"podSelector":{"matchLabels":{"app.kubernetes.io/instance":"db","app.kubernetes.io/name":"mysql-backup"}}}]"#
                .to_owned(),
            vec![3306]
        )]
    );
    assert!(bundle.get("PersistentVolumeClaim", "db-backup").is_some());

    let bad = MySql::builder()
        .name("db")
        .backup(Backup::builder().schedule("daily").keep(0).build())
        .build();
    let e = bad.validate().unwrap_err().to_string();
    assert!(
        e.contains("mysql \"db\": backup.schedule: \"daily\""),
        "{e}"
    );
    assert!(
        e.contains("mysql \"db\": backup.keep: must be at least 1"),
        "{e}"
    );
}

#[test]
fn redis_metrics_exporter() {
    use kubeprint::blueprint::Metrics;
    let r = Redis::builder()
        .name("c")
        .sentinel(Sentinel::default())
        .metrics(
            Metrics::builder()
                .scraper(Client::namespace("monitoring"))
                .build(),
        )
        .build();
    let bundle = r.bundle().unwrap();
    assert_production_ready(&bundle);
    let sts = bundle
        .get("StatefulSet", "c")
        .unwrap()
        .to_json_value()
        .unwrap();
    let containers = sts["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .clone();
    let exporter = containers.iter().find(|c| c["name"] == "metrics").unwrap();
    assert_eq!(exporter["image"], "oliver006/redis_exporter:v1.78.0");
    assert_eq!(exporter["ports"][0]["containerPort"], 9121);
    assert_eq!(
        exporter["env"][1]["valueFrom"]["secretKeyRef"]["key"],
        "password"
    );
    // The scrapers reach the metrics port only; the Redis policy is unchanged.
    assert_eq!(
        policy_rules(&bundle, "c-metrics"),
        vec![(
            r#"[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"monitoring"}}}]"#
                .to_owned(),
            vec![9121]
        )]
    );
    assert!(
        policy_rules(&bundle, "c")
            .iter()
            .all(|(_, ports)| !ports.contains(&9121))
    );
    let bad = Redis::builder()
        .name("c")
        .metrics(
            Metrics::builder()
                .scraper(Client::Cidr("nope".into()))
                .build(),
        )
        .build();
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "redis \"c\": metrics.scrapers[0]: \"nope\" is not an IP address or CIDR block"
    );
}

#[test]
fn redis_backups() {
    use kubeprint::blueprint::Backup;
    let r = Redis::builder()
        .name("cache")
        .backup(Backup::builder().keep(5).schedule("15 * * * *").build())
        .build();
    let bundle = r.bundle().unwrap();
    assert_production_ready(&bundle);
    let cron = bundle
        .get("CronJob", "cache-backup")
        .unwrap()
        .to_json_value()
        .unwrap();
    assert_eq!(cron["spec"]["schedule"], "15 * * * *");
    assert_eq!(cron["spec"]["concurrencyPolicy"], "Forbid");
    let pod: PodSpec =
        serde_json::from_value(cron["spec"]["jobTemplate"]["spec"]["template"]["spec"].clone())
            .unwrap();
    assert!(
        restricted_findings(&pod).is_empty(),
        "{:?}",
        restricted_findings(&pod)
    );
    let c = &pod.containers[0];
    assert_eq!(
        c.command.as_deref().unwrap(),
        ["sh", "/opt/kubeprint/redis-backup.sh", "backup"]
    );
    let env: Vec<(String, Option<String>)> = c
        .env
        .iter()
        .flatten()
        .map(|e| (e.name.clone(), e.value.clone()))
        .collect();
    for expected in [
        ("BACKUP_KEEP", "5"),
        ("REDIS_HOST", "cache"),
        ("BACKUP_PREFIX", "cache"),
    ] {
        assert!(
            env.contains(&(expected.0.into(), Some(expected.1.into()))),
            "{env:?}"
        );
    }
    // The password comes from the Secret, never a literal.
    let auth = c
        .env
        .iter()
        .flatten()
        .find(|e| e.name == "REDISCLI_AUTH")
        .unwrap();
    assert!(auth.value.is_none());
    assert_eq!(
        auth.value_from
            .as_ref()
            .unwrap()
            .secret_key_ref
            .as_ref()
            .unwrap()
            .key,
        "password"
    );
    // The backup pods reach the server through its NetworkPolicy, on the Redis port only.
    assert_eq!(
        policy_rules(&bundle, "cache"),
        vec![(
            r#"[{"podSelector":{"matchLabels":{"app.kubernetes.io/instance":"cache","app.kubernetes.io/name":"redis-backup"}}}]"#
                .to_owned(),
            vec![6379]
        )]
    );
    assert!(
        bundle
            .get("PersistentVolumeClaim", "cache-backup")
            .is_some()
    );
    // The restore script is in the server's pods (it runs there).
    let scripts = bundle
        .get("ConfigMap", "cache-scripts")
        .unwrap()
        .to_json_value()
        .unwrap();
    assert!(scripts["data"]["redis-backup.sh"].is_string());
    let plain = Redis::builder().name("cache").build().bundle().unwrap();
    let plain_scripts = plain
        .get("ConfigMap", "cache-scripts")
        .unwrap()
        .to_json_value()
        .unwrap();
    assert!(plain_scripts["data"]["redis-backup.sh"].is_null());
    assert!(plain.get("CronJob", "cache-backup").is_none());

    let bad = Redis::builder()
        .name("cache")
        .backup(Backup::builder().keep(0).build())
        .build();
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "redis \"cache\": backup.keep: must be at least 1"
    );
}

#[test]
fn mongodb_backups() {
    use kubeprint::blueprint::{Backup, Tls};
    let m = MongoDb::builder()
        .name("mongo")
        .namespace("data")
        .database("shop")
        .backup(Backup::builder().keep(4).schedule("45 1 * * *").build())
        .build();
    let bundle = m.bundle().unwrap();
    assert_production_ready(&bundle);
    let cron = bundle
        .get("CronJob", "mongo-backup")
        .unwrap()
        .to_json_value()
        .unwrap();
    assert_eq!(cron["spec"]["schedule"], "45 1 * * *");
    assert_eq!(cron["spec"]["concurrencyPolicy"], "Forbid");
    let spec = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let pod: PodSpec = serde_json::from_value(spec.clone()).unwrap();
    assert!(
        restricted_findings(&pod).is_empty(),
        "{:?}",
        restricted_findings(&pod)
    );
    let security = pod.security_context.as_ref().unwrap();
    assert_eq!(security.run_as_user, Some(999));
    assert_eq!(pod.containers.len(), 1);
    let c = &pod.containers[0];
    assert_eq!(
        c.image.as_deref(),
        Some("mongo:8.0.17"),
        "the blueprint's own image"
    );
    assert_eq!(
        c.command.as_deref().unwrap(),
        ["sh", "/opt/kubeprint/mongodb-backup.sh", "backup"]
    );
    assert!(c.args.is_none());
    let sc = c.security_context.as_ref().unwrap();
    assert_eq!(sc.read_only_root_filesystem, Some(true));
    let r = c.resources.as_ref().unwrap();
    assert!(r.requests.as_ref().is_some_and(|m| m.contains_key("cpu")));
    assert!(r.limits.as_ref().is_some_and(|m| m.contains_key("memory")));
    let container = &spec["containers"][0];
    // The members' full names (those of the set's configuration and of their certificate),
    // whose namespace Kubernetes completes from the variable defined before.
    assert_eq!(container["env"][0]["name"], "POD_NAMESPACE");
    assert_eq!(
        container["env"][0]["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.namespace"
    );
    for (var, value) in [
        (
            "MONGODB_URI",
            "mongodb://mongo-0.mongo-headless.$(POD_NAMESPACE).svc:27017,\
             mongo-1.mongo-headless.$(POD_NAMESPACE).svc:27017,\
             mongo-2.mongo-headless.$(POD_NAMESPACE).svc:27017/?replicaSet=rs0",
        ),
        ("MONGODB_USER", "backup"),
        ("MONGODB_AUTH_DB", "admin"),
        ("MONGODB_DATABASE", "shop"),
        (
            "MONGODB_PASSWORD_FILE",
            "/etc/mongodb-secret/backup-password",
        ),
        ("BACKUP_DIR", "/backup"),
        ("BACKUP_KEEP", "4"),
    ] {
        assert_eq!(env_value(container, var).as_deref(), Some(value), "{var}");
    }
    // The password is a mounted file only: no variable from the Secret, nothing on the command
    // line; the Secret volume holds the backup user's key alone.
    assert!(
        c.env.iter().flatten().all(|e| e
            .value_from
            .as_ref()
            .is_none_or(|f| f.secret_key_ref.is_none())),
        "{:?}",
        c.env
    );
    assert!(env_value(container, "MONGODB_TLS_CA").is_none());
    let volumes = spec["volumes"].as_array().unwrap();
    let volume = |name: &str| volumes.iter().find(|v| v["name"] == name).unwrap();
    assert_eq!(
        volume("secret")["secret"]["items"],
        serde_json::json!([{"key": "backup-password", "path": "backup-password"}])
    );
    assert_eq!(
        volume("backup")["persistentVolumeClaim"]["claimName"],
        "mongo-backup"
    );
    assert_eq!(volume("tmp")["emptyDir"]["medium"], "Memory");
    let mounts: Vec<(String, String)> = c
        .volume_mounts
        .iter()
        .flatten()
        .map(|m| (m.name.clone(), m.mount_path.clone()))
        .collect();
    assert!(
        mounts.contains(&("backup".into(), "/backup".into())),
        "{mounts:?}"
    );
    assert!(volumes.iter().all(|v| v["name"] != "tls"));
    assert!(
        bundle
            .get("PersistentVolumeClaim", "mongo-backup")
            .is_some()
    );
    // The backup user's password is generated once, beside the others.
    let secret = bundle
        .get("Secret", "mongo")
        .unwrap()
        .to_json_value()
        .unwrap();
    assert!(secret.to_string().contains("backup-password"), "{secret}");
    // The sidecar creates the backup user and can run the restore.
    let containers = sts_containers(&bundle, "mongo");
    let sidecar = containers
        .iter()
        .find(|c| c["name"] == "replicaset")
        .unwrap();
    assert_eq!(
        env_value(sidecar, "MONGODB_BACKUP_USER").as_deref(),
        Some("backup")
    );
    assert_eq!(
        secret_env_key(sidecar, "MONGODB_BACKUP_PASSWORD"),
        "backup-password"
    );
    assert_eq!(
        env_value(sidecar, "MONGODB_URI"),
        env_value(container, "MONGODB_URI")
    );
    // The script and the shared rotation routine are in the members' pods too.
    let scripts = bundle
        .get("ConfigMap", "mongo-scripts")
        .unwrap()
        .to_json_value()
        .unwrap();
    assert!(scripts["data"]["mongodb-backup.sh"].is_string());
    assert!(scripts["data"]["backup-lib.sh"].is_string());
    // The backup pods reach the members through their NetworkPolicy, on the MongoDB port.
    let rules = policy_rules(&bundle, "mongo");
    assert!(
        rules.contains(&(
            r#"[{"podSelector":{"matchLabels":{"app.kubernetes.io/instance":"mongo","app.kubernetes.io/name":"mongodb-backup"}}}]"#
                .to_owned(),
            vec![27017]
        )),
        "{rules:?}"
    );

    // Without backups: none of it.
    let plain = MongoDb::builder().name("mongo").build().bundle().unwrap();
    assert!(plain.get("CronJob", "mongo-backup").is_none());
    let plain_scripts = plain
        .get("ConfigMap", "mongo-scripts")
        .unwrap()
        .to_json_value()
        .unwrap();
    assert!(plain_scripts["data"]["mongodb-backup.sh"].is_null());
    assert!(plain_scripts["data"]["backup-lib.sh"].is_null());
    let plain_sidecar = sts_containers(&plain, "mongo")
        .into_iter()
        .find(|c| c["name"] == "replicaset")
        .unwrap();
    assert!(env_value(&plain_sidecar, "MONGODB_BACKUP_USER").is_none());
    assert!(
        !plain
            .get("Secret", "mongo")
            .unwrap()
            .to_json_value()
            .unwrap()
            .to_string()
            .contains("backup-password")
    );

    // TLS: the job verifies the members with the CA, mounting nothing else of the TLS Secret.
    let tls = MongoDb::builder()
        .name("mongo")
        .tls(Tls::builder().secret("mongo-tls").ca_key("ca.crt").build())
        .backup(Backup::default())
        .build()
        .bundle()
        .unwrap();
    let cron = tls
        .get("CronJob", "mongo-backup")
        .unwrap()
        .to_json_value()
        .unwrap();
    let spec = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(
        env_value(&spec["containers"][0], "MONGODB_TLS_CA").as_deref(),
        Some("/etc/kubeprint-tls/ca.crt")
    );
    let tls_volume = spec["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "tls")
        .unwrap();
    assert_eq!(tls_volume["secret"]["secretName"], "mongo-tls");
    assert_eq!(
        tls_volume["secret"]["items"],
        serde_json::json!([{"key": "ca.crt", "path": "ca.crt"}])
    );
    let sidecar = sts_containers(&tls, "mongo")
        .into_iter()
        .find(|c| c["name"] == "replicaset")
        .unwrap();
    assert_eq!(
        env_value(&sidecar, "MONGODB_TLS_CA").as_deref(),
        Some("/etc/kubeprint-tls/ca.crt")
    );

    // Validation names the fields.
    let bad = MongoDb::builder()
        .name("mongo")
        .root_user("backup")
        .backup(Backup::builder().schedule("nightly").keep(0).build())
        .build();
    let e = bad.validate().unwrap_err().to_string();
    assert!(
        e.contains("mongodb \"mongo\": backup.schedule: \"nightly\""),
        "{e}"
    );
    assert!(
        e.contains("mongodb \"mongo\": backup.keep: must be at least 1"),
        "{e}"
    );
    assert!(
        e.contains("mongodb \"mongo\": root_user: must not be \"backup\" with backups on"),
        "{e}"
    );
    // Without backups, "backup" is a root user's name like any other.
    MongoDb::builder()
        .name("mongo")
        .root_user("backup")
        .build()
        .validate()
        .unwrap();
}

#[test]
fn single_replicas_get_a_budget_only_on_request() {
    use kubeprint::blueprint::Eviction;
    let pdb = |bundle: &Bundle, name: &str| {
        bundle
            .get("PodDisruptionBudget", name)
            .map(|o| o.to_json_value().unwrap()["spec"].clone())
    };
    let blocking = |spec: Option<serde_json::Value>, selector: &str| {
        let spec = spec.expect("a PodDisruptionBudget");
        assert_eq!(spec["maxUnavailable"], 0);
        assert!(spec["minAvailable"].is_null());
        assert_eq!(spec["unhealthyPodEvictionPolicy"], "AlwaysAllow");
        assert_eq!(
            spec["selector"]["matchLabels"]["app.kubernetes.io/name"],
            selector
        );
    };
    // The defaults block no drain: no budget for a single pod.
    let mysql = MySql::builder().name("db").build().bundle().unwrap();
    assert!(pdb(&mysql, "db").is_none());
    let redis = Redis::builder().name("cache").build().bundle().unwrap();
    assert!(pdb(&redis, "cache").is_none());
    let ghost = Ghost::builder()
        .name("blog")
        .url("https://blog.example.com")
        .build()
        .bundle()
        .unwrap();
    assert!(pdb(&ghost, "blog").is_none());
    assert!(pdb(&ghost, "blog-mysql").is_none());

    // On request, a budget that no eviction of the ready pod passes.
    let mysql = MySql::builder()
        .name("db")
        .eviction(Eviction::Block)
        .build();
    let bundle = mysql.bundle().unwrap();
    bundle.check().unwrap();
    blocking(pdb(&bundle, "db"), "mysql");
    let bundle = Redis::builder()
        .name("cache")
        .eviction(Eviction::Block)
        .build()
        .bundle()
        .unwrap();
    bundle.check().unwrap();
    blocking(pdb(&bundle, "cache"), "redis");
    // Ghost's own pod; its database keeps its own setting.
    let bundle = Ghost::builder()
        .name("blog")
        .url("https://blog.example.com")
        .eviction(Eviction::Block)
        .build()
        .bundle()
        .unwrap();
    bundle.check().unwrap();
    blocking(pdb(&bundle, "blog"), "ghost");
    assert!(pdb(&bundle, "blog-mysql").is_none());

    // Multi-replica blueprints always have one, letting one pod go at a time.
    for (bundle, name) in [
        (
            Redis::builder()
                .name("s")
                .sentinel(Sentinel::default())
                .build()
                .bundle()
                .unwrap(),
            "s",
        ),
        (MongoDb::builder().name("m").build().bundle().unwrap(), "m"),
        (
            Parse::builder()
                .name("p")
                .app_id("app")
                .build()
                .bundle()
                .unwrap(),
            "p",
        ),
    ] {
        assert_eq!(pdb(&bundle, name).unwrap()["maxUnavailable"], 1, "{name}");
    }
    // A Sentinel set has its budget already.
    let e = Redis::builder()
        .name("s")
        .sentinel(Sentinel::default())
        .eviction(Eviction::Block)
        .build()
        .validate()
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("redis \"s\": eviction: Block is for a standalone server"),
        "{e}"
    );
}

/// The containers of the pod template of StatefulSet `name`.
fn sts_containers(bundle: &Bundle, name: &str) -> Vec<serde_json::Value> {
    bundle
        .get("StatefulSet", name)
        .unwrap()
        .to_json_value()
        .unwrap()["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .clone()
}

/// The secretKeyRef key of variable `var` of `container`.
fn secret_env_key(container: &serde_json::Value, var: &str) -> String {
    container["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == var)
        .unwrap_or_else(|| panic!("no {var} in {container}"))["valueFrom"]["secretKeyRef"]["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn mysql_metrics_exporter() {
    use kubeprint::blueprint::Metrics;
    let db = MySql::builder()
        .name("db")
        .metrics(
            Metrics::builder()
                .scraper(Client::namespace("monitoring"))
                .build(),
        )
        .build();
    let bundle = db.bundle().unwrap();
    assert_production_ready(&bundle);
    let containers = sts_containers(&bundle, "db");
    let exporter = containers.iter().find(|c| c["name"] == "metrics").unwrap();
    assert_eq!(exporter["image"], "prom/mysqld-exporter:v0.17.2");
    assert_eq!(exporter["ports"][0]["containerPort"], 9104);
    assert_eq!(
        exporter["args"],
        serde_json::json!([
            "--mysqld.address=127.0.0.1:3306",
            "--mysqld.username=exporter",
            "--web.listen-address=:9104"
        ])
    );
    assert_eq!(
        secret_env_key(exporter, "MYSQLD_EXPORTER_PASSWORD"),
        "exporter-password"
    );
    // The account is created by the image's entrypoint from the mounted script.
    let mysql = containers.iter().find(|c| c["name"] == "mysql").unwrap();
    let mounts = mysql["volumeMounts"].as_array().unwrap();
    assert!(mounts.iter().any(|m| m["mountPath"]
        == "/docker-entrypoint-initdb.d/kubeprint-exporter-user.sh"
        && m["subPath"] == "mysql-exporter-user.sh"));
    let scripts = bundle
        .get("ConfigMap", "db-scripts")
        .unwrap()
        .to_json_value()
        .unwrap();
    assert!(scripts["data"]["mysql-exporter-user.sh"].is_string());
    // Its password is generated once into the Secret, next to the others.
    let secret = bundle.get("Secret", "db").unwrap().to_json_value().unwrap();
    let keys = secret["data"]
        .as_object()
        .or(secret["stringData"].as_object())
        .unwrap();
    assert!(keys.contains_key("exporter-password"), "{secret}");
    assert_eq!(
        policy_rules(&bundle, "db-metrics"),
        vec![(
            r#"[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"monitoring"}}}]"#
                .to_owned(),
            vec![9104]
        )]
    );
    assert!(
        policy_rules(&bundle, "db")
            .iter()
            .all(|(_, ports)| !ports.contains(&9104))
    );
    // Without metrics: no key, no script, no sidecar.
    let plain = MySql::builder().name("db").build().bundle().unwrap();
    assert_eq!(sts_containers(&plain, "db").len(), 1);
    assert!(plain.get("NetworkPolicy", "db-metrics").is_none());
    let bad = MySql::builder()
        .name("db")
        .user("exporter")
        .metrics(Metrics::default())
        .build();
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "mysql \"db\": user: must not be \"exporter\" with metrics on (the exporter's own account)"
    );
}

#[test]
fn mongodb_metrics_exporter() {
    use kubeprint::blueprint::Metrics;
    let db = MongoDb::builder()
        .name("mongo")
        .metrics(
            Metrics::builder()
                .scraper(Client::namespace("monitoring"))
                .build(),
        )
        .build();
    let bundle = db.bundle().unwrap();
    assert_production_ready(&bundle);
    let containers = sts_containers(&bundle, "mongo");
    let exporter = containers.iter().find(|c| c["name"] == "metrics").unwrap();
    assert_eq!(exporter["image"], "percona/mongodb_exporter:0.47.1");
    assert_eq!(exporter["ports"][0]["containerPort"], 9216);
    assert_eq!(
        secret_env_key(exporter, "MONGODB_PASSWORD"),
        "exporter-password"
    );
    let uri = exporter["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "MONGODB_URI")
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(uri, "mongodb://127.0.0.1:27017/admin?directConnection=true");
    // The replica-set sidecar creates the exporter's user.
    let sidecar = containers
        .iter()
        .find(|c| c["name"] == "replicaset")
        .unwrap();
    assert_eq!(
        secret_env_key(sidecar, "MONGODB_EXPORTER_PASSWORD"),
        "exporter-password"
    );
    assert_eq!(
        policy_rules(&bundle, "mongo-metrics"),
        vec![(
            r#"[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"monitoring"}}}]"#
                .to_owned(),
            vec![9216]
        )]
    );
    let plain = MongoDb::builder().name("mongo").build().bundle().unwrap();
    let plain_containers = sts_containers(&plain, "mongo");
    assert!(plain_containers.iter().all(|c| c["name"] != "metrics"));
    let sidecar = plain_containers
        .iter()
        .find(|c| c["name"] == "replicaset")
        .unwrap();
    assert!(
        !sidecar["env"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "MONGODB_EXPORTER_USER")
    );
}

fn env_value(container: &serde_json::Value, var: &str) -> Option<String> {
    container["env"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == var)?["value"]
        .as_str()
        .map(str::to_owned)
}

#[test]
fn mysql_tls() {
    use kubeprint::blueprint::{Backup, Metrics, Tls};
    let db = MySql::builder()
        .name("db")
        .tls(Tls::builder().secret("db-tls").ca_key("ca.crt").build())
        .backup(Backup::default())
        .metrics(Metrics::default())
        .build();
    let bundle = db.bundle().unwrap();
    assert_production_ready(&bundle);
    assert!(bundle.is_external("Secret", "db-tls"));
    let cnf = bundle
        .get("ConfigMap", "db-config")
        .unwrap()
        .to_json_value()
        .unwrap()["data"]["kubeprint.cnf"]
        .as_str()
        .unwrap()
        .to_owned();
    for line in [
        "ssl_cert = /etc/kubeprint-tls/tls.crt",
        "ssl_key = /etc/kubeprint-tls/tls.key",
        "ssl_ca = /etc/kubeprint-tls/ca.crt",
        "require_secure_transport = ON",
    ] {
        assert!(cnf.lines().any(|l| l == line), "{line} not in {cnf}");
    }
    let containers = sts_containers(&bundle, "db");
    let exporter = containers.iter().find(|c| c["name"] == "metrics").unwrap();
    assert!(
        exporter["args"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("--tls.insecure-skip-verify"))
    );
    // The backup job verifies the server with the CA, and mounts nothing else of the Secret.
    let cron = bundle
        .get("CronJob", "db-backup")
        .unwrap()
        .to_json_value()
        .unwrap();
    let pod = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(
        env_value(&pod["containers"][0], "MYSQL_SSL_CA").as_deref(),
        Some("/etc/kubeprint-tls/ca.crt")
    );
    let tls_volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "tls")
        .unwrap();
    assert_eq!(
        tls_volume["secret"]["items"],
        serde_json::json!([{"key": "ca.crt", "path": "ca.crt"}])
    );
    let tls = db.connection().tls.unwrap();
    assert_eq!(tls.port, 3306);
    assert_eq!(tls.ca, Some(SecretKeyRef::new("db-tls", "ca.crt")));

    // Plaintext allowed; no CA: the job encrypts without verifying.
    let open = MySql::builder()
        .name("db")
        .tls(Tls::builder().secret("db-tls").allow_plaintext().build())
        .backup(Backup::default())
        .build()
        .bundle()
        .unwrap();
    let cnf = open
        .get("ConfigMap", "db-config")
        .unwrap()
        .to_json_value()
        .unwrap()["data"]["kubeprint.cnf"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        cnf.contains("require_secure_transport = OFF") && !cnf.contains("ssl_ca"),
        "{cnf}"
    );
    let cron = open
        .get("CronJob", "db-backup")
        .unwrap()
        .to_json_value()
        .unwrap();
    let job = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(env_value(job, "MYSQL_TLS").as_deref(), Some("required"));
    let bad = MySql::builder()
        .name("db")
        .tls(Tls::builder().secret("DB_TLS").ca_key("tls.key").build())
        .build();
    let e = bad.validate().unwrap_err().to_string();
    assert!(e.contains("mysql \"db\": tls.secret: \"DB_TLS\""), "{e}");
    assert!(
        e.contains(
            "mysql \"db\": tls.ca_key: \"tls.key\" is the server's own certificate or key, not a CA"
        ),
        "{e}"
    );
}

#[test]
fn redis_tls() {
    use kubeprint::blueprint::{Backup, Metrics, Tls};
    let r = Redis::builder()
        .name("cache")
        .tls(Tls::builder().secret("cache-tls").ca_key("ca.crt").build())
        .backup(Backup::default())
        .metrics(Metrics::default())
        .build();
    let bundle = r.bundle().unwrap();
    assert_production_ready(&bundle);
    assert!(bundle.is_external("Secret", "cache-tls"));
    let containers = sts_containers(&bundle, "cache");
    let redis = containers.iter().find(|c| c["name"] == "redis").unwrap();
    assert_eq!(env_value(redis, "REDIS_TLS").as_deref(), Some("required"));
    assert_eq!(
        env_value(redis, "REDIS_TLS_ARGS").as_deref(),
        Some("--tls --cacert /etc/kubeprint-tls/ca.crt")
    );
    let exporter = containers.iter().find(|c| c["name"] == "metrics").unwrap();
    assert_eq!(
        env_value(exporter, "REDIS_ADDR").as_deref(),
        Some("rediss://localhost:6379")
    );
    assert_eq!(
        env_value(exporter, "REDIS_EXPORTER_SKIP_TLS_VERIFICATION").as_deref(),
        Some("true")
    );
    let cron = bundle
        .get("CronJob", "cache-backup")
        .unwrap()
        .to_json_value()
        .unwrap();
    let job = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        env_value(job, "REDIS_TLS_ARGS").as_deref(),
        Some("--tls --cacert /etc/kubeprint-tls/ca.crt")
    );
    assert_eq!(r.connection().tls.unwrap().port, 6379);

    // Plaintext allowed: TLS on 6380, in the Services and the policy too.
    let open = Redis::builder()
        .name("cache")
        .tls(Tls::builder().secret("cache-tls").allow_plaintext().build())
        .build();
    let bundle = open.bundle().unwrap();
    bundle.check().unwrap();
    let svc = bundle
        .get("Service", "cache")
        .unwrap()
        .to_json_value()
        .unwrap();
    let ports: Vec<i64> = svc["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["port"].as_i64().unwrap())
        .collect();
    assert_eq!(ports, [6379, 6380]);
    let redis = sts_containers(&bundle, "cache")
        .into_iter()
        .find(|c| c["name"] == "redis")
        .unwrap();
    assert_eq!(env_value(&redis, "REDIS_TLS").as_deref(), Some("optional"));
    assert_eq!(env_value(&redis, "REDIS_TLS_PORT").as_deref(), Some("6380"));
    assert_eq!(env_value(&redis, "REDIS_TLS_ARGS"), None);
    let tls = open.connection().tls.unwrap();
    assert_eq!(
        (tls.port, tls.plaintext_allowed, tls.ca),
        (6380, true, None)
    );
    let e = Redis::builder()
        .name("s")
        .sentinel(Sentinel::default())
        .tls(Tls::builder().secret("s-tls").build())
        .build()
        .validate()
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("redis \"s\": tls: is not supported with Sentinel yet"),
        "{e}"
    );
}

#[test]
fn mongodb_tls() {
    use kubeprint::blueprint::{Metrics, Tls};
    let m = MongoDb::builder()
        .name("mongo")
        .tls(Tls::builder().secret("mongo-tls").ca_key("ca.crt").build())
        .metrics(Metrics::default())
        .build();
    let bundle = m.bundle().unwrap();
    assert_production_ready(&bundle);
    let sts = bundle
        .get("StatefulSet", "mongo")
        .unwrap()
        .to_json_value()
        .unwrap();
    let spec = &sts["spec"]["template"]["spec"];
    let inits: Vec<&str> = spec["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(inits, ["keyfile", "tls-pem"]);
    let mongod = spec["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "mongod")
        .unwrap();
    let args: Vec<&str> = mongod["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let tail = &args[args.len() - 7..];
    assert_eq!(
        tail,
        [
            "--tlsMode",
            "requireTLS",
            "--tlsCertificateKeyFile",
            "/run/kubeprint-tls/server.pem",
            "--tlsCAFile",
            "/etc/kubeprint-tls/ca.crt",
            "--tlsAllowConnectionsWithoutCertificates"
        ]
    );
    let probe = mongod["readinessProbe"]["exec"]["command"][1]
        .as_str()
        .unwrap();
    assert!(
        probe.ends_with(
            "&tls=true&tlsCAFile=/etc/kubeprint-tls/ca.crt&tlsAllowInvalidHostnames=true"
        ),
        "{probe}"
    );
    let sidecar = spec["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "replicaset")
        .unwrap();
    assert_eq!(
        env_value(sidecar, "MONGODB_TLS_OPTIONS").as_deref(),
        Some("&tls=true&tlsCAFile=/etc/kubeprint-tls/ca.crt")
    );
    assert!(
        m.connection()
            .uri_without_credentials()
            .ends_with("&authSource=app&tls=true")
    );
    let e = MongoDb::builder()
        .name("mongo")
        .tls(Tls::builder().secret("mongo-tls").build())
        .build()
        .validate()
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("mongodb \"mongo\": tls.ca_key: must be set for MongoDB"),
        "{e}"
    );
    // Parse cannot hand the CA to Parse Server yet: refused, not silently broken.
    let e = Parse::builder()
        .name("api")
        .app_id("app")
        .database(m)
        .build()
        .validate()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("database: an embedded MongoDB with TLS is not supported yet"),
        "{e}"
    );
}

#[test]
fn operations_snapshots() {
    use kubeprint::blueprint::{Backup, Eviction, Metrics, ServiceMonitor, Tls};
    use std::time::Duration;
    snapshot(
        "mysql_operations",
        &MySql::builder()
            .name("db")
            .eviction(Eviction::Block)
            .backup(Backup::builder().keep(3).build())
            .metrics(
                Metrics::builder()
                    .scraper(Client::namespace("monitoring"))
                    .service_monitor(
                        ServiceMonitor::builder()
                            .interval(Duration::from_secs(30))
                            .scrape_timeout(Duration::from_millis(7500))
                            .labels([("release", "kube-prometheus-stack")])
                            .build(),
                    )
                    .build(),
            )
            .tls(Tls::builder().secret("db-tls").ca_key("ca.crt").build())
            .build(),
    );
    snapshot(
        "redis_operations",
        &Redis::builder()
            .name("cache")
            .eviction(Eviction::Block)
            .backup(Backup::builder().schedule("0 * * * *").build())
            .metrics(
                Metrics::builder()
                    .scraper(Client::namespace("monitoring"))
                    .service_monitor(ServiceMonitor::default())
                    .build(),
            )
            .tls(Tls::builder().secret("cache-tls").ca_key("ca.crt").build())
            .build(),
    );
    snapshot(
        "mongodb_operations",
        &MongoDb::builder()
            .name("mongo")
            .backup(Backup::builder().keep(5).build())
            .metrics(
                Metrics::builder()
                    .scraper(Client::namespace("monitoring"))
                    .build(),
            )
            .tls(Tls::builder().secret("mongo-tls").ca_key("ca.crt").build())
            .build(),
    );
}
