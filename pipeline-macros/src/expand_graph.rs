//! `pipeline!`: one call into `::pipeline::__private` per stage, each spanned on the
//! stage's name so type errors (a wrong edge, a stage in the wrong place) land there.

use crate::graph::{Branch, Graph, Node, StageRef};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

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
            let args = args.iter();
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
