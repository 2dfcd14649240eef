//! Expansion snapshots: what the macros emit for one input of each kind, so that a
//! change in it is seen in review.
//!
//! Each `tests/expand/stage/NAME.rs` has its attributes expanded (and the derive on
//! the stage type they emit); each `tests/expand/pipeline/NAME.rs` has its
//! `pipeline!` expanded, its stages left as written. The result, printed, must
//! equal `NAME.expanded.rs` beside it; `EXPAND=overwrite cargo test -p
//! pipeline-macros` writes it instead. The inputs also compile and run, as `pass`
//! cases of `tests/ui.rs`.

use crate::expand_graph;
use crate::expand_stage;
use crate::stage_fn::Kind;
use proc_macro2::TokenStream;
use quote::ToTokens;
use std::fs;
use std::path::{Path, PathBuf};
use syn::visit_mut::{self, VisitMut};
use syn::{Attribute, Expr, Item, Meta};

fn inputs(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/expand")
        .join(dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".rs") && !name.ends_with(".expanded.rs")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    files
}

fn check(input: &Path, expand: fn(syn::File) -> syn::File) {
    let source = fs::read_to_string(input).unwrap();
    let file = syn::parse_file(&source).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
    let got = prettyplease::unparse(&expand(file));
    let snapshot = input.with_extension("expanded.rs");
    if std::env::var_os("EXPAND").is_some_and(|v| v == "overwrite") {
        fs::write(&snapshot, &got).unwrap();
        return;
    }
    let want = fs::read_to_string(&snapshot).unwrap_or_default();
    assert!(
        got == want,
        "the expansion of {} differs from {}; if the change is meant, write it with \
         EXPAND=overwrite and review the diff\n--- got ---\n{got}",
        input.display(),
        snapshot.display(),
    );
}

#[test]
fn stage_attributes() {
    for input in inputs("stage") {
        check(&input, expand_attributes);
    }
}

#[test]
fn pipelines() {
    for input in inputs("pipeline") {
        check(&input, |mut file| {
            PipelineCalls.visit_file_mut(&mut file);
            file
        });
    }
}

fn expand_attributes(mut file: syn::File) -> syn::File {
    let items = std::mem::take(&mut file.items);
    for item in items {
        match item {
            Item::Fn(mut func) => match take_stage_attribute(&mut func.attrs) {
                Some((kind, args)) => {
                    let out = expand_stage::stage(kind, args, func.into_token_stream());
                    for item in syn::parse2::<syn::File>(out).unwrap().items {
                        file.items.extend(expand_derive(item));
                    }
                }
                None => file.items.push(Item::Fn(func)),
            },
            other => file.items.push(other),
        }
    }
    file
}

fn take_stage_attribute(attrs: &mut Vec<Attribute>) -> Option<(Kind, TokenStream)> {
    let at = attrs.iter().position(|a| {
        let name = a.path().segments.last().unwrap().ident.to_string();
        matches!(name.as_str(), "producer" | "stage" | "consumer")
    })?;
    let attr = attrs.remove(at);
    let kind = match attr
        .path()
        .segments
        .last()
        .unwrap()
        .ident
        .to_string()
        .as_str()
    {
        "producer" => Kind::Producer,
        "stage" => Kind::Stage,
        _ => Kind::Consumer,
    };
    let args = match attr.meta {
        Meta::List(list) => list.tokens,
        _ => TokenStream::new(),
    };
    Some((kind, args))
}

/// The stage type, without its `#[derive(StageItems)]`, followed by what the derive
/// emits.
fn expand_derive(item: Item) -> Vec<Item> {
    let Item::Struct(mut stage) = item else {
        return vec![item];
    };
    let derived = expand_stage::stage_items(stage.to_token_stream());
    stage
        .attrs
        .retain(|a| !a.path().is_ident("derive") && !a.path().is_ident("stage_items"));
    let mut items = vec![Item::Struct(stage)];
    items.extend(syn::parse2::<syn::File>(derived).unwrap().items);
    items
}

struct PipelineCalls;

impl VisitMut for PipelineCalls {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Expr::Macro(m) = expr {
            if m.mac.path.segments.last().unwrap().ident == "pipeline" {
                let expanded = expand_graph::pipeline(m.mac.tokens.clone());
                *expr = syn::parse2(expanded).unwrap();
            }
        }
        visit_mut::visit_expr_mut(self, expr);
    }
}
