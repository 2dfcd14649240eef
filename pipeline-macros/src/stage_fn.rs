//! The typed view of a stage function: its kind, input, arguments and return shape.

use proc_macro2::Span;
use quote::quote;
use syn::spanned::Spanned;
use syn::{
    FnArg, GenericArgument, GenericParam, ItemFn, PatType, PathArguments, ReturnType, Type,
    TypeParamBound, WherePredicate,
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
    /// `Result<T, E>` (any type whose last path segment is `Result`), with `E` when
    /// it is written out (`io::Result<T>` leaves it to the alias).
    Result(Type, Option<Box<Type>>),
}

impl Return {
    /// The value type: `T` of each shape.
    pub fn value(&self) -> &Type {
        match self {
            Return::Plain(t) | Return::Option(t) | Return::Result(t, _) => t,
        }
    }
}

/// A parameter after the input: an argument written in `pipeline!`.
pub(crate) struct Arg {
    /// As written, `k: u64`, for messages.
    pub text: String,
    pub ty: Type,
}

/// A stage function, as the attribute sees it.
pub(crate) struct StageFn {
    pub kind: Kind,
    pub input: Option<Input>,
    /// The parameters after the input: the arguments in `pipeline!`.
    pub args: Vec<Arg>,
    /// The return type as written (`()` when there is none).
    pub output: Type,
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
                    args.push(Arg {
                        text: source_text(p),
                        ty: (*p.ty).clone(),
                    });
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
        let output: Type = match &sig.output {
            ReturnType::Default => syn::parse_quote!(()),
            ReturnType::Type(_, ty) => (**ty).clone(),
        };
        let ret = classify(
            &output,
            kind == Kind::Stage && matches!(input, Some(Input::Item(_))),
        );
        let streams_out = matches!(
            (kind, &input),
            (Kind::Producer, _) | (Kind::Stage, Some(Input::Stream(_)))
        );
        if streams_out {
            if let Err(e) = item_type(ret.value()) {
                errors.0.push(e);
            } else if let Some(name) = plain_value(ret.value()) {
                errors.push(
                    ret.value().span(),
                    &format!(
                        "`{name}` is not an iterator, so it cannot be a #[{}]'s items: return them as `impl Iterator<Item = T>`, or any `IntoIterator` such as `Vec<T>`",
                        kind.attribute()
                    ),
                );
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
            output,
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
            let mut types = match &last.arguments {
                PathArguments::AngleBracketed(a) => a
                    .args
                    .iter()
                    .filter_map(|a| match a {
                        GenericArgument::Type(t) => Some(t.clone()),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            }
            .into_iter();
            if let Some(inner) = types.next() {
                if last.ident == "Result" {
                    return Return::Result(inner, types.next().map(Box::new));
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
/// else `None`, for `<R as Items>::Item`.
pub(crate) fn item_type(ret: &Type) -> syn::Result<Option<Type>> {
    match ret {
        Type::ImplTrait(t) => item_binding(&t.bounds).map(Some).ok_or_else(|| {
            syn::Error::new(
                t.span(),
                "cannot tell the item type: return `impl Iterator<Item = T>` (or a type that is `IntoIterator`)",
            )
        }),
        _ => Ok(None),
    }
}

/// The name of a type that is plainly one value, not an iterator: a number, `bool`,
/// `char`, `String`, `()`. Other types are checked by the compiler.
fn plain_value(ty: &Type) -> Option<String> {
    const VALUES: &[&str] = &[
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
        "f32", "f64", "bool", "char", "String",
    ];
    match ty {
        Type::Tuple(t) if t.elems.is_empty() => Some("()".to_owned()),
        Type::Path(p) if p.qself.is_none() => {
            let ident = p.path.get_ident()?.to_string();
            VALUES.contains(&ident.as_str()).then_some(ident)
        }
        _ => None,
    }
}

/// Whether `impl Trait` appears anywhere in the type.
fn has_impl_trait(ty: &Type) -> bool {
    match ty {
        Type::ImplTrait(_) => true,
        Type::Array(t) => has_impl_trait(&t.elem),
        Type::Group(t) => has_impl_trait(&t.elem),
        Type::Paren(t) => has_impl_trait(&t.elem),
        Type::Ptr(t) => has_impl_trait(&t.elem),
        Type::Reference(t) => has_impl_trait(&t.elem),
        Type::Slice(t) => has_impl_trait(&t.elem),
        Type::Tuple(t) => t.elems.iter().any(has_impl_trait),
        Type::Path(t) => {
            t.qself.as_ref().is_some_and(|q| has_impl_trait(&q.ty))
                || t.path
                    .segments
                    .iter()
                    .any(|s| arguments_have_impl_trait(&s.arguments))
        }
        Type::BareFn(t) => {
            t.inputs.iter().any(|a| has_impl_trait(&a.ty))
                || matches!(&t.output, ReturnType::Type(_, r) if has_impl_trait(r))
        }
        Type::TraitObject(t) => t.bounds.iter().any(|b| match b {
            TypeParamBound::Trait(t) => t
                .path
                .segments
                .iter()
                .any(|s| arguments_have_impl_trait(&s.arguments)),
            _ => false,
        }),
        _ => false,
    }
}

fn arguments_have_impl_trait(arguments: &PathArguments) -> bool {
    match arguments {
        PathArguments::None => false,
        PathArguments::AngleBracketed(a) => a.args.iter().any(|a| match a {
            GenericArgument::Type(t) => has_impl_trait(t),
            GenericArgument::AssocType(b) => has_impl_trait(&b.ty),
            _ => false,
        }),
        PathArguments::Parenthesized(p) => {
            p.inputs.iter().any(has_impl_trait)
                || matches!(&p.output, ReturnType::Type(_, r) if has_impl_trait(r))
        }
    }
}

/// `k: u64` as the user wrote it, or as tokens where the source is not at hand.
fn source_text(param: &PatType) -> String {
    match (
        param.pat.span().source_text(),
        param.ty.span().source_text(),
    ) {
        (Some(pat), Some(ty)) => format!("{pat}: {ty}"),
        _ => {
            let (pat, ty) = (&param.pat, &param.ty);
            tidy(&quote!(#pat: #ty).to_string())
        }
    }
}

/// Token text with the spaces `to_string` puts around punctuation removed.
fn tidy(text: &str) -> String {
    let mut out = text.to_owned();
    for (from, to) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" < ", "<"),
        ("< ", "<"),
        (" <", "<"),
        (" >", ">"),
        (" ,", ","),
        ("& ", "&"),
        ("( ", "("),
        (" )", ")"),
        ("[ ", "["),
        (" ]", "]"),
        (" ;", ";"),
        (" :", ":"),
    ] {
        out = out.replace(from, to);
    }
    out
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
        assert_eq!(text(&item_type(s.ret.value()).unwrap().unwrap()), "String");

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
        assert!(matches!(&r.ret, Return::Result(t, None) if text(t) == "u64"));
        let r = view(Kind::Stage, "fn f(line: String) -> Result<u64, Bad> { }").unwrap();
        assert!(matches!(&r.ret, Return::Result(_, Some(e)) if text(e) == "Bad"));
    }

    #[test]
    fn producers_may_return_any_into_iterator() {
        let p = view(Kind::Producer, "fn f(n: u64) -> Vec<u64> { }").unwrap();
        assert!(item_type(p.ret.value()).unwrap().is_none());
        let bad = view(Kind::Producer, "fn f() -> impl Clone { }");
        assert!(bad.is_err());
        let number = view(Kind::Producer, "fn f(n: u64) -> u64 { }");
        assert!(number.is_err_and(|e| e.to_string().contains("`u64` is not an iterator")));
        let result = view(
            Kind::Stage,
            "fn f(x: impl Iterator<Item = u8>) -> Result<String, E> { }",
        );
        assert!(result.is_err_and(|e| e.to_string().contains("`String` is not an iterator")));
    }

    #[test]
    fn impl_trait_is_found_anywhere_in_an_argument() {
        assert!(view(Kind::Stage, "fn f(x: u64, v: Vec<Simpl>) -> u64 { }").is_ok());
        assert!(view(Kind::Stage, "fn f(x: u64, v: Vec<impl Clone>) -> u64 { }").is_err());
        assert!(view(
            Kind::Stage,
            "fn f(x: u64, v: (u8, [impl Clone; 2])) -> u64 { }"
        )
        .is_err());
        assert!(view(Kind::Stage, "fn f(x: u64, v: fn(impl Clone)) -> u64 { }").is_err());
    }

    #[test]
    fn arguments_keep_their_text_for_messages() {
        let s = view(
            Kind::Stage,
            "fn f(x: u64, k: Vec<u8>, (a, b): (u8, u8)) -> u64 { }",
        )
        .unwrap();
        let texts: Vec<&str> = s.args.iter().map(|a| a.text.as_str()).collect();
        assert_eq!(texts, ["k: Vec<u8>", "(a, b): (u8, u8)"]);
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
