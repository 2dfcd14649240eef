//! `pipeline!`: one block per stage that resolves its name, checks its position and
//! its options, builds it from its arguments and adds it to the stream so far. Every
//! check is spanned on the user's tokens (the stage's name, the option, the list), so
//! a mistake is one error there; see `pipeline_runtime::glue` for how.

use crate::graph::{Flow, List, Pipeline, StageRef};
use crate::valid::{self, ListKind, Name, Pos, Role, Visitor};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

pub(crate) fn pipeline(input: TokenStream) -> TokenStream {
    let parsed: Pipeline = match syn::parse2(input) {
        Ok(parsed) => parsed,
        Err(e) => return errors(e),
    };
    match valid::check(&parsed) {
        Ok(names) => expand(&parsed, &names),
        Err(e) => errors(e),
    }
}

/// Every error as one expression, so that several `compile_error!`s stand where the
/// pipeline was written.
fn errors(e: syn::Error) -> TokenStream {
    let errors = e.to_compile_error();
    quote!({ #errors })
}

fn expand(pipeline: &Pipeline, names: &[Name<'_>]) -> TokenStream {
    let p = private();
    let mut x = Expander {
        frames: Vec::new(),
        taken: vec![0; names.len()],
        value: None,
    };
    let mut lets = Vec::new();
    for (i, l) in pipeline.lets.iter().enumerate() {
        valid::walk(names, i, &l.flow, Pos::Source, Role::Stream, &mut x);
        let value = x.value.take().expect("a flow has a value");
        let uses = names[i].uses;
        let vars: Vec<Ident> = (0..uses).map(|k| stream_var(i, k)).collect();
        if uses == 1 {
            lets.push(quote!(let #(#vars)* = #value;));
        } else {
            let split = quote_spanned!(l.name.span()=> <_ as #p::Broadcast<_>>::split::<#uses>);
            lets.push(quote!(let [#(#vars),*] = #split(#value);));
        }
    }
    valid::walk(
        names,
        names.len(),
        &pipeline.result,
        Pos::Source,
        Role::Result,
        &mut x,
    );
    let result = x.value.take().expect("a flow has a value");
    quote! {{
        #(#lets)*
        #result
    }}
}

fn private() -> TokenStream {
    quote!(::pipeline::__private)
}

/// `::pipeline::__private` spanned at `span`, for an expression whose errors must
/// point there.
fn private_at(span: Span) -> TokenStream {
    quote_spanned!(span=> ::pipeline::__private)
}

/// The stream so far, in each flow's block.
fn chain() -> Ident {
    Ident::new("chain", Span::mixed_site())
}

/// A local of the expansion (hygienic: the user's tokens cannot see it), located at
/// `span` so that an error about it is reported there, not on the whole macro.
fn local_at(name: &str, span: Span) -> Ident {
    Ident::new(name, Span::mixed_site().located_at(span))
}

/// Use number `k` of the stream named by `let` number `i`.
fn stream_var(i: usize, k: usize) -> Ident {
    format_ident!("stream{}_{}", i, k, span = Span::mixed_site())
}

enum Frame<'a> {
    Flow {
        stmts: Vec<TokenStream>,
    },
    List {
        kind: ListKind,
        list: &'a List,
        /// Each flow's value, with where its last element stands.
        items: Vec<(Span, TokenStream)>,
        /// The broadcast's branches, one per flow.
        branches: Vec<Ident>,
    },
}

struct Expander<'a> {
    frames: Vec<Frame<'a>>,
    /// How many uses of each `let` name have been expanded.
    taken: Vec<usize>,
    /// The value of the last top-level flow walked.
    value: Option<TokenStream>,
}

impl<'a> Expander<'a> {
    /// Adds `let chain = value;` to the flow being expanded.
    fn push(&mut self, value: TokenStream) {
        let c = chain();
        match self.frames.last_mut() {
            Some(Frame::Flow { stmts }) => stmts.push(quote!(let #c = #value;)),
            _ => unreachable!("elements are inside a flow"),
        }
    }
}

impl<'a> Visitor<'a> for Expander<'a> {
    fn stage(&mut self, stage: &'a StageRef, pos: Pos, role: Role) {
        let block = stage_block(stage, pos, role);
        self.push(block);
    }

    fn name(&mut self, _: &'a Ident, index: usize, role: Role) {
        let var = stream_var(index, self.taken[index]);
        self.taken[index] += 1;
        let p = private();
        self.push(match role {
            Role::Result => quote!(#p::end(#var)),
            _ => quote!(#var),
        });
    }

    fn list_start(&mut self, list: &'a List, kind: ListKind) {
        let branches = match kind {
            ListKind::BroadcastJoin | ListKind::BroadcastMerge => (0..list.flows.len())
                .map(|i| format_ident!("branch{}", i, span = Span::mixed_site()))
                .collect(),
            ListKind::Join | ListKind::Merge => Vec::new(),
        };
        self.frames.push(Frame::List {
            kind,
            list,
            items: Vec::new(),
            branches,
        });
    }

    fn list_end(&mut self, _: &'a List, _: ListKind, role: Role) {
        let Some(Frame::List {
            kind,
            list,
            items,
            branches,
        }) = self.frames.pop()
        else {
            unreachable!("lists end where they start")
        };
        let p = private();
        let c = chain();
        let prelude = match branches.len() {
            0 => quote!(),
            1 => {
                let only = &branches[0];
                quote!(let #only = #c;)
            }
            n => {
                let split =
                    quote_spanned!(list.bracket.span.join()=> <_ as #p::Broadcast<_>>::split::<#n>);
                quote!(let [#(#branches),*] = #split(#c);)
            }
        };
        let value = match kind {
            ListKind::Merge | ListKind::BroadcastMerge => {
                let merged = Ident::new("merged", Span::mixed_site());
                let mut items = items.into_iter();
                let (_, first) = items.next().expect("a list has a flow");
                let rest = items.map(|(span, item)| {
                    let merge = quote_spanned!(span=> <_ as #p::Merges<_, _, _>>::merge);
                    quote!(let #merged = #merge(#merged, #item);)
                });
                let end = match role {
                    Role::Result => quote!(#p::end(#merged)),
                    _ => quote!(#merged),
                };
                quote!({
                    #prelude
                    let #merged = #first;
                    #(#rest)*
                    #end
                })
            }
            ListKind::Join | ListKind::BroadcastJoin => {
                let items: Vec<TokenStream> = items.into_iter().map(|(_, item)| item).collect();
                let joined = match items.as_slice() {
                    [only] => quote!(#only),
                    _ if items.len() <= MAX_TUPLE => quote!(#p::join((#(#items,)*))),
                    _ => join_many(&p, items),
                };
                quote!({
                    #prelude
                    #joined
                })
            }
        };
        self.push(value);
    }

    fn flow_start(&mut self, _: &'a Flow, first: Pos) {
        let mut stmts = Vec::new();
        if first == Pos::Fed {
            let c = chain();
            match self.frames.last() {
                Some(Frame::List {
                    items, branches, ..
                }) => {
                    let branch = &branches[items.len()];
                    stmts.push(quote!(let #c = #branch;));
                }
                _ => unreachable!("a flow fed by `=>` is a branch of a list"),
            }
        }
        self.frames.push(Frame::Flow { stmts });
    }

    fn flow_end(&mut self, flow: &'a Flow) {
        let Some(Frame::Flow { stmts }) = self.frames.pop() else {
            unreachable!("flows end where they start")
        };
        let c = chain();
        let value = quote!({
            #(#stmts)*
            #c
        });
        match self.frames.last_mut() {
            Some(Frame::List { items, .. }) => {
                let last = flow.elements.last().expect("a flow has an element");
                items.push((last.span(), value));
            }
            Some(Frame::Flow { .. }) => unreachable!("a flow is inside a list"),
            None => self.value = Some(value),
        }
    }

    fn error(&mut self, _: syn::Error, _: Option<usize>) {
        unreachable!("valid::check reported every mistake before expansion")
    }
}

/// The block that adds one stage: name its type by a marker (see [`resolve`]), check
/// where it stands and its options, build it, and hand it to the glue function of its
/// place. Every check is asked of the marker, `<_ as Check<_>>::ok(flag, marker)`, so
/// its `Self` is the stage, inferred, and its error is the check's own message.
fn stage_block(stage: &StageRef, pos: Pos, role: Role) -> TokenStream {
    let span = stage.span();
    let p = private_at(span);
    let c = local_at("chain", span);
    let m = local_at("stage_type", span);
    let resolve = resolve(stage, &m);
    let check = |name: &str, flag: &str| {
        let (name, flag) = (Ident::new(name, span), Ident::new(flag, span));
        quote_spanned!(span=> <_ as #p::#name<_>>::ok(<_ as #p::StageDef>::#flag(#m), #m);)
    };
    let mut checks = Vec::new();
    match pos {
        Pos::Source => checks.push(check("StartsFlow", "starting")),
        Pos::Fed => checks.push(check("TakesInput", "reading")),
    }
    match (pos, role) {
        (Pos::Fed, Role::Stream) => checks.push(check("HasSuccessor", "yielding")),
        (Pos::Fed, Role::Branch) => checks.push(check("EndsBranch", "ending")),
        _ => {}
    }
    if let Some((_, options)) = &stage.options {
        // Spanned on the option: the error is reported where its `Self` type is written.
        if let Some(key) = &options.ordered {
            let span = key.span();
            let p = private_at(span);
            checks.push(quote_spanned!(span=>
                <_ as #p::OrderedItemForm<_>>::ok(<_ as #p::StageDef>::ordering(#m), #m);
                <_ as #p::OrderedStage<_>>::ok(<_ as #p::StageDef>::ordering(#m), #m);
            ));
        }
        if options.literally_several_workers() {
            let (key, _) = options.workers.as_ref().expect("workers are given");
            let span = key.span();
            let p = private_at(span);
            checks.push(quote_spanned!(span=>
                <_ as #p::SeveralWorkers<_>>::ok(<_ as #p::StageDef>::working(#m), #m);
            ));
        }
    }
    let connect = (pos == Pos::Fed).then(|| {
        quote_spanned!(span=>
            let #c = <_ as #p::Connects<_, _, _, _>>::connect(
                <_ as #p::StageDef>::checked(#m),
                <_ as #p::StageDef>::input(#m),
                #m,
                #c,
            );
        )
    });
    let built = local_at("stage", span);
    let construct = construct(stage, &m, &built);
    let call = match (pos, role) {
        (Pos::Source, Role::Result) => {
            quote_spanned!(span=> #p::end(<_ as #p::StageDef>::head(#built)))
        }
        (Pos::Source, _) => quote_spanned!(span=> <_ as #p::StageDef>::head(#built)),
        (Pos::Fed, Role::Stream) => quote_spanned!(span=> <_ as #p::StageDef>::then(#built, #c)),
        (Pos::Fed, Role::Result) => quote_spanned!(span=> <_ as #p::StageDef>::last(#built, #c)),
        (Pos::Fed, Role::Branch) => quote_spanned!(span=> <_ as #p::StageDef>::branch(#built, #c)),
    };
    quote_spanned!(span=> {
        #resolve
        #(#checks)*
        #connect
        #construct
        #call
    })
}

/// `let stage_type = named(|path { .. }| {});`: the stage's type, as a `Marker`
/// (`pipeline_runtime::glue`) inferred from the pattern of a closure that is never called. A struct pattern's
/// path resolves in the type namespace, among structs only: a local variable of the
/// same name (`records(records)`) does not get in the way, a stage defined inside a
/// function body is found, and a misspelt name is one error, on the name, that can
/// only suggest a similarly named struct (a stage), never a trait in scope. A name
/// that is no stage type makes the marker an error, so every later check is silent.
fn resolve(stage: &StageRef, m: &Ident) -> TokenStream {
    let path = &stage.path;
    let p = private_at(path.span());
    quote_spanned!(path.span()=> let #m = #p::named(|#path { .. }| {});)
}

/// `let stage = ..;`: the stage built from its arguments, their number checked by
/// the stage's own `Arguments` trait, with the options set where it is used. Spanned
/// on the stage's name, where their errors go.
fn construct(stage: &StageRef, m: &Ident, built: &Ident) -> TokenStream {
    let span = stage.span();
    let p = private_at(span);
    let (args, n) = match &stage.args {
        Some((paren, args)) => {
            let n = args.len();
            let workers = workers(stage, m);
            let args = args.iter().map(|arg| argument(span, m, &workers, arg));
            (quote_spanned!(paren.span.join()=> (#(#args,)*)), n)
        }
        None => (quote_spanned!(span=> ()), 0),
    };
    let construct = match n {
        1 => quote_spanned!(span=> <_ as #p::StageDef>::construct_one),
        _ => quote_spanned!(span=> <_ as #p::StageDef>::construct::<#n, _>),
    };
    let configure = stage
        .options
        .as_ref()
        .filter(|(_, options)| !options.is_empty())
        .map(|(_, options)| {
            let setters = options.setters(true);
            let options = local_at("options", span);
            quote_spanned!(span=>
                let #built = <_ as #p::StageDef>::configure(#built, |#options| #options #setters);
            )
        });
    // `GIVEN` is coerced to the stage's `&dyn Arguments<N, _>`, which only the right
    // `N` allows: the count's check, on the stage's name.
    quote_spanned!(span=>
        let #built = #construct(#m, #p::GIVEN, #args);
        #configure
    )
}

/// Whether the stage has several workers, as a type (`One`, `Several`, or the
/// attribute's), and the span of the `workers` option where it is used, if it asks
/// for several.
fn workers(stage: &StageRef, m: &Ident) -> (TokenStream, Option<Span>) {
    let p = private_at(stage.span());
    let workers = stage.options.as_ref().and_then(|(_, o)| o.workers.as_ref());
    match workers {
        Some((_, value)) if is_one(value) => (quote!(#p::Marker::<#p::One>::NEW), None),
        Some((key, _)) => (quote!(#p::Marker::<#p::Several>::NEW), Some(key.span())),
        None => (quote!(<_ as #p::AttrWorkers>::count(#m)), None),
    }
}

fn is_one(value: &syn::Expr) -> bool {
    matches!(value, syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(n), .. }) if n.base10_digits() == "1")
}

/// Whether `arg` is written `per_worker(..)` (or `pipeline::per_worker(..)`).
fn is_per_worker(arg: &syn::Expr) -> bool {
    match arg {
        syn::Expr::Call(call) => matches!(&*call.func, syn::Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident == "per_worker")),
        syn::Expr::Paren(p) => is_per_worker(&p.expr),
        syn::Expr::Group(g) => is_per_worker(&g.expr),
        _ => false,
    }
}

/// An argument as the stage stores it: a `per_worker(..)` closure, or a value checked
/// to be `Send`, and `Clone` when the stage has several workers.
///
/// Each check is the trait's own obligation on a qualified path, spanned on what it
/// is about, so rustc reports it there with the trait's message and nothing else: the
/// value's, on the value; `Clone`'s, on the `workers` option where the stage is used,
/// else on the stage (whose attribute gives the workers). The value is in a block, so
/// that a value of the wrong type is reported as rustc reports it in a tuple
/// (`expected u64, found &str` on the value alone).
fn argument(
    stage: Span,
    m: &Ident,
    workers: &(TokenStream, Option<Span>),
    arg: &syn::Expr,
) -> TokenStream {
    let span = arg.span();
    let p = private_at(span);
    if is_per_worker(arg) {
        return quote_spanned!(span=> #p::Arg::per_worker(#arg));
    }
    let (count, option) = workers;
    let at = option.unwrap_or(stage);
    let pa = private_at(at);
    let clone = quote_spanned!(at=> <_ as #pa::CloneForWorkers<_, _>>::given);
    let brace = Span::mixed_site().located_at(span);
    let block = quote_spanned!(brace=> { #arg });
    quote_spanned!(span=> <_ as #p::SendArg>::into_arg(#clone(#count, #m, #block)))
}

/// The most pipelines the runtime joins into one tuple at once.
const MAX_TUPLE: usize = 8;

/// Joins more than [`MAX_TUPLE`] pipelines: in nested tuples of at most that many,
/// then flattened into one tuple, in order.
fn join_many(p: &TokenStream, items: Vec<TokenStream>) -> TokenStream {
    let names: Vec<Ident> = (0..items.len())
        .map(|i| Ident::new(&format!("value{i}"), Span::mixed_site()))
        .collect();
    let (nested, pattern) = nest(p, items, names.clone());
    quote!(#p::Pipeline::map_output(#nested, |#pattern| (#(#names,)*)))
}

/// Groups `items` (and the names of their values) by [`MAX_TUPLE`] until one group is
/// left: the joined pipeline and the pattern that takes its tuple apart.
fn nest(p: &TokenStream, items: Vec<TokenStream>, names: Vec<Ident>) -> (TokenStream, TokenStream) {
    if items.len() == 1 {
        let name = &names[0];
        return (items.into_iter().next().expect("one item"), quote!(#name));
    }
    if items.len() <= MAX_TUPLE {
        return (quote!(#p::join((#(#items,)*))), quote!((#(#names,)*)));
    }
    let size = items.len().div_ceil(MAX_TUPLE);
    let mut groups = Vec::new();
    let mut patterns = Vec::new();
    let mut items = items.into_iter();
    for chunk in names.chunks(size) {
        let group: Vec<TokenStream> = items.by_ref().take(chunk.len()).collect();
        let (joined, pattern) = nest(p, group, chunk.to_vec());
        groups.push(joined);
        patterns.push(pattern);
    }
    (quote!(#p::join((#(#groups,)*))), quote!((#(#patterns,)*)))
}
