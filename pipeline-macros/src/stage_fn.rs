//! The typed view of a stage function: its kind, input, arguments and return shape.

use proc_macro2::Span;
use quote::quote;
use syn::spanned::Spanned;
use syn::{
    FnArg, GenericArgument, GenericParam, ItemFn, PathArguments, ReturnType, Type, TypeParamBound,
    WherePredicate,
};

/// Which attribute was written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Producer,
    Stage,
    Consumer,
}

impl Kind {
    pub fn attribute(self) -> &'static str {
        match self {
            Kind::Producer => "producer",
            Kind::Stage => "stage",
            Kind::Consumer => "consumer",
        }
    }
}

/// How a stage or consumer reads its input.
pub(crate) enum Input {
    /// `impl Iterator<Item = T>` or a generic `I: Iterator<Item = T>`: one call per worker.
    Stream(Type),
    /// Any other first parameter: one call per item.
    Item(Type),
}

/// The shape of the return type.
pub(crate) enum Return {
    /// `T`, or nothing (`()`).
    Plain(Type),
    /// `Option<T>` (item form only: `None` drops the item).
    Option(Type),
    /// `Result<T, E>` (any type whose last path segment is `Result`).
    Result(Type),
}

impl Return {
    /// The value type: `T` of each shape.
    pub fn value(&self) -> &Type {
        match self {
            Return::Plain(t) | Return::Option(t) | Return::Result(t) => t,
        }
    }
}

/// A stage function, as the attribute sees it.
pub(crate) struct StageFn {
    pub kind: Kind,
    pub input: Option<Input>,
    /// The types of the parameters after the input: the arguments in `pipeline!`.
    pub args: Vec<Type>,
    pub ret: Return,
}

impl StageFn {
    pub fn from_syn(kind: Kind, func: &ItemFn) -> syn::Result<Self> {
        let sig = &func.sig;
        let mut errors = Errors::default();
        if let Some(asyncness) = sig.asyncness {
            errors.push(asyncness.span(), "a stage function cannot be `async`: it runs on its own thread, so write it as a plain function");
        }
        if let Some(v) = &sig.variadic {
            errors.push(v.span(), "a stage function cannot be variadic");
        }
        let mut params = sig.inputs.iter();
        let input = match kind {
            Kind::Producer => None,
            Kind::Stage | Kind::Consumer => match params.next() {
                None => {
                    errors.push(sig.ident.span(), &format!(
                        "a #[{}] function needs an input as its first parameter: `impl Iterator<Item = T>` for the whole stream{}",
                        kind.attribute(),
                        if kind == Kind::Stage { ", or one item" } else { "" }
                    ));
                    None
                }
                Some(FnArg::Receiver(r)) => {
                    errors.push(r.span(), "a stage function cannot take `self`");
                    None
                }
                Some(FnArg::Typed(first)) => match stream_item(&first.ty, func) {
                    Some(item) => Some(Input::Stream(item)),
                    None if kind == Kind::Consumer => {
                        errors.push(first.ty.span(), "a #[consumer]'s first parameter must be its input stream, `impl Iterator<Item = T>`");
                        None
                    }
                    None => Some(Input::Item((*first.ty).clone())),
                },
            },
        };
        let mut args = Vec::new();
        for param in params {
            match param {
                FnArg::Receiver(r) => errors.push(r.span(), "a stage function cannot take `self`"),
                FnArg::Typed(p) => {
                    if has_impl_trait(&p.ty) {
                        errors.push(p.ty.span(), "an argument of a stage must have a concrete type: the stage keeps it to clone for each worker");
                    } else if has_reference(&p.ty) {
                        errors.push(p.ty.span(), "an argument of a stage cannot be a reference: the stage keeps it to clone for each worker, so take it by value");
                    }
                    args.push((*p.ty).clone());
                }
            }
        }
        let stream_generic = match &input {
            Some(Input::Stream(_)) => generic_name(sig.inputs.first()),
            _ => None,
        };
        for param in &sig.generics.params {
            let allowed =
                matches!(param, GenericParam::Type(t) if Some(&t.ident) == stream_generic.as_ref());
            if !allowed {
                errors.push(param.span(), "a stage function cannot be generic, except over its input iterator (`I: Iterator<Item = T>`)");
            }
        }
        let ret = match &sig.output {
            ReturnType::Default => Return::Plain(syn::parse_quote!(())),
            ReturnType::Type(_, ty) => classify(
                ty,
                kind == Kind::Stage && matches!(input, Some(Input::Item(_))),
            ),
        };
        let streams_out = matches!(
            (kind, &input),
            (Kind::Producer, _) | (Kind::Stage, Some(Input::Stream(_)))
        );
        if streams_out {
            if let Err(e) = item_type(ret.value()) {
                errors.0.push(e);
            }
        }
        if let Type::ImplTrait(t) = ret.value() {
            if !streams_out {
                errors.push(
                    t.span(),
                    "the return type must be a concrete type here, not `impl Trait`",
                );
            }
        }
        errors.finish(StageFn {
            kind,
            input,
            args,
            ret,
        })
    }

    pub fn is_item_form(&self) -> bool {
        matches!(self.input, Some(Input::Item(_)))
    }
}

#[derive(Default)]
struct Errors(Vec<syn::Error>);

impl Errors {
    fn push(&mut self, span: Span, message: &str) {
        self.0.push(syn::Error::new(span, message));
    }

    fn finish<T>(self, value: T) -> syn::Result<T> {
        let mut all = self.0.into_iter();
        match all.next() {
            None => Ok(value),
            Some(mut first) => {
                first.extend(all);
                Err(first)
            }
        }
    }
}

/// `T` of `Result<T, ..>`, `Option<T>` (when `options` is true), else the type itself.
fn classify(ty: &Type, options: bool) -> Return {
    if let Type::Path(p) = ty {
        if let Some(last) = p.path.segments.last() {
            let first_arg = match &last.arguments {
                PathArguments::AngleBracketed(a) => a.args.iter().find_map(|a| match a {
                    GenericArgument::Type(t) => Some(t.clone()),
                    _ => None,
                }),
                _ => None,
            };
            if let Some(inner) = first_arg {
                if last.ident == "Result" {
                    return Return::Result(inner);
                }
                if options && last.ident == "Option" {
                    return Return::Option(inner);
                }
            }
        }
    }
    Return::Plain(ty.clone())
}

/// The `T` of `Iterator<Item = T>` or `IntoIterator<Item = T>` among `bounds`.
fn item_binding<'a>(bounds: impl IntoIterator<Item = &'a TypeParamBound>) -> Option<Type> {
    bounds.into_iter().find_map(|bound| {
        let TypeParamBound::Trait(t) = bound else {
            return None;
        };
        let last = t.path.segments.last()?;
        if last.ident != "Iterator" && last.ident != "IntoIterator" {
            return None;
        }
        let PathArguments::AngleBracketed(a) = &last.arguments else {
            return None;
        };
        a.args.iter().find_map(|a| match a {
            GenericArgument::AssocType(b) if b.ident == "Item" => Some(b.ty.clone()),
            _ => None,
        })
    })
}

/// The item type of a stream parameter, or `None` if the parameter is not a stream.
fn stream_item(ty: &Type, func: &ItemFn) -> Option<Type> {
    match ty {
        Type::ImplTrait(t) => item_binding(&t.bounds),
        Type::Path(p) if p.qself.is_none() => {
            let ident = p.path.get_ident()?;
            let generics = &func.sig.generics;
            let param = generics.type_params().find(|t| &t.ident == ident)?;
            item_binding(&param.bounds).or_else(|| {
                generics.where_clause.as_ref()?.predicates.iter().find_map(|pred| match pred {
                    WherePredicate::Type(pt) if matches!(&pt.bounded_ty, Type::Path(b) if b.path.is_ident(ident)) => {
                        item_binding(&pt.bounds)
                    }
                    _ => None,
                })
            })
        }
        _ => None,
    }
}

fn generic_name(first: Option<&FnArg>) -> Option<syn::Ident> {
    match first? {
        FnArg::Typed(p) => match &*p.ty {
            Type::Path(tp) => tp.path.get_ident().cloned(),
            _ => None,
        },
        FnArg::Receiver(_) => None,
    }
}

/// The item type of a returned `IntoIterator`: written out for `impl Iterator<Item = T>`,
/// else `<R as IntoIterator>::Item`.
pub(crate) fn item_type(ret: &Type) -> syn::Result<Type> {
    match ret {
        Type::ImplTrait(t) => item_binding(&t.bounds).ok_or_else(|| {
            syn::Error::new(
                t.span(),
                "cannot tell the item type: return `impl Iterator<Item = T>` (or a type that is `IntoIterator`)",
            )
        }),
        _ => Ok(syn::parse_quote!(<#ret as ::core::iter::IntoIterator>::Item)),
    }
}

fn has_impl_trait(ty: &Type) -> bool {
    quote!(#ty).to_string().contains("impl ")
}

fn has_reference(ty: &Type) -> bool {
    matches!(ty, Type::Reference(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn view(kind: Kind, src: &str) -> syn::Result<StageFn> {
        StageFn::from_syn(kind, &syn::parse_str(src).unwrap())
    }

    fn text(ty: &Type) -> String {
        ty.to_token_stream().to_string()
    }

    #[test]
    fn stream_and_item_forms() {
        let s = view(
            Kind::Stage,
            "fn f(xs: impl Iterator<Item = u64> + Send, k: u8) -> impl Iterator<Item = String> { }",
        )
        .unwrap();
        assert!(matches!(&s.input, Some(Input::Stream(t)) if text(t) == "u64"));
        assert_eq!(s.args.len(), 1);
        assert_eq!(text(&item_type(s.ret.value()).unwrap()), "String");

        let g = view(
            Kind::Stage,
            "fn f<I>(xs: I) -> Vec<u8> where I: Iterator<Item = u8> { }",
        )
        .unwrap();
        assert!(matches!(&g.input, Some(Input::Stream(t)) if text(t) == "u8"));

        let i = view(Kind::Stage, "fn f(line: String) -> Option<u64> { }").unwrap();
        assert!(i.is_item_form());
        assert!(matches!(i.ret, Return::Option(_)));

        let r = view(Kind::Stage, "fn f(line: String) -> io::Result<u64> { }").unwrap();
        assert!(matches!(&r.ret, Return::Result(t) if text(t) == "u64"));
    }

    #[test]
    fn producers_may_return_any_into_iterator() {
        let p = view(Kind::Producer, "fn f(n: u64) -> Vec<u64> { }").unwrap();
        assert!(text(&item_type(p.ret.value()).unwrap()).contains("IntoIterator"));
        let bad = view(Kind::Producer, "fn f() -> impl Clone { }");
        assert!(bad.is_err());
    }

    #[test]
    fn rejects_what_cannot_be_a_stage() {
        assert!(view(Kind::Consumer, "fn f(x: u64) -> u64 { }").is_err());
        assert!(view(Kind::Stage, "fn f() -> u64 { }").is_err());
        assert!(view(Kind::Stage, "fn f<T>(x: T) -> T { }").is_err());
        assert!(view(Kind::Stage, "fn f(x: u64, table: &str) -> u64 { }").is_err());
        assert!(view(Kind::Stage, "async fn f(x: u64) -> u64 { }").is_err());
    }
}
