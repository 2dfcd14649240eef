//! The macros of the `pipeline` crate: `#[producer]`, `#[stage]`, `#[consumer]` and
//! `pipeline!`. Use them through `pipeline`, whose docs describe them; this crate
//! only parses, checks and expands, and all behaviour lives in the runtime.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use proc_macro::TokenStream;

mod attr;
mod expand_graph;
mod expand_stage;
mod graph;
mod stage_fn;

use stage_fn::Kind;

/// Makes a function over nothing into a pipeline producer. See the `pipeline` crate.
#[proc_macro_attribute]
pub fn producer(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_stage::stage(Kind::Producer, args.into(), item.into()).into()
}

/// Makes a function over a stream or an item into a pipeline stage. See the `pipeline` crate.
#[proc_macro_attribute]
pub fn stage(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_stage::stage(Kind::Stage, args.into(), item.into()).into()
}

/// Makes a function that drains a stream into a pipeline consumer. See the `pipeline` crate.
#[proc_macro_attribute]
pub fn consumer(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_stage::stage(Kind::Consumer, args.into(), item.into()).into()
}

/// Connects stages into a concurrent pipeline. See the `pipeline` crate.
#[proc_macro]
pub fn pipeline(input: TokenStream) -> TokenStream {
    expand_graph::pipeline(input.into()).into()
}
