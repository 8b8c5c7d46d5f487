//! Declared names that look the same on screen but are different names: `C1` and `С1` (the
//! second with a Cyrillic `С`), `Α級` and `A級` (a Greek `Α`). writ matches names exactly, so
//! a reference to one silently means the other's absence; a warning names both, where each is
//! declared. Invisible characters inside names are already errors of the parser.
//!
//! Two names that are one name in the two Chinese scripts (`工业炉窑` and `工業爐窯`) are an
//! error, `script-ambiguous-name`: fact files are read under the script fold, so they could
//! not be told apart there.

use crate::diagnostic::{Diagnostic, Span};
use crate::script::fold;
use crate::syntax::ast::{self, Item};
use crate::text::{lookalike, shown, skeleton};
use std::collections::HashMap;
use std::sync::Arc;

/// One declared name: its text, what it is, and where.
struct Declared<'a> {
    text: &'a str,
    what: &'static str,
    file: &'a Arc<str>,
    span: Span,
}

impl<'a> Declared<'a> {
    fn of(name: &'a ast::Name, what: &'static str, file: &'a Arc<str>) -> Self {
        Declared { text: &name.text, what, file, span: name.span }
    }
}

/// Warnings for every pair of names of one namespace that share a skeleton: the top-level
/// names of the package (one namespace whatever their kind), a plan's roles, a record's
/// fields, an enum's variants and a rule's parameters.
pub fn confusable_names(files: &[(Arc<str>, &ast::Module)]) -> Vec<Diagnostic> {
    let mut namespaces: Vec<Vec<Declared>> = Vec::new();
    let mut top = Vec::new();
    for (file, module) in files {
        for item in &module.items {
            let (what, name): (&'static str, &ast::Name) = match item {
                Item::Plan(x) => {
                    namespaces.push(x.roles.iter().map(|(n, _)| Declared::of(n, "role", file)).collect());
                    ("plan", &x.name)
                }
                Item::Party(x) => ("party", &x.name),
                Item::Group(x) => ("group", &x.name),
                Item::Unit(x) => ("unit", &x.name),
                Item::Enum(x) => {
                    namespaces.push(x.variants.iter().map(|n| Declared::of(n, "variant", file)).collect());
                    ("enum", &x.name)
                }
                Item::Record(x) => {
                    namespaces.push(x.fields.iter().map(|f| Declared::of(&f.name, "field", file)).collect());
                    ("record", &x.name)
                }
                Item::Period(x) => ("period", &x.name),
                Item::Calendar(x) => ("calendar", &x.name),
                Item::Sanction(x) => ("sanction", &x.name),
                Item::Rule(x) => {
                    namespaces.push(x.params.iter().map(|p| Declared::of(&p.name, "parameter", file)).collect());
                    ("rule", &x.name)
                }
                Item::Table(x) => ("table", &x.name),
                Item::Clause(x) => ("clause", &x.name),
                Item::Test(_) | Item::Outline(_) | Item::Untestable(_) | Item::Import(_) => continue,
            };
            top.push(Declared::of(name, what, file));
        }
    }
    namespaces.push(top);
    let mut diags = Vec::new();
    for names in &namespaces {
        let mut first: HashMap<String, &Declared> = HashMap::new();
        let mut folded: HashMap<String, &Declared> = HashMap::new();
        for d in names {
            // Names are found under the script fold, in fact files and in did-you-mean: two
            // names that fold alike could not be told apart there.
            let fkey = fold(d.text).into_owned();
            match folded.get(&fkey) {
                Some(f) if f.text != d.text && skeleton(f.text) != skeleton(d.text) => {
                    diags.push(
                        Diagnostic::error(
                            "script-ambiguous-name",
                            d.file,
                            d.span,
                            format!(
                                "the {} `{}` is the {} `{}` in the other Chinese script",
                                d.what,
                                shown(d.text),
                                f.what,
                                shown(f.text)
                            ),
                        )
                        .with_label("this name")
                        .with_secondary_in(f.file, f.span, "the same name in the other script")
                        .with_help(
                            "rename one of them: fact files may name either in either script, so writ could \
                             not tell which is meant",
                        ),
                    );
                }
                Some(_) => {}
                None => {
                    folded.insert(fkey, d);
                }
            }
            let key = skeleton(d.text);
            match first.get(&key) {
                // The same name twice is `duplicate-definition`, reported by the checker.
                Some(f) if f.text != d.text => {
                    let why = lookalike(f.text, d.text).unwrap_or_default();
                    diags.push(
                        Diagnostic::warning(
                            "confusable-name",
                            d.file,
                            d.span,
                            format!(
                                "the {} `{}` looks like the {} `{}` ({why})",
                                d.what,
                                shown(d.text),
                                f.what,
                                shown(f.text)
                            ),
                        )
                        .with_label("this name")
                        .with_secondary_in(f.file, f.span, "looks like this one")
                        .with_help(
                            "rename one of them so that they look different: a reference to one can never \
                             mean the other, but a reader cannot tell which is written",
                        ),
                    );
                }
                Some(_) => {}
                None => {
                    first.insert(key, d);
                }
            }
        }
    }
    diags
}
