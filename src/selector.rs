//! Label selectors: `matchLabels` plus `matchExpressions`, parsed from and printed as kubectl's
//! `-l` syntax.
//!
//! ```
//! use kubeprint::selector::Selector;
//! use std::collections::BTreeMap;
//!
//! let sel = Selector::parse("app=kuard, ver in (1,2), !canary")?;
//! assert_eq!(sel.to_string(), "app=kuard,ver in (1,2),!canary");
//!
//! let pod: BTreeMap<String, String> =
//!     [("app", "kuard"), ("ver", "2")].map(|(k, v)| (k.into(), v.into())).into();
//! assert!(sel.matches(&pod));
//!
//! // The same selector, built in code:
//! let built = Selector::new().label("app", "kuard").is_in("ver", ["1", "2"]).does_not_exist("canary");
//! assert_eq!(built, sel);
//! # Ok::<(), kubeprint::Error>(())
//! ```
//!
//! The syntax, requirement by requirement (comma-separated, all must hold):
//!
//! | text                  | meaning                                   | stored as                  |
//! |-----------------------|-------------------------------------------|----------------------------|
//! | `key=value`, `key==value` | label `key` has `value`               | `matchLabels`              |
//! | `key!=value`          | label `key` is absent or not `value`      | `NotIn [value]`            |
//! | `key in (a,b)`        | label `key` is `a` or `b`                 | `In [a, b]`                |
//! | `key notin (a,b)`     | label `key` is absent or neither `a` nor `b` | `NotIn [a, b]`          |
//! | `key`                 | label `key` exists                        | `Exists`                   |
//! | `!key`                | label `key` does not exist                | `DoesNotExist`             |
//!
//! An empty selector (the empty string) selects everything.

use crate::error::{Error, Result};
use crate::meta::Labels;
use crate::validate::{self, Checker};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

/// A label selector: every `matchLabels` entry and every expression must hold.
///
/// `Display` prints kubectl's syntax and [`Selector::parse`] reads it back: for any selector
/// whose keys and values are valid, `Selector::parse(&s.to_string()) == Ok(s)`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Selector {
    match_labels: BTreeMap<String, String>,
    expressions: Vec<Requirement>,
}

/// One `matchExpressions` entry: a key and what must hold for it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Requirement {
    key: String,
    operator: Operator,
}

/// What a [`Requirement`] demands of its key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Operator {
    /// The label exists and has one of these values.
    In(BTreeSet<String>),
    /// The label is absent or has none of these values.
    NotIn(BTreeSet<String>),
    /// The label exists, whatever its value.
    Exists,
    /// The label does not exist.
    DoesNotExist,
}

impl Requirement {
    /// A requirement on `key`.
    pub fn new(key: impl Into<String>, operator: Operator) -> Self {
        Requirement {
            key: key.into(),
            operator,
        }
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator and its values.
    pub fn operator(&self) -> &Operator {
        &self.operator
    }

    /// Whether `labels` satisfy this requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.key);
        match &self.operator {
            Operator::In(values) => value.is_some_and(|v| values.contains(v)),
            Operator::NotIn(values) => value.is_none_or(|v| !values.contains(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    }
}

impl Operator {
    /// The operator's name in `matchExpressions` (`In`, `NotIn`, `Exists`, `DoesNotExist`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Operator::In(_) => "In",
            Operator::NotIn(_) => "NotIn",
            Operator::Exists => "Exists",
            Operator::DoesNotExist => "DoesNotExist",
        }
    }

    fn values(&self) -> Option<&BTreeSet<String>> {
        match self {
            Operator::In(v) | Operator::NotIn(v) => Some(v),
            Operator::Exists | Operator::DoesNotExist => None,
        }
    }
}

impl Selector {
    /// The empty selector, which selects everything.
    pub fn new() -> Self {
        Selector::default()
    }

    /// Parses kubectl's selector syntax (see the [module docs](self)).
    ///
    /// ```
    /// # use kubeprint::selector::Selector;
    /// let err = Selector::parse("app in (a,b").unwrap_err();
    /// assert_eq!(err.to_string(), r#"label selector "app in (a,b": missing ')' to close the values of "app""#);
    /// ```
    pub fn parse(input: &str) -> Result<Selector> {
        Parser::new(input).parse()
    }

    /// Adds `key=value` to `matchLabels` (replacing an earlier value of `key`).
    #[must_use]
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.match_labels.insert(key.into(), value.into());
        self
    }

    /// Adds `key in (values...)`.
    #[must_use]
    pub fn is_in<V: Into<String>>(
        self,
        key: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.expression(Requirement::new(
            key,
            Operator::In(values.into_iter().map(Into::into).collect()),
        ))
    }

    /// Adds `key notin (values...)`.
    #[must_use]
    pub fn not_in<V: Into<String>>(
        self,
        key: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.expression(Requirement::new(
            key,
            Operator::NotIn(values.into_iter().map(Into::into).collect()),
        ))
    }

    /// Adds `key` (the label exists).
    #[must_use]
    pub fn exists(self, key: impl Into<String>) -> Self {
        self.expression(Requirement::new(key, Operator::Exists))
    }

    /// Adds `!key` (the label does not exist).
    #[must_use]
    pub fn does_not_exist(self, key: impl Into<String>) -> Self {
        self.expression(Requirement::new(key, Operator::DoesNotExist))
    }

    /// Adds a requirement to `matchExpressions`.
    #[must_use]
    pub fn expression(mut self, requirement: Requirement) -> Self {
        self.expressions.push(requirement);
        self
    }

    /// The `matchLabels` part.
    pub fn match_labels(&self) -> &BTreeMap<String, String> {
        &self.match_labels
    }

    /// The `matchExpressions` part, in the order given.
    pub fn expressions(&self) -> &[Requirement] {
        &self.expressions
    }

    /// Whether the selector is empty (and so selects everything).
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.expressions.is_empty()
    }

    /// Whether an object with these labels is selected.
    ///
    /// ```
    /// # use kubeprint::{selector::Selector, Labels};
    /// let sel = Selector::parse("tier!=db")?;
    /// assert!(sel.matches(Labels::from([("tier", "web")]).as_map()));
    /// assert!(sel.matches(Labels::new().as_map()), "!= also matches objects without the label");
    /// assert!(!sel.matches(Labels::from([("tier", "db")]).as_map()));
    /// # Ok::<(), kubeprint::Error>(())
    /// ```
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.expressions.iter().all(|r| r.matches(labels))
    }

    /// The selector as `k8s-openapi` holds it.
    pub fn to_label_selector(&self) -> LabelSelector {
        LabelSelector {
            match_labels: (!self.match_labels.is_empty()).then(|| self.match_labels.clone()),
            match_expressions: (!self.expressions.is_empty()).then(|| {
                self.expressions
                    .iter()
                    .map(|r| LabelSelectorRequirement {
                        key: r.key.clone(),
                        operator: r.operator.as_str().to_owned(),
                        values: r.operator.values().map(|v| v.iter().cloned().collect()),
                    })
                    .collect()
            }),
        }
    }

    /// Checks every key and value against the apiserver's rules.
    ///
    /// ```
    /// # use kubeprint::selector::Selector;
    /// let err = Selector::new().label("app", "-bad").validate().unwrap_err();
    /// assert!(err.to_string().contains("invalid value"));
    /// ```
    pub fn validate(&self) -> Result<()> {
        let error = |message: String| Error::Selector {
            input: self.to_string(),
            message,
        };
        for (k, v) in &self.match_labels {
            check_key(k).map_err(error)?;
            check_value(k, v).map_err(error)?;
        }
        for r in &self.expressions {
            check_key(&r.key).map_err(error)?;
            if let Some(values) = r.operator.values() {
                if values.is_empty() {
                    return Err(error(format!(
                        "{} needs at least one value for {:?}",
                        r.operator.as_str(),
                        r.key
                    )));
                }
                for v in values {
                    check_value(&r.key, v).map_err(error)?;
                }
            }
        }
        Ok(())
    }
}

fn check_key(key: &str) -> std::result::Result<(), String> {
    match validate::label_key(key) {
        Some(m) => Err(format!("invalid key {key:?}: {m}")),
        None => Ok(()),
    }
}

fn check_value(key: &str, value: &str) -> std::result::Result<(), String> {
    match validate::label_value(value) {
        Some(m) => Err(format!("invalid value {value:?} for key {key:?}: {m}")),
        None => Ok(()),
    }
}

impl FromStr for Selector {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Selector::parse(s)
    }
}

impl From<Labels> for Selector {
    /// A selector matching exactly these labels.
    fn from(labels: Labels) -> Self {
        Selector {
            match_labels: labels.into(),
            expressions: Vec::new(),
        }
    }
}

impl From<&Labels> for Selector {
    fn from(labels: &Labels) -> Self {
        Selector {
            match_labels: labels.as_map().clone(),
            expressions: Vec::new(),
        }
    }
}

impl<K: Into<String>, V: Into<String>, const N: usize> From<[(K, V); N]> for Selector {
    fn from(entries: [(K, V); N]) -> Self {
        Selector::from(Labels::from(entries))
    }
}

impl From<Selector> for LabelSelector {
    fn from(s: Selector) -> Self {
        s.to_label_selector()
    }
}

impl From<&Selector> for LabelSelector {
    fn from(s: &Selector) -> Self {
        s.to_label_selector()
    }
}

impl TryFrom<&LabelSelector> for Selector {
    type Error = Error;
    /// Reads a `k8s-openapi` selector; fails on unknown operators and on values that do not fit
    /// their operator. Keys and values are not checked (see [`Selector::validate`]).
    fn try_from(s: &LabelSelector) -> Result<Self> {
        let mut out = Selector {
            match_labels: s.match_labels.clone().unwrap_or_default(),
            expressions: Vec::new(),
        };
        for (i, e) in s.match_expressions.iter().flatten().enumerate() {
            let error = |message: String| Error::Selector {
                input: format!(
                    "matchExpressions[{i}] {{key: {:?}, operator: {:?}}}",
                    e.key, e.operator
                ),
                message,
            };
            let values: BTreeSet<String> = e.values.iter().flatten().cloned().collect();
            let operator = match e.operator.as_str() {
                "In" | "NotIn" if values.is_empty() => {
                    return Err(error(format!("{} needs at least one value", e.operator)));
                }
                "In" => Operator::In(values),
                "NotIn" => Operator::NotIn(values),
                "Exists" | "DoesNotExist" if !values.is_empty() => {
                    return Err(error(format!("{} takes no values", e.operator)));
                }
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => {
                    return Err(error(format!(
                        "unknown operator {other:?} (In, NotIn, Exists, DoesNotExist)"
                    )));
                }
            };
            out.expressions.push(Requirement {
                key: e.key.clone(),
                operator,
            });
        }
        Ok(out)
    }
}

impl TryFrom<LabelSelector> for Selector {
    type Error = Error;
    fn try_from(s: LabelSelector) -> Result<Self> {
        Selector::try_from(&s)
    }
}

fn write_set(f: &mut fmt::Formatter<'_>, values: &BTreeSet<String>) -> fmt::Result {
    f.write_str("(")?;
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        f.write_str(v)?;
    }
    f.write_str(")")
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = &self.key;
        match &self.operator {
            Operator::NotIn(values) if values.len() == 1 => {
                write!(f, "{key}!=")?;
                values.iter().try_for_each(|v| f.write_str(v))
            }
            Operator::In(values) => {
                write!(f, "{key} in ")?;
                write_set(f, values)
            }
            Operator::NotIn(values) => {
                write!(f, "{key} notin ")?;
                write_set(f, values)
            }
            Operator::Exists => f.write_str(key),
            Operator::DoesNotExist => write!(f, "!{key}"),
        }
    }
}

impl fmt::Display for Selector {
    /// kubectl's syntax: `matchLabels` first (`k=v`, in key order), then the expressions in order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut sep = |f: &mut fmt::Formatter<'_>| {
            if std::mem::take(&mut first) {
                Ok(())
            } else {
                f.write_str(",")
            }
        };
        for (k, v) in &self.match_labels {
            sep(f)?;
            write!(f, "{k}={v}")?;
        }
        for r in &self.expressions {
            sep(f)?;
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

/// Checks a `k8s-openapi` selector found at `path` of an object, with the apiserver's rules.
pub(crate) fn check_label_selector(c: &mut Checker, path: &str, selector: &LabelSelector) {
    c.labels(
        &format!("{path}.matchLabels"),
        selector.match_labels.as_ref(),
    );
    for (i, e) in selector.match_expressions.iter().flatten().enumerate() {
        let at = format!("{path}.matchExpressions[{i}]");
        c.check(format_args!("{at}.key"), validate::label_key(&e.key));
        let values = e.values.as_deref().unwrap_or_default();
        match e.operator.as_str() {
            "In" | "NotIn" => {
                if values.is_empty() {
                    c.fail(
                        format_args!("{at}.values"),
                        format!("must be non-empty for operator {}", e.operator),
                    );
                }
                for (j, v) in values.iter().enumerate() {
                    c.check(format_args!("{at}.values[{j}]"), validate::label_value(v));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    c.fail(
                        format_args!("{at}.values"),
                        format!("must be empty for operator {}", e.operator),
                    );
                }
            }
            other => c.fail(
                format_args!("{at}.operator"),
                format!("{other:?} is not a valid operator (In, NotIn, Exists, DoesNotExist)"),
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parser: a small hand-written lexer and recursive-descent parser over chars. It never indexes
// bytes, so no input can make it panic.

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Comma,
    Open,
    Close,
    Eq,
    DoubleEq,
    NotEq,
    Bang,
    Gt,
    Lt,
    End,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Ident(s) => write!(f, "{s:?}"),
            Token::Comma => f.write_str("','"),
            Token::Open => f.write_str("'('"),
            Token::Close => f.write_str("')'"),
            Token::Eq => f.write_str("'='"),
            Token::DoubleEq => f.write_str("'=='"),
            Token::NotEq => f.write_str("'!='"),
            Token::Bang => f.write_str("'!'"),
            Token::Gt => f.write_str("'>'"),
            Token::Lt => f.write_str("'<'"),
            Token::End => f.write_str("the end"),
        }
    }
}

fn is_special(c: char) -> bool {
    matches!(c, ',' | '(' | ')' | '=' | '!' | '<' | '>') || c.is_whitespace()
}

fn lex(input: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        let token = match c {
            c if c.is_whitespace() => continue,
            ',' => Token::Comma,
            '(' => Token::Open,
            ')' => Token::Close,
            '<' => Token::Lt,
            '>' => Token::Gt,
            '=' if chars.next_if_eq(&'=').is_some() => Token::DoubleEq,
            '=' => Token::Eq,
            '!' if chars.next_if_eq(&'=').is_some() => Token::NotEq,
            '!' => Token::Bang,
            c => {
                let mut ident = String::from(c);
                while let Some(c) = chars.next_if(|c| !is_special(*c)) {
                    ident.push(c);
                }
                Token::Ident(ident)
            }
        };
        tokens.push(token);
    }
    tokens.push(Token::End);
    tokens
}

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<Token>,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Self {
        Parser {
            input,
            tokens: lex(input),
            pos: 0,
        }
    }

    fn err(&self, message: impl Into<String>) -> Error {
        Error::Selector {
            input: self.input.to_owned(),
            message: message.into(),
        }
    }

    fn peek(&self) -> &Token {
        self.tokens.get(self.pos).unwrap_or(&Token::End)
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        self.pos = (self.pos + 1).min(self.tokens.len());
        t
    }

    fn parse(mut self) -> Result<Selector> {
        let mut selector = Selector::new();
        if *self.peek() == Token::End {
            return Ok(selector);
        }
        loop {
            self.requirement(&mut selector)?;
            match self.next() {
                Token::End => return Ok(selector),
                Token::Comma => {
                    if *self.peek() == Token::End {
                        return Err(self.err("expected a requirement after the last ','"));
                    }
                }
                Token::Close => return Err(self.err("unbalanced parentheses: ')' without '('")),
                Token::Gt | Token::Lt => return Err(self.unsupported()),
                other => {
                    return Err(self.err(format!(
                        "expected ',' or the end after a requirement, found {other}"
                    )));
                }
            }
        }
    }

    fn unsupported(&self) -> Error {
        self.err("operators '<' and '>' are not supported in label selectors (use =, ==, !=, in, notin, key or !key)")
    }

    fn key(&mut self, after: &str) -> Result<String> {
        match self.next() {
            Token::Ident(key) => {
                check_key(&key).map_err(|m| self.err(m))?;
                Ok(key)
            }
            Token::Comma if after.is_empty() => Err(self.err("empty requirement before ','")),
            Token::Close => Err(self.err("unbalanced parentheses: ')' without '('")),
            Token::Open => Err(self.err(format!("expected a label key{after}, found '('"))),
            other => Err(self.err(format!("expected a label key{after}, found {other}"))),
        }
    }

    fn value(&mut self, key: &str, op: &str) -> Result<String> {
        match self.peek().clone() {
            Token::Ident(v) => {
                self.next();
                check_value(key, &v).map_err(|m| self.err(m))?;
                Ok(v)
            }
            // `key=` selects the empty value, as in kubectl.
            Token::Comma | Token::End => Ok(String::new()),
            other => Err(self.err(format!(
                "expected a value after {op:?} for {key:?}, found {other}"
            ))),
        }
    }

    fn set(&mut self, key: &str, op: &str) -> Result<BTreeSet<String>> {
        match self.next() {
            Token::Open => {}
            other => {
                return Err(self.err(format!(
                    "expected '(' after {op:?} for {key:?}, found {other}"
                )));
            }
        }
        let mut values = BTreeSet::new();
        if *self.peek() == Token::Close {
            return Err(self.err(format!("{op:?} needs at least one value for {key:?}")));
        }
        loop {
            match self.next() {
                Token::Ident(v) => {
                    check_value(key, &v).map_err(|m| self.err(m))?;
                    values.insert(v);
                }
                Token::Comma | Token::Close => {
                    return Err(self.err(format!("empty value in the list of {key:?}")));
                }
                Token::End => {
                    return Err(self.err(format!("missing ')' to close the values of {key:?}")));
                }
                Token::Open => {
                    return Err(self.err(format!(
                        "unbalanced parentheses: '(' inside the values of {key:?}"
                    )));
                }
                other => {
                    return Err(self.err(format!(
                        "expected a value in the list of {key:?}, found {other}"
                    )));
                }
            }
            match self.next() {
                Token::Comma => {}
                Token::Close => return Ok(values),
                Token::End => {
                    return Err(self.err(format!("missing ')' to close the values of {key:?}")));
                }
                other => {
                    return Err(self.err(format!(
                        "expected ',' or ')' in the list of {key:?}, found {other}"
                    )));
                }
            }
        }
    }

    fn requirement(&mut self, selector: &mut Selector) -> Result<()> {
        if *self.peek() == Token::Bang {
            self.next();
            let key = self.key(" after '!'")?;
            if matches!(
                self.peek(),
                Token::Eq | Token::DoubleEq | Token::NotEq | Token::Ident(_) | Token::Open
            ) {
                return Err(self.err(format!("'!{key}' takes no operator or value")));
            }
            selector
                .expressions
                .push(Requirement::new(key, Operator::DoesNotExist));
            return Ok(());
        }
        let key = self.key("")?;
        let operator = match self.peek().clone() {
            Token::Comma | Token::End | Token::Close => Operator::Exists,
            Token::Eq | Token::DoubleEq => {
                let op = if self.next() == Token::Eq { "=" } else { "==" };
                let value = self.value(&key, op)?;
                match selector.match_labels.get(&key) {
                    None => {
                        selector.match_labels.insert(key, value);
                    }
                    Some(v) if *v == value => {}
                    // A second `key=...` must also hold: keep it as an expression.
                    Some(_) => selector
                        .expressions
                        .push(Requirement::new(key, Operator::In(BTreeSet::from([value])))),
                }
                return Ok(());
            }
            Token::NotEq => {
                self.next();
                Operator::NotIn(BTreeSet::from([self.value(&key, "!=")?]))
            }
            Token::Ident(word) if word == "in" => {
                self.next();
                Operator::In(self.set(&key, "in")?)
            }
            Token::Ident(word) if word == "notin" => {
                self.next();
                Operator::NotIn(self.set(&key, "notin")?)
            }
            Token::Gt | Token::Lt => return Err(self.unsupported()),
            Token::Bang => {
                return Err(self.err(format!(
                    "expected an operator after {key:?}, found '!' (did you mean '!='?)"
                )));
            }
            Token::Open => {
                return Err(self.err(format!(
                    "expected an operator before '(' after {key:?} (in or notin)"
                )));
            }
            other @ Token::Ident(_) => {
                return Err(self.err(format!(
                    "expected an operator after {key:?}, found {other} (=, ==, !=, in, notin)"
                )));
            }
        };
        selector.expressions.push(Requirement::new(key, operator));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn err(input: &str) -> String {
        match Selector::parse(input) {
            Err(Error::Selector { input: i, message }) => {
                assert_eq!(i, input);
                message
            }
            other => panic!("{input:?} parsed to {other:?}"),
        }
    }

    #[test]
    fn parses_every_operator() {
        let s = Selector::parse(
            "app=kuard,env==prod,tier!=db,ver in (2,1),track notin (canary),ready,!legacy",
        )
        .unwrap();
        assert_eq!(
            s.match_labels(),
            &labels(&[("app", "kuard"), ("env", "prod")])
        );
        let ops: Vec<_> = s
            .expressions()
            .iter()
            .map(|r| (r.key(), r.operator().clone()))
            .collect();
        assert_eq!(
            ops,
            vec![
                ("tier", Operator::NotIn(BTreeSet::from(["db".into()]))),
                (
                    "ver",
                    Operator::In(BTreeSet::from(["1".into(), "2".into()]))
                ),
                ("track", Operator::NotIn(BTreeSet::from(["canary".into()]))),
                ("ready", Operator::Exists),
                ("legacy", Operator::DoesNotExist),
            ]
        );
        // Printing normalizes `==`, sorts sets and prints single-value NotIn as `!=`.
        assert_eq!(
            s.to_string(),
            "app=kuard,env=prod,tier!=db,ver in (1,2),track!=canary,ready,!legacy"
        );
    }

    #[test]
    fn whitespace_and_keywords_as_keys() {
        let s = Selector::parse("  in = x ,  notin  in (in, notin)  ,  a  ").unwrap();
        assert_eq!(s.match_labels()["in"], "x");
        assert_eq!(s.to_string(), "in=x,notin in (in,notin),a");
        assert_eq!(Selector::parse("").unwrap(), Selector::new());
        assert_eq!(Selector::parse("   ").unwrap(), Selector::new());
        assert_eq!(
            Selector::parse("app.kubernetes.io/name=kuard")
                .unwrap()
                .match_labels()["app.kubernetes.io/name"],
            "kuard"
        );
    }

    #[test]
    fn empty_value_after_equals_is_allowed() {
        let s = Selector::parse("a=,b!=").unwrap();
        assert_eq!(s.match_labels()["a"], "");
        assert!(s.matches(&labels(&[("a", "")])));
        assert!(!s.matches(&labels(&[("a", ""), ("b", "")])));
        assert_eq!(s.to_string(), "a=,b!=");
        assert_eq!(Selector::parse(&s.to_string()).unwrap(), s);
    }

    #[test]
    fn repeated_equality_keys_are_all_kept() {
        let s = Selector::parse("a=1,a=2").unwrap();
        assert_eq!(s.to_string(), "a=1,a in (2)");
        assert!(!s.matches(&labels(&[("a", "1")])));
        assert_eq!(Selector::parse("a=1,a=1").unwrap().to_string(), "a=1");
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            err("app in (a,b"),
            r#"missing ')' to close the values of "app""#
        );
        assert_eq!(
            err("app in a,b)"),
            r#"expected '(' after "in" for "app", found "a""#
        );
        assert_eq!(err("app)"), "unbalanced parentheses: ')' without '('");
        assert_eq!(
            err("app in ((a))"),
            r#"unbalanced parentheses: '(' inside the values of "app""#
        );
        assert_eq!(
            err("app in ()"),
            r#""in" needs at least one value for "app""#
        );
        assert_eq!(
            err("app notin (a,,b)"),
            r#"empty value in the list of "app""#
        );
        assert_eq!(err("app in (a,)"), r#"empty value in the list of "app""#);
        assert_eq!(
            err("app=kuard,"),
            "expected a requirement after the last ','"
        );
        assert_eq!(err(",app"), "empty requirement before ','");
        assert_eq!(err("a,,b"), "empty requirement before ','");
        assert_eq!(err("=kuard"), "expected a label key, found '='");
        assert_eq!(err("!"), "expected a label key after '!', found the end");
        assert_eq!(err("!a=b"), "'!a' takes no operator or value");
        assert_eq!(
            err("a b"),
            r#"expected an operator after "a", found "b" (=, ==, !=, in, notin)"#
        );
        assert_eq!(
            err("a=b=c"),
            "expected ',' or the end after a requirement, found '='"
        );
        assert_eq!(
            err("a>1"),
            "operators '<' and '>' are not supported in label selectors (use =, ==, !=, in, notin, key or !key)"
        );
        assert_eq!(
            err("-a=b"),
            r#"invalid key "-a": name "-a" must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"#
        );
        assert_eq!(
            err("Bad/a=b"),
            r#"invalid key "Bad/a": prefix "Bad" must consist of lowercase letters, digits, '-' and '.'"#
        );
        assert_eq!(
            err("a=b_"),
            r#"invalid value "b_" for key "a": value "b_" must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"#
        );
        assert_eq!(
            err(&format!("a in ({})", "v".repeat(64))),
            format!(
                r#"invalid value "{0}" for key "a": value "{0}" is longer than 63 characters"#,
                "v".repeat(64)
            )
        );
        assert_eq!(
            err("a(b)"),
            r#"expected an operator before '(' after "a" (in or notin)"#
        );
        assert_eq!(
            err("a!b"),
            r#"expected an operator after "a", found '!' (did you mean '!='?)"#
        );
        // The Display of the error names the input.
        let e = Selector::parse("a in (").unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"label selector "a in (": missing ')' to close the values of "a""#
        );
    }

    #[test]
    fn matching() {
        let s =
            Selector::parse("app=kuard,ver in (1,2),track notin (canary),!legacy,ready").unwrap();
        assert!(s.matches(&labels(&[("app", "kuard"), ("ver", "1"), ("ready", "")])));
        assert!(s.matches(&labels(&[
            ("app", "kuard"),
            ("ver", "2"),
            ("track", "stable"),
            ("ready", "yes")
        ])));
        assert!(
            !s.matches(&labels(&[("app", "kuard"), ("ver", "3"), ("ready", "")])),
            "ver not in set"
        );
        assert!(
            !s.matches(&labels(&[("app", "kuard"), ("ready", "")])),
            "In needs the key"
        );
        assert!(!s.matches(&labels(&[
            ("app", "kuard"),
            ("ver", "1"),
            ("ready", ""),
            ("track", "canary")
        ])));
        assert!(!s.matches(&labels(&[
            ("app", "kuard"),
            ("ver", "1"),
            ("ready", ""),
            ("legacy", "")
        ])));
        assert!(
            !s.matches(&labels(&[("app", "kuard"), ("ver", "1")])),
            "Exists needs the key"
        );
        assert!(!s.matches(&labels(&[("app", "other"), ("ver", "1"), ("ready", "")])));
        assert!(
            Selector::new().matches(&labels(&[])),
            "the empty selector selects everything"
        );
    }

    #[test]
    fn label_selector_conversion() {
        let s = Selector::parse("app=kuard,ver in (2,1),!canary,track!=beta").unwrap();
        let ls = s.to_label_selector();
        assert_eq!(ls.match_labels, Some(labels(&[("app", "kuard")])));
        let exprs = ls.match_expressions.clone().unwrap();
        assert_eq!(exprs[0].operator, "In");
        assert_eq!(
            exprs[0].values,
            Some(vec!["1".to_string(), "2".to_string()])
        );
        assert_eq!(exprs[1].operator, "DoesNotExist");
        assert_eq!(exprs[1].values, None);
        assert_eq!(exprs[2].operator, "NotIn");
        assert_eq!(Selector::try_from(&ls).unwrap(), s);
        assert_eq!(
            Selector::new().to_label_selector(),
            LabelSelector::default()
        );

        let bad = |op: &str, values: Option<Vec<&str>>| LabelSelector {
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "k".into(),
                operator: op.into(),
                values: values.map(|v| v.into_iter().map(String::from).collect()),
            }]),
            ..LabelSelector::default()
        };
        let msg = |ls: LabelSelector| Selector::try_from(ls).unwrap_err().to_string();
        assert_eq!(
            msg(bad("Gt", Some(vec!["1"]))),
            r#"label selector "matchExpressions[0] {key: \"k\", operator: \"Gt\"}": unknown operator "Gt" (In, NotIn, Exists, DoesNotExist)"#
        );
        assert_eq!(
            msg(bad("In", None)),
            r#"label selector "matchExpressions[0] {key: \"k\", operator: \"In\"}": In needs at least one value"#
        );
        assert_eq!(
            msg(bad("Exists", Some(vec!["x"]))),
            r#"label selector "matchExpressions[0] {key: \"k\", operator: \"Exists\"}": Exists takes no values"#
        );
    }

    #[test]
    fn checker_rules() {
        use crate::error::ObjectRef;
        let ls = LabelSelector {
            match_labels: Some(labels(&[("app", "-x")])),
            match_expressions: Some(vec![
                LabelSelectorRequirement {
                    key: "a".into(),
                    operator: "In".into(),
                    values: None,
                },
                LabelSelectorRequirement {
                    key: "b".into(),
                    operator: "Exists".into(),
                    values: Some(vec!["v".into()]),
                },
                LabelSelectorRequirement {
                    key: "c".into(),
                    operator: "Gt".into(),
                    values: None,
                },
                LabelSelectorRequirement {
                    key: "d/".into(),
                    operator: "NotIn".into(),
                    values: Some(vec!["ok".into(), "no!".into()]),
                },
            ]),
        };
        let mut c = Checker::new(ObjectRef::new("PodDisruptionBudget", "p"));
        check_label_selector(&mut c, "spec.selector", &ls);
        let lines: Vec<String> = c
            .into_violations()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            lines,
            vec![
                r#"poddisruptionbudget "p": spec.selector.matchLabels["app"]: value "-x" must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"#,
                r#"poddisruptionbudget "p": spec.selector.matchExpressions[0].values: must be non-empty for operator In"#,
                r#"poddisruptionbudget "p": spec.selector.matchExpressions[1].values: must be empty for operator Exists"#,
                r#"poddisruptionbudget "p": spec.selector.matchExpressions[2].operator: "Gt" is not a valid operator (In, NotIn, Exists, DoesNotExist)"#,
                r#"poddisruptionbudget "p": spec.selector.matchExpressions[3].key: name must not be empty"#,
                r#"poddisruptionbudget "p": spec.selector.matchExpressions[3].values[1]: value "no!" must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"#,
            ]
        );
    }

    #[test]
    fn validate_programmatic_selectors() {
        assert!(
            Selector::new()
                .label("app", "kuard")
                .exists("x")
                .validate()
                .is_ok()
        );
        let e = Selector::new()
            .is_in("app", Vec::<String>::new())
            .validate()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"label selector "app in ()": In needs at least one value for "app""#
        );
    }

    /// A small deterministic generator (xorshift64*), so property tests need no extra crate and
    /// always run the same cases.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    const KEYS: &[&str] = &[
        "app",
        "in",
        "notin",
        "tier",
        "a.b-c_d",
        "app.kubernetes.io/name",
        "example.com/x9",
        "Z",
        "k8s",
    ];
    const VALUES: &[&str] = &["kuard", "1", "2", "v1.2-3_4", "in", "notin", "X", "a"];

    fn random_selector(rng: &mut Rng) -> Selector {
        let mut s = Selector::new();
        for _ in 0..rng.below(4) {
            let value = if rng.below(5) == 0 {
                ""
            } else {
                rng.pick(VALUES)
            };
            s = s.label(rng.pick(KEYS), value);
        }
        for _ in 0..rng.below(5) {
            let key = rng.pick(KEYS);
            let set: BTreeSet<String> = (0..1 + rng.below(3))
                .map(|_| rng.pick(VALUES).to_owned())
                .collect();
            let op = match rng.below(4) {
                0 => Operator::In(set),
                1 => Operator::NotIn(set),
                2 => Operator::Exists,
                _ => Operator::DoesNotExist,
            };
            s = s.expression(Requirement::new(key, op));
        }
        s
    }

    #[test]
    fn property_display_then_parse_round_trips() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..5000 {
            let s = random_selector(&mut rng);
            assert!(s.validate().is_ok(), "{s}");
            let text = s.to_string();
            assert_eq!(Selector::parse(&text).as_ref().ok(), Some(&s), "{text}");
            // Through the k8s type and back.
            assert_eq!(
                Selector::try_from(&s.to_label_selector()).ok(),
                Some(s.clone()),
                "{text}"
            );
            // Spacing does not matter.
            let spaced = text
                .replace(',', " , ")
                .replace('(', " ( ")
                .replace(')', " ) ");
            assert_eq!(Selector::parse(&spaced).ok(), Some(s.clone()), "{spaced}");
        }
    }

    #[test]
    fn property_matches_agrees_with_requirements() {
        let mut rng = Rng(42);
        for _ in 0..2000 {
            let s = random_selector(&mut rng);
            let mut l = BTreeMap::new();
            for _ in 0..rng.below(5) {
                l.insert(rng.pick(KEYS).to_owned(), rng.pick(VALUES).to_owned());
            }
            // A selector matches iff every single requirement, as its own selector, matches.
            let by_parts = s
                .match_labels()
                .iter()
                .all(|(k, v)| Selector::new().label(k, v).matches(&l))
                && s.expressions()
                    .iter()
                    .all(|r| Selector::new().expression(r.clone()).matches(&l));
            assert_eq!(s.matches(&l), by_parts);
            // NotIn is the complement of In; DoesNotExist of Exists.
            for r in s.expressions() {
                let complement = match r.operator() {
                    Operator::In(v) => Operator::NotIn(v.clone()),
                    Operator::NotIn(v) => Operator::In(v.clone()),
                    Operator::Exists => Operator::DoesNotExist,
                    Operator::DoesNotExist => Operator::Exists,
                };
                assert_ne!(
                    r.matches(&l),
                    Requirement::new(r.key(), complement).matches(&l)
                );
            }
        }
    }

    #[test]
    fn malformed_inputs_never_panic() {
        let long = "x".repeat(70);
        let pieces: &[&str] = &[
            "a",
            "b",
            "in",
            "notin",
            "=",
            "==",
            "!=",
            "!",
            "(",
            ")",
            ",",
            " ",
            "<",
            ">",
            "-",
            ".",
            "/",
            "_",
            "é",
            "\u{0}",
            "\t",
            "\n",
            "🦀",
            "app.kubernetes.io/name",
            &long,
            "\\",
            "\"",
            "'",
            "ＡＢ",
            "\u{200b}",
        ];
        let mut rng = Rng(7);
        let mut parsed = 0;
        for _ in 0..50_000 {
            let input: String = (0..rng.below(12)).map(|_| rng.pick(pieces)).collect();
            if let Ok(s) = Selector::parse(&input) {
                parsed += 1;
                // Whatever parses prints to text that parses back to the same selector.
                assert_eq!(
                    Selector::parse(&s.to_string()).ok(),
                    Some(s.clone()),
                    "{input:?}"
                );
                assert!(s.validate().is_ok(), "{input:?}");
            }
        }
        assert!(
            parsed > 100,
            "the generator also produces valid selectors ({parsed})"
        );
        // Some hand-picked nasty ones.
        for input in [
            "(",
            ")",
            "((((",
            "!!!!",
            "a in",
            "a notin",
            "a in (",
            "a in (b",
            "a in (b,",
            "a==",
            "a!=(",
            ",",
            ",,",
            "!(",
            "in in in",
            "= = =",
            "\u{feff}a",
        ] {
            let _ = Selector::parse(input);
        }
    }
}
