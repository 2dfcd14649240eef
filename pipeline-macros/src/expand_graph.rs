//! `pipeline!`: one call into `::pipeline::__private` per stage, each spanned on the
//! stage's name so type errors (a wrong edge, a stage in the wrong place) land there.

use crate::graph::{Branch, Graph, Node, StageRef};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit};

pub(crate) fn pipeline(input: TokenStream) -> TokenStream {
    match syn::parse2::<Graph>(input) {
        Ok(graph) => expand(&graph),
        Err(e) => e.to_compile_error(),
    }
}

fn expand(graph: &Graph) -> TokenStream {
    let mut sources = graph.sources.iter();
    let first = sources.next().expect("the parser requires one producer");
    let first_stage = construct(first);
    let span = first.path.span();
    let mut body = vec![quote_spanned! {span=>
        let __chain = ::pipeline::__private::source(#first_stage);
    }];
    for source in sources {
        let stage = construct(source);
        let span = source.path.span();
        body.push(quote_spanned! {span=>
            let __chain = ::pipeline::__private::merge(__chain, #stage);
        });
    }
    let end = if graph.rest.is_empty() {
        quote!(::pipeline::__private::end(__chain))
    } else {
        chain(&graph.rest, false)
    };
    quote! {{
        #(#body)*
        #end
    }}
}

/// The expression that continues `__chain` through `nodes`; `in_branch` when the chain
/// is a broadcast branch, which must end in a consumer.
fn chain(nodes: &[Node], in_branch: bool) -> TokenStream {
    let (last, mid) = nodes.split_last().expect("a chain has a node");
    let mut body = Vec::new();
    for node in mid {
        let Node::Stage(stage) = node else {
            unreachable!("the parser puts a broadcast last")
        };
        let span = stage.path.span();
        let built = construct(stage);
        body.push(quote_spanned! {span=>
            let __chain = ::pipeline::__private::then(__chain, #built);
        });
    }
    let end = match last {
        Node::Stage(stage) => {
            let span = stage.path.span();
            let built = construct(stage);
            if in_branch {
                quote_spanned!(span=> ::pipeline::__private::branch(__chain, #built))
            } else {
                quote_spanned!(span=> ::pipeline::__private::last(__chain, #built))
            }
        }
        Node::Broadcast(branches) => broadcast(branches),
    };
    quote! {{
        #(#body)*
        #end
    }}
}

fn broadcast(branches: &[Branch]) -> TokenStream {
    let n = branches.len();
    let names: Vec<_> = (0..n).map(|i| format_ident!("__branch{}", i)).collect();
    let ends = branches.iter().zip(&names).map(|(branch, name)| {
        let rest = chain(&branch.nodes, true);
        quote!({
            let __chain = #name;
            #rest
        })
    });
    quote! {{
        let [#(#names),*] = ::pipeline::__private::broadcast::<_, _, #n>(__chain);
        ::pipeline::__private::join((#(#ends,)*))
    }}
}

/// `<path as StageDef>::new((args,))`, with the options set where it is used, spanned
/// on the user's tokens.
fn construct(stage_ref: &StageRef) -> TokenStream {
    let path = &stage_ref.path;
    let span = path.span();
    let args = match &stage_ref.args {
        Some((paren, args)) => {
            let workers = workers(stage_ref);
            let args = args.iter().map(|arg| argument(path, &workers, arg));
            let paren_span = paren.span.join();
            quote_spanned!(paren_span=> (#(#args,)*))
        }
        None => quote_spanned!(Span::call_site()=> ()),
    };
    let stage = quote_spanned!(span=> <#path as ::pipeline::__private::StageDef>::new(#args));
    if stage_ref.options.is_empty() {
        return stage;
    }
    let setters = stage_ref.options.iter().map(|(key, value)| {
        let span = value.span();
        quote_spanned!(span=> .#key({ let value: usize = #value; value }))
    });
    quote_spanned!(span=> ::pipeline::__private::configure(#stage, |options| options #(#setters)*))
}

/// Whether the stage has several workers, as a type, spanned on what says so: the
/// `workers` option where it is used, else the stage's attribute.
fn workers(stage_ref: &StageRef) -> TokenStream {
    let path = &stage_ref.path;
    match stage_ref.options.iter().find(|(key, _)| key == "workers") {
        Some((_, value)) if is_one(value) => quote!(::pipeline::__private::One),
        Some((key, value)) => {
            let span = key.span().join(value.span()).unwrap_or_else(|| key.span());
            quote_spanned!(span=> ::pipeline::__private::Several)
        }
        None => quote!(<#path as ::pipeline::__private::AttrWorkers>::Count),
    }
}

fn is_one(value: &Expr) -> bool {
    matches!(value, Expr::Lit(ExprLit { lit: Lit::Int(n), .. }) if n.base10_digits() == "1")
}

/// Whether `arg` is written `per_worker(..)` (or `pipeline::per_worker(..)`).
fn is_per_worker(arg: &Expr) -> bool {
    match arg {
        Expr::Call(call) => {
            matches!(&*call.func, Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "per_worker"))
        }
        Expr::Paren(p) => is_per_worker(&p.expr),
        Expr::Group(g) => is_per_worker(&g.expr),
        _ => false,
    }
}

/// An argument as the stage stores it: a `per_worker(..)` closure, or a value, checked
/// (`Send`, and `Clone` for several workers) on the user's tokens.
fn argument(path: &syn::Path, workers: &TokenStream, arg: &Expr) -> TokenStream {
    let span = arg.span();
    if is_per_worker(arg) {
        return quote_spanned!(span=> ::pipeline::__private::Arg::per_worker(#arg));
    }
    // Each check is the trait's own obligation, spanned on what it is about, so rustc
    // reports it there with the trait's message and nothing else. The value is in a
    // block, so that a value of the wrong type is reported as rustc reports it in a
    // tuple (`expected u64, found &str` on the value alone). Whether it is `Clone` is
    // reported on what gives the stage several workers.
    let several = match workers.clone().into_iter().next() {
        Some(first) if workers.to_string().contains("Several") => first.span(),
        _ => span,
    };
    let p = quote_spanned!(span=> ::pipeline::__private);
    let stage = respan(quote!(#path), several);
    let clone = quote_spanned!(several=> <#stage as #p::CloneForWorkers<_, #workers>>::given);
    let brace = Span::mixed_site().located_at(span);
    let block = quote_spanned!(brace=> { #arg });
    quote_spanned!(span=> <_ as #p::SendArg>::into_arg(#clone(#block)))
}

/// `tokens`, every one located at `span`: rustc reports an obligation on a qualified
/// path's self type there.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(g) = &token {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                token = proc_macro2::TokenTree::Group(group);
            }
            token.set_span(span);
            token
        })
        .collect()
}
