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
    /// `Result<T, E>` (by default, any type whose last path segment is `Result`), with
    /// `E` when it is written out (`io::Result<T>` leaves it to the alias).
    Result(Type, Option<Box<Type>>),
    /// `Result<Option<T>, E>` (item form only: `Err` fails, `None` drops the item).
    ResultOption(Type, Option<Box<Type>>),
}

impl Return {
    /// The value type: `T` of each shape.
    pub fn value(&self) -> &Type {
        match self {
            Return::Plain(t)
            | Return::Option(t)
            | Return::Result(t, _)
            | Return::ResultOption(t, _) => t,
        }
    }
}

/// `returns = ..`: how the return type is taken, when its name does not say.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Returns {
    Value,
    Option,
    Result,
    ResultOption,
}

/// How a parameter after the input is passed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Pass {
    /// `k: T` (or `k: &'static T`): moved in (stream form), cloned for each call (item
    /// form).
    Owned,
    /// `table: &T`: a reference to the worker's own `T::Owned`.
    Ref,
    /// `cache: &mut T`: a mutable reference to the worker's own `T`.
    RefMut,
}

/// A parameter after the input: an argument written in `pipeline!`.
pub(crate) struct Arg {
    /// As written, `k: u64`, for messages.
    pub text: String,
    /// The parameter's type as written.
    pub ty: Type,
    pub pass: Pass,
    /// What the stage stores, and what `pipeline!` is given: `T` for `T` and `&mut T`,
    /// `T::Owned` for `&T` (`String` for `&str`).
    pub stored: Type,
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
    pub fn from_syn(kind: Kind, func: &ItemFn, returns: Option<Returns>) -> syn::Result<Self> {
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
        for given in params {
            match given {
                FnArg::Receiver(r) => errors.push(r.span(), "a stage function cannot take `self`"),
                FnArg::Typed(p) => {
                    if has_impl_trait(&p.ty) {
                        errors.push(p.ty.span(), "an argument of a stage must have a concrete type: the stage keeps it for each worker");
                        continue;
                    }
                    match param(&p.ty) {
                        Ok((pass, stored)) => args.push(Arg {
                            text: source_text(p),
                            ty: (*p.ty).clone(),
                            pass,
                            stored,
                        }),
                        Err(e) => errors.0.push(e),
                    }
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
        let item_form = kind == Kind::Stage && matches!(input, Some(Input::Item(_)));
        // `returns = option` outside the item form is the attribute's error to report.
        let returns =
            returns.filter(|r| item_form || matches!(r, Returns::Value | Returns::Result));
        let ret = classify(&output, item_form, returns);
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

/// The last path segment's name and its type arguments: `("Result", [T])` for
/// `io::Result<T>`.
fn last_segment(ty: &Type) -> Option<(String, Vec<Type>)> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    let types = match &last.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Some((last.ident.to_string(), types))
}

/// The shape of a return type. Unless `returns` says otherwise, by the name of its
/// last path segment: `Result` (`io::Result<T>`, `fmt::Result`) is fallible, and in
/// the item form (`item_form`) `Option<T>` filters and `Result<Option<T>, E>` does
/// both. The value type of a `Result` is its first type argument, or `Fallible::Ok`
/// where it has none (an alias such as `fmt::Result`).
fn classify(ty: &Type, item_form: bool, returns: Option<Returns>) -> Return {
    let last = last_segment(ty);
    let named = |name: &str| last.as_ref().is_some_and(|(n, _)| n == name);
    let args = last.as_ref().map(|(_, a)| a.clone()).unwrap_or_default();
    let ok = match args.first() {
        Some(ok) => ok.clone(),
        None => syn::parse_quote!(<#ty as ::pipeline::__private::Fallible>::Ok),
    };
    let error = args.get(1).cloned().map(Box::new);
    let inner_option = |ok: &Type| match last_segment(ok) {
        Some((name, inner)) if name == "Option" && inner.len() == 1 => Some(inner[0].clone()),
        _ => None,
    };
    let returns = returns.unwrap_or(if named("Result") {
        match inner_option(&ok) {
            Some(_) if item_form => Returns::ResultOption,
            _ => Returns::Result,
        }
    } else if item_form && named("Option") && !args.is_empty() {
        Returns::Option
    } else {
        Returns::Value
    });
    match returns {
        Returns::Value => Return::Plain(ty.clone()),
        Returns::Option => Return::Option(match args.first() {
            Some(inner) => inner.clone(),
            None => syn::parse_quote!(<#ty as ::pipeline::__private::Optional>::Some),
        }),
        Returns::Result => Return::Result(ok, error),
        Returns::ResultOption => Return::ResultOption(
            inner_option(&ok).unwrap_or_else(
                || syn::parse_quote!(<#ok as ::pipeline::__private::Optional>::Some),
            ),
            error,
        ),
    }
}

/// How a parameter after the input is passed, and what the stage stores for it.
fn param(ty: &Type) -> syn::Result<(Pass, Type)> {
    // A `&'static T` is a value like any other, given as it is.
    let r = match ty {
        Type::Reference(r) if !r.lifetime.as_ref().is_some_and(|l| l.ident == "static") => r,
        _ => return Ok((Pass::Owned, ty.clone())),
    };
    if let Some(lifetime) = &r.lifetime {
        if lifetime.ident != "_" {
            return Err(syn::Error::new(
                lifetime.span(),
                "a stage's reference parameter cannot name a lifetime: it borrows the worker's own copy, so write `&T` (or `&'static T` for a reference given as it is)",
            ));
        }
    }
    let elem = &*r.elem;
    let vec = |item: &Type| -> Type { syn::parse_quote!(::std::vec::Vec<#item>) };
    if r.mutability.is_some() {
        let stored = match elem {
            Type::Slice(s) => vec(&s.elem),
            _ => elem.clone(),
        };
        return Ok((Pass::RefMut, stored));
    }
    let stored = match elem {
        Type::Slice(s) => vec(&s.elem),
        Type::Path(p) if p.qself.is_none() && p.path.is_ident("str") => {
            syn::parse_quote!(::std::string::String)
        }
        Type::Path(p) if p.qself.is_none() && is_named(&p.path, "Path") => {
            syn::parse_quote!(::std::path::PathBuf)
        }
        Type::Path(p) if p.qself.is_none() && is_named(&p.path, "OsStr") => {
            syn::parse_quote!(::std::ffi::OsString)
        }
        Type::Path(p) if p.qself.is_none() && is_named(&p.path, "CStr") => {
            syn::parse_quote!(::std::ffi::CString)
        }
        Type::TraitObject(_) | Type::ImplTrait(_) => {
            return Err(syn::Error::new(
                elem.span(),
                "a stage's reference parameter must be to a sized type (or `str`, a slice, `Path`, `OsStr`, `CStr`): the worker keeps its own copy to lend",
            ))
        }
        _ => elem.clone(),
    };
    Ok((Pass::Ref, stored))
}

/// Whether `path` is `name` alone or ends in `std::..::name`.
fn is_named(path: &syn::Path, name: &str) -> bool {
    path.segments
        .last()
        .is_some_and(|s| s.ident == name && s.arguments.is_empty())
        && (path.segments.len() == 1 || path.segments.first().is_some_and(|s| s.ident == "std"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn view(kind: Kind, src: &str) -> syn::Result<StageFn> {
        StageFn::from_syn(kind, &syn::parse_str(src).unwrap(), None)
    }

    fn view_as(src: &str, returns: Returns) -> Return {
        match StageFn::from_syn(Kind::Stage, &syn::parse_str(src).unwrap(), Some(returns)) {
            Ok(view) => view.ret,
            Err(e) => panic!("{e}"),
        }
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
        assert!(view(Kind::Stage, "fn f(x: u64, table: &'a str) -> u64 { }").is_err());
        assert!(view(Kind::Stage, "fn f(x: u64, table: &dyn Fn()) -> u64 { }").is_err());
        assert!(view(Kind::Stage, "async fn f(x: u64) -> u64 { }").is_err());
    }

    #[test]
    fn references_store_what_they_borrow() {
        let s = view(
            Kind::Stage,
            "fn f(x: u64, a: &str, b: &[u8], c: &Path, d: &HashMap<u64, u64>, e: &mut [u8], k: u8, s: &'static str) -> u64 { }",
        )
        .unwrap();
        let stored: Vec<String> = s.args.iter().map(|p| text(&p.stored)).collect();
        assert_eq!(
            stored,
            [
                ":: std :: string :: String",
                ":: std :: vec :: Vec < u8 >",
                ":: std :: path :: PathBuf",
                "HashMap < u64 , u64 >",
                ":: std :: vec :: Vec < u8 >",
                "u8",
                "& 'static str",
            ]
        );
        let passes: Vec<Pass> = s.args.iter().map(|p| p.pass).collect();
        assert_eq!(
            passes,
            [
                Pass::Ref,
                Pass::Ref,
                Pass::Ref,
                Pass::Ref,
                Pass::RefMut,
                Pass::Owned,
                Pass::Owned
            ]
        );
    }

    #[test]
    fn return_types_by_name_or_as_told() {
        let i = |src: &str| view(Kind::Stage, src).unwrap().ret;
        assert!(
            matches!(i("fn f(x: u64) -> io::Result<Option<u64>> { }"), Return::ResultOption(t, _) if text(&t) == "u64")
        );
        assert!(
            matches!(i("fn f(x: u64) -> fmt::Result { }"), Return::Result(t, None) if text(&t).contains("Fallible"))
        );
        assert!(matches!(
            i("fn f(x: u64) -> Parsed<u64> { }"),
            Return::Plain(_)
        ));
        assert!(
            matches!(view_as("fn f(x: u64) -> Parsed { }", Returns::Result), Return::Result(t, _) if text(&t).contains("Fallible"))
        );
        assert!(
            matches!(view_as("fn f(x: u64) -> Parsed<u64> { }", Returns::Result), Return::Result(t, _) if text(&t) == "u64")
        );
        assert!(
            matches!(view_as("fn f(x: u64) -> Result<Option<u64>, E> { }", Returns::Result), Return::Result(t, _) if text(&t) == "Option < u64 >")
        );
        assert!(matches!(
            view_as("fn f(x: u64) -> fmt::Result { }", Returns::Value),
            Return::Plain(_)
        ));
        let p = view(Kind::Producer, "fn f() -> io::Result<Vec<Option<u64>>> { }").unwrap();
        assert!(matches!(p.ret, Return::Result(..)));
    }
}
