//! `#[producer]`, `#[stage]`, `#[consumer]`: the function stays as written, and a stage
//! type of the same name (in the type namespace) implements the runtime's traits.

use crate::attr::{self, Options};
use crate::stage_fn::{item_type, Input, Kind, Return, StageFn};
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
    let view = StageFn::from_syn(kind, &func);
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
    match options.ordered {
        Some(span) if !view.is_item_form() => Err(syn::Error::new(
            span,
            "`ordered` needs an item-form stage (`fn(item: T) -> U`): a stream-form stage maps a \
             whole stream per worker, so no output can be traced back to the input it came from",
        )),
        _ => Ok(()),
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
    let args = &view.args;
    let names: Vec<Ident> = (0..args.len())
        .map(|i| format_ident!("__arg{}", i))
        .collect();
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
    let body = body(ident, view, &names);
    let clones = args
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> ::pipeline::__private::assert_clone::<#ty>();));
    quote! {
        #func

        #[allow(non_camel_case_types)]
        #[doc = #doc]
        #vis struct #ident {
            __args: (#(#args,)*),
            __options: ::core::option::Option<::pipeline::__private::Options>,
        }

        const _: () = {
            impl ::core::clone::Clone for #ident {
                fn clone(&self) -> Self {
                    #(#clones)*
                    Self {
                        __args: ::core::clone::Clone::clone(&self.__args),
                        __options: ::core::clone::Clone::clone(&self.__options),
                    }
                }
            }

            impl ::core::fmt::Debug for #ident {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(#name)
                }
            }

            impl ::pipeline::__private::StageDef for #ident {
                type Kind = ::pipeline::__private::#kind;
                type Args = (#(#args,)*);
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

/// The impl of `Produce`, `Transform`, `MapItem` or `Consume` that calls the function.
fn body(ident: &Ident, view: &StageFn, names: &[Ident]) -> TokenStream {
    let p = quote!(::pipeline::__private);
    let result = quote!(::core::result::Result<(), #p::BoxError>);
    let feed = match view.ret {
        Return::Result(_) => quote!(#p::try_feed),
        _ => quote!(#p::feed),
    };
    let value = view.ret.value();
    match (&view.kind, &view.input) {
        (Kind::Producer, _) => {
            let item = item_type(value).expect("checked by StageFn::from_syn");
            quote! {
                impl #p::Produce for #ident {
                    type Item = #item;
                    fn produce(self, out: &mut #p::Output<Self::Item>) -> #result {
                        let (#(#names,)*) = self.__args;
                        #feed(#ident(#(#names),*), out)
                    }
                }
            }
        }
        (Kind::Stage, Some(Input::Stream(input))) => {
            let item = item_type(value).expect("checked by StageFn::from_syn");
            quote! {
                impl #p::Transform for #ident {
                    type In = #input;
                    type Out = #item;
                    fn transform(self, input: #p::Input<Self::In>, out: &mut #p::Output<Self::Out>) -> #result {
                        let (#(#names,)*) = self.__args;
                        #feed(#ident(input, #(#names),*), out)
                    }
                }
            }
        }
        (Kind::Stage, Some(Input::Item(input))) => {
            let emit = match view.ret {
                Return::Plain(_) => quote!(#p::emit),
                Return::Option(_) => quote!(#p::emit_option),
                Return::Result(_) => quote!(#p::emit_result),
            };
            quote! {
                impl #p::MapItem for #ident {
                    type In = #input;
                    type Out = #value;
                    #[inline]
                    fn map(&mut self, item: Self::In) -> ::core::result::Result<::core::option::Option<Self::Out>, #p::BoxError> {
                        let (#(#names,)*) = ::core::clone::Clone::clone(&self.__args);
                        #emit(#ident(item, #(#names),*))
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
                        let (#(#names,)*) = self.__args;
                        #finish(#ident(input, #(#names),*))
                    }
                }
            }
        }
    }
}
