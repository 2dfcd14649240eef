//! `#[producer]`, `#[stage]`, `#[consumer]`: the function stays as written, and a stage
//! type of the same name (in the type namespace) implements the runtime's traits.

use crate::attr::{self, Options};
use crate::stage_fn::{item_type, Input, Kind, Pass, Return, Returns, StageFn};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::ItemFn;

/// Expands one attribute. On error the function is still emitted unchanged, beside
/// the `compile_error!`s, so one mistake gives one error and the function stays usable.
pub(crate) fn stage(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(e) => {
            let message = format!("#[{}] goes on a function: {e}", kind.attribute());
            let error = syn::Error::new(e.span(), message).to_compile_error();
            return quote!(#item #error);
        }
    };
    let options = attr::parse(kind, args);
    let returns = options.as_ref().ok().and_then(|o| o.returns.map(|r| r.1));
    let view = StageFn::from_syn(kind, &func, returns);
    match (options, view) {
        (Ok(options), Ok(view)) => match check(&options, &view) {
            Ok(()) => expand(&func, &options, &view),
            Err(e) => with_error(&func, e),
        },
        (Err(mut a), Err(b)) => {
            a.combine(b);
            with_error(&func, a)
        }
        (Err(e), _) | (_, Err(e)) => with_error(&func, e),
    }
}

fn with_error(func: &ItemFn, error: syn::Error) -> TokenStream {
    let error = error.to_compile_error();
    quote!(#func #error)
}

fn check(options: &Options, view: &StageFn) -> syn::Result<()> {
    let mut errors: Vec<syn::Error> = Vec::new();
    if let Some(span) = options.ordered.filter(|_| !view.is_item_form()) {
        errors.push(syn::Error::new(
            span,
            "`ordered` needs an item-form stage (`fn(item: T) -> U`): a stream-form stage maps a \
             whole stream per worker, so no output can be traced back to the input it came from",
        ));
    }
    if let (Some(span), Some(item)) = (options.fallible, written_item(view)) {
        if !view.is_item_form() && !may_be_result(&item) {
            errors.push(syn::Error::new(
                span,
                format!(
                    "a `fallible` stage yields `Result<T, E>` items, but this one yields `{}`: \
                     remove `fallible`, or yield `Result`s",
                    quote!(#item)
                        .to_string()
                        .replace(" < ", "<")
                        .replace(" >", ">")
                        .replace(" , ", ", ")
                ),
            ));
        }
    }
    if let Some(span) = options.fallible.filter(|_| view.is_item_form()) {
        errors.push(syn::Error::new(
            span,
            "`fallible` is for a producer or a stream-form stage, whose items are `Result`s: an \
             item-form stage fails by returning `Result<U, E>`, so remove `fallible`",
        ));
    }
    if let Some((span, returns)) = options.returns {
        let filters = matches!(returns, Returns::Option | Returns::ResultOption);
        if filters && !view.is_item_form() {
            errors.push(syn::Error::new(
                span,
                "`returns = option` and `returns = result_option` are for an item-form #[stage] \
                 (`fn(item: T) -> Option<U>`), where `None` drops the item; here the return \
                 value is `value` or `result`",
            ));
        }
    }
    let mut all = errors.into_iter();
    match all.next() {
        None => Ok(()),
        Some(mut first) => {
            first.extend(all);
            Err(first)
        }
    }
}

/// The item type a producer or stream-form stage yields, where it is written out
/// (`impl Iterator<Item = T>`).
fn written_item(view: &StageFn) -> Option<syn::Type> {
    match view.ret.value() {
        syn::Type::ImplTrait(_) => item_type(view.ret.value()).ok(),
        _ => None,
    }
}

/// Whether `ty` may name a `Result` (it may be an alias): not a primitive, a tuple,
/// a reference or a well-known type that is not one.
fn may_be_result(ty: &syn::Type) -> bool {
    const NOT_RESULTS: &[&str] = &[
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
        "f32", "f64", "bool", "char", "str", "String", "Vec", "Option", "Box", "PathBuf",
    ];
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map_or(true, |s| {
            !NOT_RESULTS.contains(&s.ident.to_string().as_str())
        }),
        syn::Type::Group(g) => may_be_result(&g.elem),
        syn::Type::Paren(p) => may_be_result(&p.elem),
        _ => false,
    }
}

fn expand(func: &ItemFn, options: &Options, view: &StageFn) -> TokenStream {
    let ident = &func.sig.ident;
    let vis = &func.vis;
    let name = options
        .name
        .as_ref()
        .map(|n| n.value())
        .unwrap_or_else(|| ident.to_string());
    let doc = format!(
        "The pipeline {} of [`{ident}`](fn@{ident}): name it in `pipeline!` to run `{ident}` on its own threads.",
        view.kind.attribute()
    );
    let stored: Vec<&syn::Type> = view.args.iter().map(|a| &a.stored).collect();
    let names: Vec<Ident> = (0..stored.len())
        .map(|i| format_ident!("__arg{}", i))
        .collect();
    let indices = (0..stored.len()).map(syn::Index::from);
    let kind = kind_marker(view, options);
    let workers = options
        .workers
        .as_ref()
        .map(|w| quote_spanned!(w.span()=> .workers({ let workers: usize = #w; workers })));
    let buffer = options
        .buffer
        .as_ref()
        .map(|b| quote_spanned!(b.span()=> .buffer({ let buffer: usize = #b; buffer })));
    let ordered = options.ordered.map(|_| quote!(.ordered(true)));
    let body = body(ident, vis, view, options, &names);
    let count = Ident::new(
        if options.several_workers() {
            "Several"
        } else {
            "One"
        },
        Span::call_site(),
    );
    quote! {
        #func

        #[allow(non_camel_case_types)]
        #[doc = #doc]
        #vis struct #ident {
            __args: (#(::pipeline::__private::Arg<#stored>,)*),
            __options: ::core::option::Option<::pipeline::__private::Options>,
        }

        const _: () = {
            impl ::pipeline::__private::Replicate for #ident {
                fn replicate(&self) -> ::core::option::Option<Self> {
                    #[allow(unused_imports)]
                    use ::pipeline::__private::{ReplicateByClone as _, ReplicateByShare as _};
                    ::core::option::Option::Some(Self {
                        __args: (#((&::pipeline::__private::Probe(&self.__args.#indices)).replicate()?,)*),
                        __options: ::core::clone::Clone::clone(&self.__options),
                    })
                }
            }

            impl ::pipeline::__private::AttrWorkers for #ident {
                type Count = ::pipeline::__private::#count;
            }


            impl ::core::fmt::Debug for #ident {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(#name)
                }
            }

            impl ::pipeline::__private::StageDef for #ident {
                type Kind = ::pipeline::__private::#kind;
                type Args = (#(::pipeline::__private::Arg<#stored>,)*);
                fn new(args: Self::Args) -> Self {
                    Self { __args: args, __options: ::core::option::Option::None }
                }
                fn options(&self) -> ::pipeline::__private::Options {
                    match &self.__options {
                        ::core::option::Option::Some(options) => ::core::clone::Clone::clone(options),
                        ::core::option::Option::None => {
                            ::pipeline::__private::Options::new(#name) #workers #buffer #ordered
                        }
                    }
                }
                fn set_options(&mut self, options: ::pipeline::__private::Options) {
                    self.__options = ::core::option::Option::Some(options);
                }
            }

            #body
        };
    }
}

fn kind_marker(view: &StageFn, options: &Options) -> Ident {
    let marker = match (&view.kind, &view.input) {
        (Kind::Producer, _) => "ProducerKind",
        (Kind::Stage, Some(Input::Item(_))) => "ItemKind",
        (Kind::Stage, _) => "StreamKind",
        (Kind::Consumer, _) if options.several_workers() => "ConsumersKind",
        (Kind::Consumer, _) => "ConsumerKind",
    };
    Ident::new(marker, Span::call_site())
}

/// The impl of `Produce`, `Transform`, `ItemStage` or `Consume` that calls the function.
fn body(
    ident: &Ident,
    vis: &syn::Visibility,
    view: &StageFn,
    options: &Options,
    names: &[Ident],
) -> TokenStream {
    let p = quote!(::pipeline::__private);
    let result = quote!(::core::result::Result<(), #p::BoxError>);
    // Spanned on `fallible`, where a check of the items' type is reported.
    let feed = match (&view.ret, options.fallible) {
        (Return::Result(_), None) => quote!(#p::try_feed),
        (_, None) => quote!(#p::feed),
        (Return::Result(_), Some(span)) => quote_spanned!(span=> #p::try_feed_results),
        (_, Some(span)) => quote_spanned!(span=> #p::feed_results),
    };
    let item = |value: &syn::Type| {
        let item = item_type(value).expect("checked by StageFn::from_syn");
        match options.fallible {
            Some(span) => quote_spanned!(span=> <#item as #p::FallibleItem>::Ok),
            None => quote!(#item),
        }
    };
    // A stream-form worker makes its arguments on its own thread, then calls the function.
    let resolve = view.args.iter().zip(names).map(|(a, n)| match a.pass {
        Pass::RefMut => quote!(let mut #n = #n.resolve();),
        _ => quote!(let #n = #n.resolve();),
    });
    let resolve = quote! {
        let (#(#names,)*) = self.__args;
        #(#resolve)*
    };
    let pass: Vec<TokenStream> = view
        .args
        .iter()
        .zip(names)
        .map(|(a, n)| match a.pass {
            Pass::Owned => quote!(#n),
            Pass::Ref => quote!(&#n),
            Pass::RefMut => quote!(&mut #n),
        })
        .collect();
    let value = view.ret.value();
    match (&view.kind, &view.input) {
        (Kind::Producer, _) => {
            let item = item(value);
            quote! {
                impl #p::Produce for #ident {
                    type Item = #item;
                    fn produce(self, out: &mut #p::Output<Self::Item>) -> #result {
                        #resolve
                        #feed(#ident(#(#pass),*), out)
                    }
                }
            }
        }
        (Kind::Stage, Some(Input::Stream(input))) => {
            let item = item(value);
            quote! {
                impl #p::Transform for #ident {
                    type In = #input;
                    type Out = #item;
                    fn transform(self, input: #p::Input<Self::In>, out: &mut #p::Output<Self::Out>) -> #result {
                        #resolve
                        #feed(#ident(input, #(#pass),*), out)
                    }
                }
            }
        }
        (Kind::Stage, Some(Input::Item(input))) => {
            let emit = match view.ret {
                Return::Plain(_) => quote!(#p::emit),
                Return::Option(_) => quote!(#p::emit_option),
                Return::Result(_) => quote!(#p::emit_result),
                Return::ResultOption(_) => quote!(#p::emit_result_option),
            };
            let stored = view.args.iter().map(|a| &a.stored);
            let indices = (0..names.len()).map(syn::Index::from);
            let pass = view.args.iter().zip(indices).map(|(a, i)| match a.pass {
                Pass::Owned => {
                    let ty = &a.ty;
                    let each = quote_spanned!(ty.span()=> <#ty as #p::CloneEachItem>::each);
                    quote!(#each(&self.#i))
                }
                Pass::Ref => quote!(&self.#i),
                Pass::RefMut => quote!(&mut self.#i),
            });
            quote! {
                /// One worker of the stage: its arguments, made on its own thread.
                #vis struct __PipelineWorker(#(#stored,)*);

                impl #p::ItemStage for #ident {
                    type In = #input;
                    type Out = #value;
                    type Worker = __PipelineWorker;
                    fn start(self) -> __PipelineWorker {
                        let (#(#names,)*) = self.__args;
                        __PipelineWorker(#(#names.resolve(),)*)
                    }
                }

                impl #p::MapItem for __PipelineWorker {
                    type In = #input;
                    type Out = #value;
                    #[inline]
                    fn map(&mut self, item: Self::In) -> ::core::result::Result<::core::option::Option<Self::Out>, #p::BoxError> {
                        #emit(#ident(item, #(#pass),*))
                    }
                }
            }
        }
        (_, input) => {
            let Some(Input::Stream(input)) = input else {
                unreachable!("checked by StageFn::from_syn")
            };
            let finish = match view.ret {
                Return::Result(_) => quote!(#p::try_finish),
                _ => quote!(#p::finish),
            };
            quote! {
                impl #p::Consume for #ident {
                    type In = #input;
                    type Output = #value;
                    fn consume(self, input: #p::Input<Self::In>) -> ::core::result::Result<Self::Output, #p::BoxError> {
                        #resolve
                        #finish(#ident(input, #(#pass),*))
                    }
                }
            }
        }
    }
}
