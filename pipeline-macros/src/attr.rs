//! The options of `#[producer(..)]`, `#[stage(..)]` and `#[consumer(..)]`, parsed and checked.

use crate::stage_fn::{Kind, Returns};
use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Token};

/// What the attribute said.
#[derive(Default)]
pub(crate) struct Options {
    pub workers: Option<Expr>,
    pub buffer: Option<Expr>,
    pub name: Option<LitStr>,
    pub ordered: Option<Span>,
    /// `fallible`: the items are `Result`s, and an `Err` fails the run.
    pub fallible: Option<Span>,
    /// `returns = value | option | result | result_option`.
    pub returns: Option<(Span, Returns)>,
}

impl Options {
    /// Whether `workers` is given as something other than the literal `1`.
    pub fn several_workers(&self) -> bool {
        match &self.workers {
            None => false,
            Some(Expr::Lit(ExprLit {
                lit: Lit::Int(n), ..
            })) => n.base10_digits() != "1",
            Some(_) => true,
        }
    }
}

fn valid_keys(kind: Kind) -> &'static str {
    match kind {
        Kind::Stage => "`workers`, `buffer`, `name`, `ordered`, `fallible`, `returns`",
        Kind::Producer => "`workers`, `buffer`, `name`, `fallible`, `returns`",
        Kind::Consumer => "`workers`, `buffer`, `name`, `returns`",
    }
}

const RETURNS: &str =
    "`returns` is one of `value`, `option`, `result`, `result_option`, e.g. `returns = result`";

/// The value of `returns = ..`.
fn returns(value: &Expr) -> syn::Result<Returns> {
    let word = match value {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident().map(ToString::to_string),
        _ => None,
    };
    match word.as_deref() {
        Some("value") => Ok(Returns::Value),
        Some("option") => Ok(Returns::Option),
        Some("result") => Ok(Returns::Result),
        Some("result_option") => Ok(Returns::ResultOption),
        _ => Err(syn::Error::new(value.span(), RETURNS)),
    }
}

/// Parses the attribute's arguments; every problem found is in the one error returned.
pub(crate) fn parse(kind: Kind, args: TokenStream) -> syn::Result<Options> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
    let mut options = Options::default();
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    for meta in metas {
        let key = meta.path().get_ident().map(ToString::to_string);
        let key = key.as_deref().unwrap_or("");
        let result = match (key, &meta) {
            ("workers" | "buffer" | "name", Meta::NameValue(nv)) => {
                set_value(key, &nv.value, &mut options)
            }
            ("workers" | "buffer" | "name", _) => Err(syn::Error::new(
                meta.span(),
                format!("`{key}` needs a value, e.g. `{key} = {}`", example(key)),
            )),
            ("ordered", Meta::Path(path)) if kind == Kind::Stage => {
                if options.ordered.is_some() {
                    Err(syn::Error::new(path.span(), "`ordered` is given twice"))
                } else {
                    options.ordered = Some(path.span());
                    Ok(())
                }
            }
            ("ordered", _) if kind == Kind::Stage => Err(syn::Error::new(
                meta.span(),
                "`ordered` takes no value: write `#[stage(ordered)]`",
            )),
            ("fallible", Meta::Path(path)) if kind != Kind::Consumer => {
                if options.fallible.is_some() {
                    Err(syn::Error::new(path.span(), "`fallible` is given twice"))
                } else {
                    options.fallible = Some(path.span());
                    Ok(())
                }
            }
            ("fallible", _) if kind != Kind::Consumer => Err(syn::Error::new(
                meta.span(),
                format!(
                    "`fallible` takes no value: write `#[{}(fallible)]`",
                    kind.attribute()
                ),
            )),
            ("returns", Meta::NameValue(nv)) => match (&options.returns, returns(&nv.value)) {
                (Some(_), _) => Err(syn::Error::new(nv.path.span(), "`returns` is given twice")),
                (None, Ok(r)) => {
                    options.returns = Some((nv.path.span(), r));
                    Ok(())
                }
                (None, Err(e)) => Err(e),
            },
            ("returns", _) => Err(syn::Error::new(meta.span(), RETURNS)),
            _ => Err(syn::Error::new(
                meta.path().span(),
                format!(
                    "unknown option `{}` of #[{}]; valid options are {}",
                    path_text(meta.path()),
                    kind.attribute(),
                    valid_keys(kind)
                ),
            )),
        };
        if let Err(e) = result {
            push(e);
        }
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(options),
    }
}

fn example(key: &str) -> &'static str {
    match key {
        "workers" => "4",
        "buffer" => "256",
        _ => "\"parse\"",
    }
}

fn path_text(path: &syn::Path) -> String {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    segments.join("::")
}

fn set_value(key: &str, value: &Expr, options: &mut Options) -> syn::Result<()> {
    let twice = || {
        Err(syn::Error::new(
            value.span(),
            format!("`{key}` is given twice"),
        ))
    };
    match key {
        "workers" => {
            if options.workers.is_some() {
                return twice();
            }
            if let Expr::Lit(ExprLit {
                lit: Lit::Int(n), ..
            }) = value
            {
                if n.base10_parse::<u64>()? == 0 {
                    return Err(syn::Error::new(
                        n.span(),
                        "`workers` must be at least 1: a stage with no worker would never run",
                    ));
                }
            }
            options.workers = Some(value.clone());
        }
        "buffer" => {
            if options.buffer.is_some() {
                return twice();
            }
            options.buffer = Some(value.clone());
        }
        _ => {
            if options.name.is_some() {
                return twice();
            }
            match value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => options.name = Some(s.clone()),
                _ => {
                    return Err(syn::Error::new(
                        value.span(),
                        "`name` must be a string literal, e.g. `name = \"parse\"`",
                    ))
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn message(kind: Kind, args: TokenStream) -> String {
        match parse(kind, args) {
            Ok(_) => String::new(),
            Err(e) => e
                .into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(" | "),
        }
    }

    #[test]
    fn accepts_every_option() {
        let o = parse(
            Kind::Stage,
            quote!(workers = 2 + 2, buffer = 8, name = "x", ordered),
        )
        .unwrap();
        assert!(o.workers.is_some() && o.buffer.is_some() && o.ordered.is_some());
        assert!(o.several_workers());
        assert_eq!(o.name.unwrap().value(), "x");
    }

    #[test]
    fn literal_one_worker_is_not_several() {
        let o = parse(Kind::Consumer, quote!(workers = 1)).unwrap();
        assert!(!o.several_workers());
    }

    #[test]
    fn reports_every_mistake_at_once() {
        let m = message(
            Kind::Producer,
            quote!(workers = 0, colour = 3, ordered, buffer = 1, buffer = 2),
        );
        assert!(m.contains("`workers` must be at least 1"), "{m}");
        assert!(m.contains("unknown option `colour` of #[producer]"), "{m}");
        assert!(m.contains("unknown option `ordered` of #[producer]"), "{m}");
        assert!(m.contains("`buffer` is given twice"), "{m}");
    }

    #[test]
    fn fallible_and_returns() {
        let o = parse(Kind::Producer, quote!(fallible, returns = result)).unwrap();
        assert!(o.fallible.is_some());
        assert_eq!(o.returns.map(|r| r.1), Some(Returns::Result));
        assert!(message(Kind::Consumer, quote!(fallible)).contains("unknown option `fallible`"));
        assert!(message(Kind::Stage, quote!(returns = maybe)).contains("one of `value`"));
        assert!(message(Kind::Stage, quote!(returns)).contains("one of `value`"));
        assert!(message(Kind::Stage, quote!(fallible = true)).contains("takes no value"));
    }

    #[test]
    fn name_must_be_a_string() {
        assert!(message(Kind::Stage, quote!(name = parse)).contains("string literal"));
        assert!(message(Kind::Stage, quote!(workers)).contains("needs a value"));
    }
}
