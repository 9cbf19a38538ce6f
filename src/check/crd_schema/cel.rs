//! CRD validation rules (`x-kubernetes-validations`) evaluated with the `cel` crate (feature
//! `cel`).
//!
//! A rule is evaluated at its schema node with `self` bound to the node's (defaulted) value,
//! converted with the schema's types (a `number` field is a CEL double even when written `2`).
//! What the apiserver does on create, and what happens here:
//! - a rule that is `true` passes; `false` is a violation at the node (or at its `fieldPath`)
//!   with its `message`, its `messageExpression`'s result, or `failed rule: <rule>`;
//! - a runtime error the apiserver also raises (a missing key, a division by zero) is a
//!   violation;
//! - a transition rule (it names `oldSelf`) is not evaluated on create, like the apiserver —
//!   unless `optionalOldSelf` is set, then it is skipped;
//! - a rule that does not parse, or uses what the crate does not have (the Kubernetes CEL
//!   libraries — `quantity()`, `url()`, `ip()`, `format()`... — except the string functions
//!   [`context`] adds; optional
//!   field access `?.`, ...), is *skipped* and reported so ([`super::SkippedRule`]), never
//!   guessed.
//!
//! Errors never quote the evaluator's message, which can hold values: only the rule, the
//! failing key or the missing function.

use super::{JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool};
use cel::extractors::This;
use cel::objects::{Key, Map as CelMap};
use cel::{Context, ExecutionError, Program};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::ValidationRule;
use serde_json::Value;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// What one rule says about one value.
pub(super) enum Outcome {
    Pass,
    /// The rule failed: the path (relative: `fieldPath`) and message.
    Fail(Option<String>, String),
    Skipped(String),
}

/// Compiled rules of one call, by rule text.
#[derive(Default)]
pub(super) struct Rules<'s> {
    programs: HashMap<&'s str, Result<Program, String>>,
}

impl<'s> Rules<'s> {
    fn program(&mut self, source: &'s str) -> Result<&Program, String> {
        self.programs
            .entry(source)
            .or_insert_with(|| compile(source))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Evaluates `rule` with `self` = `value` (of schema `schema`).
    pub(super) fn evaluate(
        &mut self,
        rule: &'s ValidationRule,
        value: &Value,
        schema: &JSONSchemaProps,
    ) -> Outcome {
        let program = match self.program(&rule.rule) {
            Ok(p) => p,
            Err(why) => return Outcome::Skipped(why),
        };
        if program.references().has_variable("oldSelf") {
            return if rule.optional_old_self == Some(true) {
                Outcome::Skipped(
                    "a transition rule with optionalOldSelf: kubeprint does not evaluate it".into(),
                )
            } else {
                // Transition rules do not run on create.
                Outcome::Pass
            };
        }
        let this = to_cel(value, Some(schema));
        let result = catch_unwind(AssertUnwindSafe(|| {
            let mut ctx = context();
            ctx.add_variable_from_value("self", this.clone());
            program.execute(&ctx)
        }));
        let fail = |why: Option<String>| {
            let message = match why {
                Some(why) => format!("{} ({why})", message(rule, &this)),
                None => message(rule, &this),
            };
            Outcome::Fail(rule.field_path.clone(), message)
        };
        match result {
            Err(_) => Outcome::Skipped("the CEL evaluator failed on it".into()),
            Ok(Ok(cel::Value::Bool(true))) => Outcome::Pass,
            Ok(Ok(cel::Value::Bool(false))) => fail(None),
            Ok(Ok(_)) => Outcome::Skipped("it does not evaluate to a boolean".into()),
            Ok(Err(e)) => match e {
                ExecutionError::NoSuchKey(k) => fail(Some(format!("no such key: {k}"))),
                ExecutionError::DivisionByZero(_) | ExecutionError::RemainderByZero(_) => {
                    fail(Some("division by zero".into()))
                }
                ExecutionError::UndeclaredReference(name) => Outcome::Skipped(format!(
                    "it uses `{name}`, which kubeprint's CEL evaluator does not have"
                )),
                ExecutionError::NotSupportedAsMethod { method, .. } => Outcome::Skipped(format!(
                    "it uses `{method}()`, which kubeprint's CEL evaluator does not have"
                )),
                _ => Outcome::Skipped(
                    "kubeprint's CEL evaluator cannot evaluate it (a type it does not handle)"
                        .into(),
                ),
            },
        }
    }
}

/// A context with the part of Kubernetes' CEL strings library the `cel` crate lacks:
/// `lowerAscii()`, `upperAscii()`, `trim()`, `indexOf(s)`, `lastIndexOf(s)` (in code points)
/// and `split(sep)`.
fn context() -> Context<'static, 'static> {
    let mut ctx = Context::default();
    // A name the crate comes to define itself is kept (the error says so): ignored.
    let _ = ctx.add_function("lowerAscii", |This(s): This<Arc<String>>| {
        s.to_ascii_lowercase()
    });
    let _ = ctx.add_function("upperAscii", |This(s): This<Arc<String>>| {
        s.to_ascii_uppercase()
    });
    let _ = ctx.add_function("trim", |This(s): This<Arc<String>>| s.trim().to_owned());
    let _ = ctx.add_function(
        "indexOf",
        |This(s): This<Arc<String>>, needle: Arc<String>| -> i64 {
            s.find(needle.as_str())
                .map_or(-1, |b| s[..b].chars().count() as i64)
        },
    );
    let _ = ctx.add_function(
        "lastIndexOf",
        |This(s): This<Arc<String>>, needle: Arc<String>| -> i64 {
            s.rfind(needle.as_str())
                .map_or(-1, |b| s[..b].chars().count() as i64)
        },
    );
    let _ = ctx.add_function(
        "split",
        |This(s): This<Arc<String>>, sep: Arc<String>| -> cel::Value {
            let parts: Vec<cel::Value> = s
                .split(sep.as_str())
                .map(|p| cel::Value::String(Arc::new(p.to_owned())))
                .collect();
            cel::Value::List(Arc::new(parts))
        },
    );
    ctx
}

fn compile(source: &str) -> Result<Program, String> {
    match catch_unwind(|| Program::compile(source)) {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(e)) => {
            let first = e.to_string();
            let first = first.lines().next().unwrap_or("syntax error").trim();
            // The parser's message quotes the rule (from the CRD, not the object): safe.
            Err(format!(
                "it does not compile for kubeprint's CEL evaluator: {first}"
            ))
        }
        Err(_) => Err("the CEL parser failed on it".into()),
    }
}

/// The rule's message: `message`, else `messageExpression`'s string, else `failed rule`.
fn message(rule: &ValidationRule, this: &cel::Value) -> String {
    if let Some(m) = rule.message.as_deref().filter(|m| !m.is_empty()) {
        return m.to_owned();
    }
    if let Some(expr) = rule.message_expression.as_deref() {
        let evaluated = catch_unwind(AssertUnwindSafe(|| {
            let p = Program::compile(expr).ok()?;
            let mut ctx = context();
            ctx.add_variable_from_value("self", this.clone());
            match p.execute(&ctx) {
                Ok(cel::Value::String(s)) if !s.trim().is_empty() => Some(s.to_string()),
                _ => None,
            }
        }));
        if let Ok(Some(m)) = evaluated {
            return m;
        }
    }
    format!("failed rule: {}", rule.rule)
}

/// `v` as a CEL value, typed by `schema` where it says (`number` fields are doubles).
fn to_cel(v: &Value, schema: Option<&JSONSchemaProps>) -> cel::Value {
    let ty = schema.and_then(|s| s.type_.as_deref());
    match v {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Number(n) => match (ty, n.as_i64()) {
            (Some("number"), _) | (_, None) => cel::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            (_, Some(i)) => cel::Value::Int(i),
        },
        Value::String(s) => cel::Value::String(Arc::new(s.clone())),
        Value::Array(items) => {
            let item = schema.and_then(|s| match &s.items {
                Some(JSONSchemaPropsOrArray::Schema(i)) => Some(&**i),
                _ => None,
            });
            cel::Value::List(Arc::new(items.iter().map(|i| to_cel(i, item)).collect()))
        }
        Value::Object(map) => {
            let props = schema.and_then(|s| s.properties.as_ref());
            let additional = schema.and_then(|s| match &s.additional_properties {
                Some(JSONSchemaPropsOrBool::Schema(a)) => Some(&**a),
                _ => None,
            });
            let converted: HashMap<Key, cel::Value> = map
                .iter()
                .map(|(k, v)| {
                    let s = props.and_then(|p| p.get(k)).or(additional);
                    (Key::String(Arc::new(k.clone())), to_cel(v, s))
                })
                .collect();
            cel::Value::Map(CelMap {
                map: Arc::new(converted),
            })
        }
    }
}
