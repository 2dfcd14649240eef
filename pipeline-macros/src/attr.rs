//! The options of a stage, parsed and checked: in `#[producer(..)]`, `#[stage(..)]`
//! and `#[consumer(..)]`, and where a stage is used in `pipeline!` (`sq[workers = 3]`).

use crate::stage_fn::{Kind, Returns};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote_spanned;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ExprUnary, Lit, LitStr, Meta, Token, UnOp};

/// Where the options are written.
#[derive(Clone, Copy)]
pub(crate) enum Place {
    /// On the function, for this kind of stage.
    Attribute(Kind),
    /// Where the stage is used in `pipeline!`: its kind is checked by the compiler.
    Use,
}

/// The options given, each with the key as written, for spans.
#[derive(Default)]
pub(crate) struct Options {
    pub workers: Option<(Ident, Expr)>,
    pub buffer: Option<(Ident, Expr)>,
    pub name: Option<(Ident, LitStr)>,
    pub ordered: Option<Ident>,
    /// `fallible`: the items are `Result`s, and an `Err` fails the run.
    pub fallible: Option<Ident>,
    /// `returns = value | option | result | result_option`.
    pub returns: Option<(Ident, Returns)>,
    /// `isolate`: each worker is a child process.
    pub isolate: Option<Ident>,
    /// `remote`: the workers are processes fed through a broker.
    pub remote: Option<Ident>,
    /// `timeout = <Duration>`, for an isolated stage.
    pub timeout: Option<(Ident, Expr)>,
    /// `memory = <bytes>`, for an isolated stage.
    pub memory: Option<(Ident, Expr)>,
    /// `on_crash = fail | skip`, for an isolated stage: whether it skips.
    pub on_crash: Option<(Ident, bool)>,
}

impl Options {
    /// Whether `workers` is given as something other than the literal `1`.
    pub fn several_workers(&self) -> bool {
        match &self.workers {
            None => false,
            Some((_, value)) => literal_count(value) != Some(1),
        }
    }

    /// Whether `workers` is given as a literal greater than 1.
    pub fn literally_several_workers(&self) -> bool {
        self.workers
            .as_ref()
            .and_then(|(_, value)| literal_count(value))
            .is_some_and(|n| n > 1)
    }

    pub fn is_empty(&self) -> bool {
        self.workers.is_none()
            && self.buffer.is_none()
            && self.name.is_none()
            && self.ordered.is_none()
    }

    /// The calls that set these options on a `pipeline::Options`, each spanned on
    /// its value so a type error lands there; the name only when `named` (the
    /// attribute's is given to `Options::new`).
    pub fn setters(&self, named: bool) -> TokenStream {
        let value = Ident::new("value", Span::mixed_site());
        let mut out = TokenStream::new();
        if let Some((_, workers)) = &self.workers {
            out.extend(
                quote_spanned!(workers.span()=> .workers({ let #value: usize = #workers; #value })),
            );
        }
        if let Some((_, buffer)) = &self.buffer {
            out.extend(
                quote_spanned!(buffer.span()=> .buffer({ let #value: usize = #buffer; #value })),
            );
        }
        if let Some((_, name)) = self.name.as_ref().filter(|_| named) {
            out.extend(quote_spanned!(name.span()=> .named(#name)));
        }
        if let Some(ordered) = &self.ordered {
            out.extend(quote_spanned!(ordered.span()=> .ordered(true)));
        }
        out
    }
}

/// The value of an integer literal, also negative (`-1`); `None` for anything else.
fn literal_count(value: &Expr) -> Option<i128> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Int(n), ..
        }) => n.base10_parse().ok(),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => literal_count(expr).map(|n| -n),
        Expr::Paren(p) => literal_count(&p.expr),
        Expr::Group(g) => literal_count(&g.expr),
        _ => None,
    }
}

fn valid_keys(place: Place) -> &'static str {
    match place {
        Place::Attribute(Kind::Stage) => {
            "`workers`, `buffer`, `name`, `ordered`, `fallible`, `returns`, `isolate`, `timeout`, `memory`, `on_crash`, `remote`"
        }
        Place::Attribute(Kind::Producer) => "`workers`, `buffer`, `name`, `fallible`, `returns`",
        Place::Attribute(Kind::Consumer) => "`workers`, `buffer`, `name`, `returns`",
        Place::Use => "`workers`, `buffer`, `name`, `ordered`",
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
        _ => Err(syn::Error::new_spanned(value, RETURNS)),
    }
}

fn where_written(place: Place) -> String {
    match place {
        Place::Attribute(kind) => format!("of #[{}]", kind.attribute()),
        Place::Use => "where a stage is used".to_owned(),
    }
}

/// Parses options; every problem found is in the one error returned.
pub(crate) fn parse(place: Place, args: TokenStream) -> syn::Result<Options> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
    let mut options = Options::default();
    let mut errors: Option<syn::Error> = None;
    for meta in metas {
        if let Err(e) = add(place, &meta, &mut options) {
            match &mut errors {
                Some(all) => all.combine(e),
                None => errors = Some(e),
            }
        }
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(options),
    }
}

fn add(place: Place, meta: &Meta, options: &mut Options) -> syn::Result<()> {
    let key = match meta.path().get_ident() {
        Some(key) => key.clone(),
        None => return Err(unknown(place, meta)),
    };
    let takes_ordered = matches!(place, Place::Use | Place::Attribute(Kind::Stage));
    let takes_fallible = matches!(
        place,
        Place::Attribute(Kind::Stage) | Place::Attribute(Kind::Producer)
    );
    let takes_returns = matches!(place, Place::Attribute(_));
    let takes_isolate = matches!(place, Place::Attribute(Kind::Stage));
    let twice = || {
        Err(syn::Error::new(
            key.span(),
            format!("`{key}` is given twice"),
        ))
    };
    match (key.to_string().as_str(), meta) {
        ("workers", Meta::NameValue(nv)) => {
            if options.workers.is_some() {
                return twice();
            }
            check_workers(&nv.value)?;
            options.workers = Some((key, nv.value.clone()));
        }
        ("buffer", Meta::NameValue(nv)) => {
            if options.buffer.is_some() {
                return twice();
            }
            if let Some(n) = literal_count(&nv.value).filter(|n| *n < 0) {
                return Err(syn::Error::new_spanned(
                    &nv.value,
                    format!("`buffer` is a number of items, so it cannot be negative (got {n})"),
                ));
            }
            options.buffer = Some((key, nv.value.clone()));
        }
        ("name", Meta::NameValue(nv)) => {
            if options.name.is_some() {
                return twice();
            }
            match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => options.name = Some((key, s.clone())),
                _ => {
                    return Err(syn::Error::new_spanned(
                        &nv.value,
                        "`name` must be a string literal, e.g. `name = \"parse\"`",
                    ))
                }
            }
        }
        (key @ ("workers" | "buffer" | "name"), _) => {
            return Err(syn::Error::new_spanned(
                meta,
                format!("`{key}` needs a value, e.g. `{key} = {}`", example(key)),
            ))
        }
        ("ordered", Meta::Path(_)) if takes_ordered => {
            if options.ordered.is_some() {
                return twice();
            }
            options.ordered = Some(key);
        }
        ("ordered", _) if takes_ordered => {
            return Err(syn::Error::new_spanned(
                meta,
                "`ordered` takes no value: write `ordered` alone",
            ))
        }
        ("fallible", Meta::Path(_)) if takes_fallible => {
            if options.fallible.is_some() {
                return twice();
            }
            options.fallible = Some(key);
        }
        ("fallible", _) if takes_fallible => {
            return Err(syn::Error::new_spanned(
                meta,
                "`fallible` takes no value: write `fallible` alone",
            ))
        }
        ("returns", Meta::NameValue(nv)) if takes_returns => {
            if options.returns.is_some() {
                return twice();
            }
            options.returns = Some((key, returns(&nv.value)?));
        }
        ("returns", _) if takes_returns => return Err(syn::Error::new_spanned(meta, RETURNS)),
        ("isolate", Meta::Path(_)) if takes_isolate => {
            if options.isolate.is_some() {
                return twice();
            }
            options.isolate = Some(key);
        }
        ("remote", Meta::Path(_)) if takes_isolate => {
            if options.remote.is_some() {
                return twice();
            }
            options.remote = Some(key);
        }
        ("remote", _) if takes_isolate => {
            return Err(syn::Error::new_spanned(
                meta,
                "`remote` takes no value: write `remote` alone, and give the pipeline a broker",
            ))
        }
        ("isolate", _) if takes_isolate => {
            return Err(syn::Error::new_spanned(
                meta,
                "`isolate` takes no value: write `isolate` alone",
            ))
        }
        ("timeout", Meta::NameValue(nv)) if takes_isolate => {
            if options.timeout.is_some() {
                return twice();
            }
            options.timeout = Some((key, nv.value.clone()));
        }
        ("memory", Meta::NameValue(nv)) if takes_isolate => {
            if options.memory.is_some() {
                return twice();
            }
            if let Some(n) = literal_count(&nv.value).filter(|n| *n <= 0) {
                return Err(syn::Error::new_spanned(
                    &nv.value,
                    format!("`memory` is a number of bytes, so it must be positive (got {n})"),
                ));
            }
            options.memory = Some((key, nv.value.clone()));
        }
        ("on_crash", Meta::NameValue(nv)) if takes_isolate => {
            if options.on_crash.is_some() {
                return twice();
            }
            let word = match &nv.value {
                Expr::Path(p) if p.qself.is_none() => p.path.get_ident().map(ToString::to_string),
                _ => None,
            };
            let skip = match word.as_deref() {
                Some("fail") => false,
                Some("skip") => true,
                _ => {
                    return Err(syn::Error::new_spanned(
                        &nv.value,
                        "`on_crash` is `fail` (the default: a crash fails the run) or `skip` (the item is dropped and counted)",
                    ))
                }
            };
            options.on_crash = Some((key, skip));
        }
        (key @ ("timeout" | "memory" | "on_crash"), _) if takes_isolate => {
            return Err(syn::Error::new_spanned(
                meta,
                format!("`{key}` needs a value, e.g. `{key} = {}`", example(key)),
            ))
        }
        _ => return Err(unknown(place, meta)),
    }
    Ok(())
}

fn unknown(place: Place, meta: &Meta) -> syn::Error {
    syn::Error::new_spanned(
        meta.path(),
        format!(
            "unknown option `{}` {}; valid options are {}",
            path_text(meta.path()),
            where_written(place),
            valid_keys(place)
        ),
    )
}

/// A literal worker count must be at least 1; any other expression is checked when
/// the pipeline is built.
fn check_workers(value: &Expr) -> syn::Result<()> {
    match value {
        Expr::Lit(ExprLit { lit, .. }) if !matches!(lit, Lit::Int(_)) => Err(syn::Error::new_spanned(
            value,
            "`workers` must be a number of workers, e.g. `workers = 4`",
        )),
        _ => match literal_count(value) {
            Some(0) => Err(syn::Error::new_spanned(
                value,
                "`workers` must be at least 1: a stage with no worker would never run",
            )),
            Some(n) if n < 0 => Err(syn::Error::new_spanned(
                value,
                format!("`workers` must be at least 1, and a number of workers cannot be negative (got {n})"),
            )),
            _ => Ok(()),
        },
    }
}

fn example(key: &str) -> &'static str {
    match key {
        "workers" => "4",
        "buffer" => "256",
        "timeout" => "Duration::from_secs(5)",
        "memory" => "1 << 30",
        "on_crash" => "skip",
        _ => "\"parse\"",
    }
}

fn path_text(path: &syn::Path) -> String {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    segments.join("::")
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn message(place: Place, args: TokenStream) -> String {
        match parse(place, args) {
            Ok(_) => String::new(),
            Err(e) => e
                .into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(" | "),
        }
    }

    const STAGE: Place = Place::Attribute(Kind::Stage);

    #[test]
    fn accepts_every_option() {
        let o = parse(
            STAGE,
            quote!(workers = 2 + 2, buffer = 8, name = "x", ordered),
        )
        .unwrap();
        assert!(o.workers.is_some() && o.buffer.is_some() && o.ordered.is_some());
        assert!(o.several_workers() && !o.literally_several_workers());
        assert_eq!(o.name.unwrap().1.value(), "x");
        let o = parse(Place::Use, quote!(workers = 3, ordered, name = "sq3")).unwrap();
        assert!(o.literally_several_workers());
    }

    #[test]
    fn literal_one_worker_is_not_several() {
        let o = parse(Place::Attribute(Kind::Consumer), quote!(workers = 1)).unwrap();
        assert!(!o.several_workers());
    }

    #[test]
    fn reports_every_mistake_at_once() {
        let m = message(
            Place::Attribute(Kind::Producer),
            quote!(workers = 0, colour = 3, ordered, buffer = 1, buffer = 2),
        );
        assert!(m.contains("`workers` must be at least 1"), "{m}");
        assert!(m.contains("unknown option `colour` of #[producer]"), "{m}");
        assert!(m.contains("unknown option `ordered` of #[producer]"), "{m}");
        assert!(m.contains("`buffer` is given twice"), "{m}");
    }

    #[test]
    fn worker_counts_must_be_positive_numbers() {
        assert!(message(STAGE, quote!(workers = -1)).contains("cannot be negative (got -1)"));
        assert!(message(STAGE, quote!(workers = (0))).contains("at least 1"));
        assert!(message(STAGE, quote!(workers = "4")).contains("a number of workers"));
        assert!(message(STAGE, quote!(buffer = -8)).contains("cannot be negative"));
        assert_eq!(message(STAGE, quote!(workers = n - 1)), "");
    }

    #[test]
    fn fallible_and_returns() {
        let o = parse(
            Place::Attribute(Kind::Producer),
            quote!(fallible, returns = result),
        )
        .unwrap();
        assert!(o.fallible.is_some());
        assert_eq!(o.returns.map(|r| r.1), Some(Returns::Result));
        let consumer = Place::Attribute(Kind::Consumer);
        assert!(message(consumer, quote!(fallible)).contains("unknown option `fallible`"));
        assert!(message(Place::Use, quote!(returns = value)).contains("unknown option"));
        assert!(message(STAGE, quote!(returns = maybe)).contains("one of `value`"));
        assert!(message(STAGE, quote!(returns)).contains("one of `value`"));
        assert!(message(STAGE, quote!(fallible = true)).contains("takes no value"));
    }

    #[test]
    fn name_must_be_a_string() {
        assert!(message(STAGE, quote!(name = parse)).contains("string literal"));
        assert!(message(STAGE, quote!(workers)).contains("needs a value"));
        assert!(message(Place::Use, quote!(colour = 1)).contains("where a stage is used"));
    }
}
