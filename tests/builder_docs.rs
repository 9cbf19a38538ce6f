//! Every builder's page documents itself: a runnable `# Example` and a `# Setters` table with a
//! row for each field (mutator fields by their method names). This reads the sources, so a field
//! added without its row, or a new builder without an example, fails here rather than leaving a
//! page that lies by omission.

use std::fs;
use std::path::{Path, PathBuf};

/// One field of a builder struct: its name, its attribute text and its type.
struct Field {
    name: String,
    attributes: String,
}

/// One `#[derive(TypedBuilder)]` struct: where it is, its doc text and its fields.
struct Builder {
    name: String,
    file: PathBuf,
    docs: String,
    fields: Vec<Field>,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Net change in bracket depth of a code line (string contents are not special-cased: the
/// attribute lines of builders hold no brackets inside strings).
fn depth_change(line: &str) -> i32 {
    line.chars()
        .map(|c| match c {
            '(' | '[' | '{' => 1,
            ')' | ']' | '}' => -1,
            _ => 0,
        })
        .sum()
}

/// `name` of a field line like `    pub(crate) name: Type,` (at bracket depth 0).
fn field_name(line: &str) -> Option<String> {
    let line = line.trim();
    let line = line
        .strip_prefix("pub(crate) ")
        .or_else(|| line.strip_prefix("pub "))
        .unwrap_or(line);
    let (name, rest) = line.split_once(": ")?;
    let ident = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (ident && rest.ends_with(',')).then(|| name.to_owned())
}

fn builders_in(file: &Path) -> Vec<Builder> {
    let text = fs::read_to_string(file).expect("a readable source file");
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !(line.starts_with("#[derive(") && line.contains("TypedBuilder")) {
            continue;
        }
        // Doc comment and attributes above the derive.
        let mut start = i;
        while start > 0 {
            let above = lines[start - 1];
            if above.starts_with("///") || above.starts_with("#[") {
                start -= 1;
            } else {
                break;
            }
        }
        let docs: String = lines[start..i]
            .iter()
            .filter_map(|l| l.strip_prefix("///"))
            .map(|l| format!("{}\n", l.strip_prefix(' ').unwrap_or(l)))
            .collect();
        let Some(open) = (i..lines.len()).find(|&k| lines[k].starts_with("pub struct ")) else {
            continue;
        };
        let name = lines[open]["pub struct ".len()..]
            .split([' ', '<', '{'])
            .next()
            .unwrap_or_default()
            .to_owned();
        let mut fields = Vec::new();
        let mut pending = String::new();
        let mut depth = 0;
        for body in &lines[open + 1..] {
            if *body == "}" {
                break;
            }
            let code = body.trim_start();
            if code.starts_with("//") {
                continue;
            }
            depth += depth_change(code);
            if depth == 0
                && let Some(field) = field_name(code)
            {
                fields.push(Field {
                    name: field,
                    attributes: std::mem::take(&mut pending),
                });
                continue;
            }
            pending.push_str(code);
            pending.push('\n');
        }
        found.push(Builder {
            name,
            file: file.to_owned(),
            docs,
            fields,
        });
    }
    found
}

/// The method names a field is set with: its own name, or the mutators it declares.
fn setters(field: &Field) -> Vec<String> {
    if !field.attributes.contains("via_mutators") {
        return vec![field.name.clone()];
    }
    field
        .attributes
        .split("pub fn ")
        .skip(1)
        .filter_map(|rest| rest.split(['(', '<']).next())
        .map(str::to_owned)
        .collect()
}

fn all_builders() -> Vec<Builder> {
    let mut files = Vec::new();
    rust_files(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src").as_path(),
        &mut files,
    );
    files.sort();
    files.iter().flat_map(|f| builders_in(f)).collect()
}

#[test]
fn every_builder_has_an_example_and_a_row_for_each_setter() {
    let builders = all_builders();
    assert!(
        builders.len() >= 40,
        "found only {} builders",
        builders.len()
    );
    let mut missing = Vec::new();
    for b in &builders {
        let where_ = format!("{} ({})", b.name, b.file.display());
        let (before, table) = b.docs.split_once("# Setters").unwrap_or((&b.docs, ""));
        if !before.contains("# Example") || !before.contains("```") {
            missing.push(format!(
                "{where_}: no `# Example` with code before `# Setters`"
            ));
        }
        if table.is_empty() {
            missing.push(format!("{where_}: no `# Setters` table"));
            continue;
        }
        for field in b.fields.iter().filter(|f| !f.attributes.contains("skip")) {
            for setter in setters(field) {
                if !table.contains(&format!("`.{setter}(")) {
                    missing.push(format!("{where_}: no row for `.{setter}(..)`"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// The checker itself finds what it must: a builder without docs is reported.
#[test]
fn the_check_notices_a_field_without_a_row() {
    let dir = std::env::temp_dir().join(format!("kubeprint-builder-docs-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("a temporary directory");
    let file = dir.join("sample.rs");
    fs::write(
        &file,
        "/// Sample.\n///\n/// # Setters\n///\n/// | `.name(..)` | the name |\n\
         #[derive(TypedBuilder)]\npub struct Sample {\n    #[builder(setter(into))]\n    name: String,\n\
         \x20   #[builder(\n        via_mutators,\n        mutators(\n            pub fn item(&mut self, x: i32) {\n\
         \x20               self.items.push(x);\n            }\n        )\n    )]\n    items: Vec<i32>,\n}\n",
    )
    .expect("a written sample");
    let found = builders_in(&file);
    fs::remove_dir_all(&dir).ok();
    assert_eq!(found.len(), 1);
    let names: Vec<_> = found[0].fields.iter().flat_map(setters).collect();
    assert_eq!(names, ["name", "item"]);
    assert!(
        !found[0]
            .docs
            .split_once("# Setters")
            .unwrap()
            .1
            .contains("`.item(")
    );
}
