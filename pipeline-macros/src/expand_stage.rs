//! `#[producer]`, `#[stage]`, `#[consumer]`: the function stays as written, and a stage
//! type of the same name (in the type namespace) implements the runtime's traits.
//!
//! The impls are handed to `#[derive(StageItems)]` on the stage type, which emits them
//! beside it. A function in an `impl` block is thus one error (the type cannot be
//! declared there) instead of one per impl.

use crate::attr::{self, Options, Place};
use crate::stage_fn::{item_type, Arg, Input, Kind, Pass, Return, Returns, StageFn};
use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Type};

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
    if let Some(e) = method_error(kind, &func) {
        return with_error(&func, e);
    }
    let options = attr::parse(Place::Attribute(kind), args);
    let returns = options
        .as_ref()
        .ok()
        .and_then(|o| o.returns.as_ref().map(|r| r.1));
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

/// A method, or a function whose signature names `Self`, is in an `impl` or a trait:
/// a stage needs a type of its own beside the function, so it must be a free function.
fn method_error(kind: Kind, func: &ItemFn) -> Option<syn::Error> {
    let attribute = kind.attribute();
    if let Some(FnArg::Receiver(receiver)) = func.sig.inputs.first() {
        return Some(syn::Error::new(
            receiver.span(),
            format!("#[{attribute}] goes on a free function, not a method: stages must be free functions, so move it out of the `impl` and pass what it needs from `self` as arguments"),
        ));
    }
    // The signature only: a body may hold an `impl` block of its own.
    find_self_type(func.sig.to_token_stream().into_iter()).map(|span| {
        syn::Error::new(
            span,
            format!("#[{attribute}] goes on a free function, and this one names `Self`: stages must be free functions, so move it out of the `impl`"),
        )
    })
}

fn find_self_type(tokens: impl Iterator<Item = TokenTree>) -> Option<Span> {
    for token in tokens {
        match token {
            TokenTree::Ident(ident) if ident == "Self" => return Some(ident.span()),
            TokenTree::Group(group) => {
                if let Some(span) = find_self_type(group.stream().into_iter()) {
                    return Some(span);
                }
            }
            _ => {}
        }
    }
    None
}

fn check(options: &Options, view: &StageFn) -> syn::Result<()> {
    let mut errors: Vec<syn::Error> = Vec::new();
    if let Some(key) = options.ordered.as_ref().filter(|_| !view.is_item_form()) {
        errors.push(syn::Error::new(
            key.span(),
            "`ordered` needs an item-form stage (`fn(item: T) -> U`): a stream-form stage maps a \
             whole stream per worker, so no output can be traced back to the input it came from",
        ));
    }
    if let Some(key) = &options.fallible {
        if view.is_item_form() {
            errors.push(syn::Error::new(
                key.span(),
                "`fallible` is for a producer or a stream-form stage, whose items are `Result`s: \
                 an item-form stage fails by returning `Result<U, E>`, so remove `fallible`",
            ));
        } else if let Some(item) = written_item(view).filter(|item| !may_be_result(item)) {
            let item = quote!(#item).to_string();
            let item = item
                .replace(" < ", "<")
                .replace(" >", ">")
                .replace(" , ", ", ");
            errors.push(syn::Error::new(
                key.span(),
                format!(
                    "a `fallible` stage yields `Result<T, E>` items, but this one yields \
                     `{item}`: remove `fallible`, or yield `Result`s"
                ),
            ));
        }
    }
    if let Some(key) = options.isolate.as_ref().filter(|_| !view.is_item_form()) {
        errors.push(syn::Error::new(
            key.span(),
            "`isolate` needs an item-form #[stage] (`fn(item: T) -> U`): its child processes \
             get items one batch at a time and send each item's result back",
        ));
    }
    if let (Some(_), Some(key)) = (&options.isolate, &options.remote) {
        errors.push(syn::Error::new(
            key.span(),
            "a stage is `isolate` or `remote`, not both: a remote stage's workers are already \
             processes of their own",
        ));
    }
    if options.isolate.is_none() {
        let keys = [
            options.timeout.as_ref().map(|(k, _)| k),
            options.memory.as_ref().map(|(k, _)| k),
            options.on_crash.as_ref().map(|(k, _)| k),
        ];
        for key in keys.into_iter().flatten() {
            errors.push(syn::Error::new(
                key.span(),
                format!(
                    "`{key}` is for an isolated stage, whose workers are child processes: \
                     add `isolate`, e.g. `#[stage(isolate, {key} = ..)]`"
                ),
            ));
        }
    }
    if let Some((key, returns)) = &options.returns {
        let filters = matches!(returns, Returns::Option | Returns::ResultOption);
        if filters && !view.is_item_form() {
            errors.push(syn::Error::new(
                key.span(),
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
fn written_item(view: &StageFn) -> Option<Type> {
    item_type(view.ret.value()).ok().flatten()
}

/// Whether `ty` may name a `Result` (it may be an alias): not a primitive, a tuple,
/// a reference or a well-known type that is not one.
fn may_be_result(ty: &Type) -> bool {
    const NOT_RESULTS: &[&str] = &[
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
        "f32", "f64", "bool", "char", "str", "String", "Vec", "Option", "Box", "PathBuf",
    ];
    match ty {
        Type::Path(p) => p.path.segments.last().map_or(true, |s| {
            !NOT_RESULTS.contains(&s.ident.to_string().as_str())
        }),
        Type::Group(g) => may_be_result(&g.elem),
        Type::Paren(p) => may_be_result(&p.elem),
        _ => false,
    }
}

fn expand(func: &ItemFn, options: &Options, view: &StageFn) -> TokenStream {
    let p = quote!(::pipeline::__private);
    let ident = &func.sig.ident;
    let vis = &func.vis;
    let name = options
        .name
        .as_ref()
        .map(|(_, n)| n.value())
        .unwrap_or_else(|| ident.to_string());
    let doc = format!(
        "The pipeline {} of [`{ident}`](fn@{ident}): name it in `pipeline!` to run `{ident}` on its own threads.",
        view.kind.attribute()
    );
    let stored: Vec<&Type> = view.args.iter().map(|a| &a.stored).collect();
    let args: Vec<TokenStream> = stored.iter().map(|ty| quote!(#p::Arg<#ty>)).collect();
    let indices = (0..stored.len()).map(syn::Index::from);
    let count = Ident::new(
        if options.several_workers() {
            "Several"
        } else {
            "One"
        },
        Span::call_site(),
    );
    let kind = kind_marker(view, options);
    let setters = options.setters(false);
    let input_type = match &view.input {
        Some(Input::Stream(t) | Input::Item(t)) => quote!(#t),
        None => quote!(()),
    };
    let arguments = arguments(ident, &view.args);
    let body = body(ident, vis, view, options);
    let isolated = isolated(ident, view, options);
    let items = quote! {
        #[allow(unknown_lints, unknown_or_malformed_diagnostic_attributes)]
        const _: () = {
            #arguments

            impl #p::Replicate for #ident {
                fn replicate(&self) -> ::core::option::Option<Self> {
                    #[allow(unused_imports)]
                    use #p::{ReplicateByClone as _, ReplicateByShare as _};
                    ::core::option::Option::Some(Self {
                        __args: (#((&#p::Probe(&self.__args.#indices)).replicate()?,)*),
                        __options: ::core::clone::Clone::clone(&self.__options),
                    })
                }
            }

            impl #p::AttrWorkers for #ident {
                type Count = #p::#count;
            }

            impl ::core::fmt::Debug for #ident {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(#name)
                }
            }

            #[diagnostic::do_not_recommend]
            impl #p::StageDef for #ident {
                type Kind = #p::#kind;
                type Args = (#(#args,)*);
                type In = #input_type;
                type Given<const __N: usize, __G> = dyn Arguments<__N, __G>;
                type GivenOne<__G> = dyn OneArgument<__G>;
                fn new(args: Self::Args) -> Self {
                    Self { __args: args, __options: ::core::option::Option::None }
                }
                fn options(&self) -> #p::Options {
                    match &self.__options {
                        ::core::option::Option::Some(options) => ::core::clone::Clone::clone(options),
                        ::core::option::Option::None => #p::Options::new(#name) #setters,
                    }
                }
                fn set_options(&mut self, options: #p::Options) {
                    self.__options = ::core::option::Option::Some(options);
                }
            }

            #body

            #isolated
        };
    };
    quote! {
        #func

        #[derive(#p::StageItems)]
        #[stage_items(#items)]
        #[allow(non_camel_case_types)]
        #[doc = #doc]
        #vis struct #ident {
            __args: (#(#args,)*),
            __options: ::core::option::Option<#p::Options>,
        }
    }
}

/// The traits that check the number of arguments given in `pipeline!`, with a
/// message that names the function and its parameters.
fn arguments(ident: &Ident, args: &[Arg]) -> TokenStream {
    let p = quote!(::pipeline::__private);
    // What `pipeline!` gives: each argument as the stage stores it.
    let types: Vec<TokenStream> = args
        .iter()
        .map(|a| {
            let ty = &a.stored;
            quote!(#p::Arg<#ty>)
        })
        .collect();
    let n = args.len();
    let takes = match args {
        [] => "no arguments".to_owned(),
        [one] => format!("1 argument (`{}`)", one.text),
        _ => {
            let list: Vec<String> = args.iter().map(|a| format!("`{}`", a.text)).collect();
            format!("{n} arguments ({})", list.join(", "))
        }
    };
    let takes = takes.replace('{', "{{").replace('}', "}}");
    let many = format!("`{ident}` takes {takes} but {{__N}} were given");
    let one = format!("`{ident}` takes {takes} but 1 was given");
    let label = match n {
        0 => format!("`{ident}` takes no arguments"),
        1 => format!("`{ident}` takes 1 argument"),
        _ => format!("`{ident}` takes {n} arguments"),
    };
    let given = Ident::new("given", Span::mixed_site());
    quote! {
        #[diagnostic::on_unimplemented(message = #many, label = #label)]
        pub trait Arguments<const __N: usize, __G> {
            fn args(&self, given: __G) -> (#(#types,)*);
        }

        #[diagnostic::on_unimplemented(message = #one, label = #label)]
        pub trait OneArgument<__G> {
            fn args(&self, given: __G) -> (#(#types,)*);
        }

        impl<__T> Arguments<#n, (#(#types,)*)> for __T {
            fn args(&self, #given: (#(#types,)*)) -> (#(#types,)*) {
                #given
            }
        }

        #[diagnostic::do_not_recommend]
        impl<__T: Arguments<1, __G>, __G> OneArgument<__G> for __T {
            fn args(&self, #given: __G) -> (#(#types,)*) {
                Arguments::args(self, #given)
            }
        }

        impl<const __N: usize, __G> #p::Ctor<__G, #ident> for dyn Arguments<__N, __G> {
            fn args(&self, #given: __G) -> (#(#types,)*) {
                Arguments::args(self, #given)
            }
        }

        impl<__G> #p::Ctor<__G, #ident> for dyn OneArgument<__G> {
            fn args(&self, #given: __G) -> (#(#types,)*) {
                OneArgument::args(self, #given)
            }
        }
    }
}

fn kind_marker(view: &StageFn, options: &Options) -> Ident {
    let marker = match (&view.kind, &view.input) {
        (Kind::Producer, _) => "ProducerKind",
        (Kind::Stage, Some(Input::Item(_))) if options.isolate.is_some() => "IsolatedKind",
        (Kind::Stage, Some(Input::Item(_))) if options.remote.is_some() => "RemoteKind",
        (Kind::Stage, Some(Input::Stream(_))) if options.remote.is_some() => "RemoteStreamKind",
        (Kind::Stage, Some(Input::Item(_))) => "ItemKind",
        (Kind::Stage, _) => "StreamKind",
        (Kind::Consumer, _) if options.several_workers() => "ConsumersKind",
        (Kind::Consumer, _) => "ConsumerKind",
    };
    Ident::new(marker, Span::call_site())
}

/// What `isolate` adds: the arguments as serde data, and how the stage joins a
/// stream with its `timeout`, `memory` and `on_crash`. Needs the `isolate` feature,
/// which `isolated_items!` checks.
fn isolated(ident: &Ident, view: &StageFn, options: &Options) -> TokenStream {
    let p = quote!(::pipeline::__private);
    let (key, remote) = match (&options.isolate, &options.remote) {
        (Some(key), _) => (key, false),
        (None, Some(key)) => (key, true),
        (None, None) => return TokenStream::new(),
    };
    let (input_ty, stream_form) = match &view.input {
        Some(Input::Item(input_ty)) => (input_ty, false),
        Some(Input::Stream(input_ty)) if remote => (input_ty, true),
        _ => return TokenStream::new(),
    };
    let value = Ident::new("value", Span::mixed_site());
    let bytes = Ident::new("bytes", Span::mixed_site());
    let names: Vec<Ident> = (0..view.args.len())
        .map(|i| format_ident!("arg{}", i, span = Span::mixed_site()))
        .collect();
    let count = names.len();
    let indices: Vec<syn::Index> = (0..count).map(syn::Index::from).collect();
    let stored: Vec<&Type> = view.args.iter().map(|a| &a.stored).collect();
    // One check per argument type, on its tokens: how each crosses, both ways.
    let codecs = stored
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> <#ty as #p::Crosses>::codec()));
    let codecs_fn = Ident::new("codecs", Span::mixed_site());
    let mut setters = TokenStream::new();
    if let Some((_, timeout)) = &options.timeout {
        setters.extend(quote_spanned!(timeout.span()=> .timeout({ let #value: ::core::time::Duration = #timeout; #value })));
    }
    if let Some((_, memory)) = &options.memory {
        setters
            .extend(quote_spanned!(memory.span()=> .memory({ let #value: u64 = #memory; #value })));
    }
    if let Some((key, true)) = &options.on_crash {
        setters.extend(quote_spanned!(key.span()=> .on_crash(#p::OnCrash::Skip)));
    }
    let out_ty = view.ret.value();
    let stream = Ident::new("stream", Span::mixed_site());
    let options = quote!(#p::StageDef::options(&self));
    let (check, yields, join) = match (remote, stream_form) {
        (false, _) => {
            let isolate = quote_spanned!(input_ty.span()=> <(#input_ty, #out_ty) as #p::ItemsCross<#ident>>::isolate);
            (
                quote_spanned!(key.span()=> #p::isolated_items!),
                quote!(<Self as #p::ItemStage>::Out),
                quote!(#isolate(#stream, #options, #p::Isolation::new() #setters, self)),
            )
        }
        (true, true) => {
            let remote = quote_spanned!(input_ty.span()=> <(#input_ty, <#ident as #p::Transform>::Out) as #p::StreamCross<#ident>>::remote_stream);
            (
                quote_spanned!(key.span()=> #p::remote_items!),
                quote!(<Self as #p::Transform>::Out),
                quote!(#remote(#stream, #options, self)),
            )
        }
        (true, false) => {
            let remote = quote_spanned!(input_ty.span()=> <(#input_ty, #out_ty) as #p::ItemsCross<#ident>>::remote);
            (
                quote_spanned!(key.span()=> #p::remote_items!),
                quote!(<Self as #p::ItemStage>::Out),
                quote!(#remote(#stream, #options, self)),
            )
        }
    };
    let joins = quote! {
        impl #p::Elsewhere for #ident {
            type Yields = #yields;
            fn join(self, #stream: #p::Stream<<Self as #p::StageDef>::In>) -> #p::Stream<Self::Yields> {
                #join
            }
        }
    };
    quote_spanned! {key.span()=>
        #check {
            #[allow(clippy::unused_unit)]
            fn #codecs_fn() -> (#(#p::Codec<#stored>,)*) {
                (#(#codecs,)*)
            }

            impl #p::Portable for #ident {
                fn encode(&self) -> ::core::result::Result<::std::vec::Vec<u8>, #p::BoxError> {
                    let (#(#names,)*) = &self.__args;
                    #[allow(unused_variables, clippy::let_unit_value)]
                    let codecs = #codecs_fn();
                    #p::encode_args(::std::vec![#((codecs.#indices.to_bytes)(#names.for_child()?)?),*])
                }
                fn decode(#bytes: &[u8]) -> ::core::result::Result<Self, #p::BoxError> {
                    let #bytes = #p::decode_args(#bytes, #count)?;
                    #[allow(unused_variables, clippy::let_unit_value)]
                    let codecs = #codecs_fn();
                    ::core::result::Result::Ok(Self {
                        __args: (#(#p::Arg::value((codecs.#indices.from_bytes)(&#bytes[#indices])?),)*),
                        __options: ::core::option::Option::None,
                    })
                }
            }

            #joins
        }
    }
}

/// `E` of the `Result` a function returns: as written, or through the alias.
fn error_type(view: &StageFn) -> Option<TokenStream> {
    let (Return::Result(_, error) | Return::ResultOption(_, error)) = &view.ret else {
        return None;
    };
    Some(match error {
        Some(error) => quote_spanned!(error.span()=> #error),
        None => {
            let output = &view.output;
            quote_spanned!(output.span()=> <#output as ::pipeline::__private::Fallible>::Error)
        }
    })
}

/// The impl of `Produce`, `Transform`, `ItemStage` or `Consume` that calls the function.
/// Its locals are hygienic, so a function named `item`, `input` or `out` is still
/// the function where it is called.
fn body(ident: &Ident, vis: &syn::Visibility, view: &StageFn, options: &Options) -> TokenStream {
    let p = quote!(::pipeline::__private);
    let local = |name: &str| Ident::new(name, Span::mixed_site());
    let (out, input, item) = (local("out"), local("input"), local("item"));
    let names: Vec<Ident> = (0..view.args.len())
        .map(|i| format_ident!("arg{}", i, span = Span::mixed_site()))
        .collect();
    let result = quote!(::core::result::Result<(), #p::BoxError>);
    let value = view.ret.value();
    let error = error_type(view);
    // The function's value, with a `Result`'s error boxed (the error type is checked
    // on its own tokens). `passed` are its arguments after the input.
    let call = |first: Option<&Ident>, passed: &[TokenStream]| {
        let call = match first {
            Some(first) => quote!(#ident(#first #(, #passed)*)),
            None => quote!(#ident(#(#passed),*)),
        };
        match &error {
            Some(error) => {
                let span = error.span();
                quote_spanned!(span=> <#error as #p::StageError>::into_box(#call))
            }
            None => quote!(::core::result::Result::<_, #p::BoxError>::Ok(#call)),
        }
    };
    // A worker that runs the function once makes its arguments on its own thread first.
    let resolve = {
        let each = view.args.iter().zip(&names).map(|(a, n)| match a.pass {
            Pass::RefMut => quote!(let mut #n = #n.resolve();),
            _ => quote!(let #n = #n.resolve();),
        });
        quote! {
            let (#(#names,)*) = self.__args;
            #(#each)*
        }
    };
    let passed: Vec<TokenStream> = view
        .args
        .iter()
        .zip(&names)
        .map(|(a, n)| match a.pass {
            Pass::Owned => quote!(#n),
            Pass::Ref => quote!(&#n),
            Pass::RefMut => quote!(&mut #n),
        })
        .collect();
    // The items a producer or stream-form stage returns, fed into `out`, checked to be
    // an iterator on the return type's tokens; `fallible` items are checked on the
    // option.
    let feed = |items: TokenStream| match &options.fallible {
        Some(key) => quote_spanned!(key.span()=> #p::feed_results(#items?, #out)),
        None => {
            let span = value.span();
            quote_spanned!(span=> <_ as #p::Items>::feed(#items?, #out))
        }
    };
    let item_ty = || {
        let item = match item_type(value).expect("checked by StageFn::from_syn") {
            Some(item) => quote!(#item),
            None => quote_spanned!(value.span()=> <#value as #p::Items>::Item),
        };
        match &options.fallible {
            Some(key) => quote_spanned!(key.span()=> <#item as #p::FallibleItem>::Ok),
            None => item,
        }
    };
    match (&view.kind, &view.input) {
        (Kind::Producer, _) => {
            let item = item_ty();
            let feed = feed(call(None, &passed));
            quote! {
                impl #p::Produce for #ident {
                    type Item = #item;
                    fn produce(self, #out: &mut #p::Output<Self::Item>) -> #result {
                        #resolve
                        #feed
                    }
                }
            }
        }
        (Kind::Stage, Some(Input::Stream(input_ty))) => {
            let item = item_ty();
            let feed = feed(call(Some(&input), &passed));
            quote! {
                impl #p::Transform for #ident {
                    type In = #input_ty;
                    type Out = #item;
                    fn transform(self, #input: #p::Input<Self::In>, #out: &mut #p::Output<Self::Out>) -> #result {
                        #resolve
                        #feed
                    }
                }
            }
        }
        (Kind::Stage, Some(Input::Item(input_ty))) => {
            // Each call gets a clone of an owned argument, checked on its type; a
            // reference to the worker's own value otherwise.
            let passed: Vec<TokenStream> = view
                .args
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let i = syn::Index::from(i);
                    match a.pass {
                        Pass::Owned => {
                            let ty = &a.ty;
                            let each = quote_spanned!(ty.span()=> <#ty as #p::CloneEachItem>::each);
                            quote!(#each(&self.#i))
                        }
                        Pass::Ref => quote!(&self.#i),
                        Pass::RefMut => quote!(&mut self.#i),
                    }
                })
                .collect();
            let call = call(Some(&item), &passed);
            let emit = match view.ret {
                Return::Option(_) | Return::ResultOption(..) => quote!(#call),
                _ => quote!(::core::result::Result::map(#call, ::core::option::Option::Some)),
            };
            let stored = view.args.iter().map(|a| &a.stored);
            quote! {
                /// One worker of the stage: its arguments, made on its own thread.
                #vis struct __PipelineWorker(#(#stored,)*);

                impl #p::ItemStage for #ident {
                    type In = #input_ty;
                    type Out = #value;
                    type Worker = __PipelineWorker;
                    fn start(self) -> __PipelineWorker {
                        let (#(#names,)*) = self.__args;
                        __PipelineWorker(#(#names.resolve(),)*)
                    }
                }

                impl #p::MapItem for __PipelineWorker {
                    type In = #input_ty;
                    type Out = #value;
                    #[inline]
                    fn map(&mut self, #item: Self::In) -> ::core::result::Result<::core::option::Option<Self::Out>, #p::BoxError> {
                        #emit
                    }
                }
            }
        }
        (_, input_view) => {
            let Some(Input::Stream(input_ty)) = input_view else {
                unreachable!("checked by StageFn::from_syn")
            };
            let call = call(Some(&input), &passed);
            quote! {
                impl #p::Consume for #ident {
                    type In = #input_ty;
                    type Output = #value;
                    fn consume(self, #input: #p::Input<Self::In>) -> ::core::result::Result<Self::Output, #p::BoxError> {
                        #resolve
                        #call
                    }
                }
            }
        }
    }
}

/// `#[derive(StageItems)]`: the items in the type's `#[stage_items(..)]` attribute.
pub(crate) fn stage_items(input: TokenStream) -> TokenStream {
    let item: syn::DeriveInput = match syn::parse2(input) {
        Ok(item) => item,
        Err(e) => return e.to_compile_error(),
    };
    item.attrs
        .iter()
        .filter(|a| a.path().is_ident("stage_items"))
        .filter_map(|a| match &a.meta {
            syn::Meta::List(list) => Some(list.tokens.clone()),
            _ => None,
        })
        .collect()
}
