//! What each element of a `pipeline!` means where it stands, and the mistakes that
//! need no type to be seen: a stream name never used, used before its `let`, given
//! input; a branch of the result list with no stage to end it.
//!
//! [`walk`] visits every element in the order the expansion emits them and tells a
//! [`Visitor`] what each one is; the checks here and the expansion are two visitors,
//! so they cannot disagree.

use crate::graph::{Element, Flow, List, Pipeline, StageRef};
use proc_macro2::Span;
use syn::Ident;

/// Where an element stands.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Pos {
    /// Starts a flow: a producer, a stream name or a list of flows to merge.
    Source,
    /// After `=>`, or first in a branch of a list after `=>`: it takes input.
    Fed,
}

/// What is made of the end of a flow.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Role {
    /// A stream that something follows: a `let`, a merged flow, a stage with a successor.
    Stream,
    /// The end of the whole pipeline: a consumer's value, or a stream to iterate.
    Result,
    /// A branch of the list that ends the pipeline: one value, from a consumer.
    Branch,
}

/// What a list does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ListKind {
    /// Merges the streams of its flows (it starts a flow, or something follows it).
    Merge,
    /// Broadcasts its input to its flows, then merges what they yield.
    BroadcastMerge,
    /// One value per flow: it ends the pipeline (or a branch of the result).
    Join,
    /// Broadcasts its input to its flows, one value per flow.
    BroadcastJoin,
}

/// A name defined by `let`, and how often later flows use it.
pub(crate) struct Name<'a> {
    pub ident: &'a Ident,
    pub uses: usize,
}

/// Told about each element, in order.
pub(crate) trait Visitor<'a> {
    /// A stage: `pos` and `role` say which checks and which glue function apply.
    fn stage(&mut self, stage: &'a StageRef, pos: Pos, role: Role);
    /// A use of the stream named by `lets[index]`.
    fn name(&mut self, ident: &'a Ident, index: usize, role: Role);
    /// A list, before its flows.
    fn list_start(&mut self, list: &'a List, kind: ListKind);
    /// The end of a list, whose value takes `role`.
    fn list_end(&mut self, list: &'a List, kind: ListKind, role: Role);
    /// Between two flows of a list.
    fn list_next(&mut self, _list: &'a List, _flow: &'a Flow) {}
    /// Before the elements of a flow.
    fn flow_start(&mut self, _flow: &'a Flow, _first: Pos) {}
    /// After the elements of a flow.
    fn flow_end(&mut self, _flow: &'a Flow) {}
    /// A mistake seen while walking; `name` is the `let` it misuses, which counts as
    /// a use, so that the name is not also reported as never used.
    fn error(&mut self, error: syn::Error, name: Option<usize>);
}

/// Whether a bare identifier names a stream defined by an earlier `let`.
fn defined_before<'a>(lets: &[Name<'a>], before: usize, ident: &Ident) -> Option<usize> {
    lets[..before].iter().rposition(|n| n.ident == ident)
}

/// Visits the flow of `let` number `before` (or the result, `before == lets.len()`).
pub(crate) fn walk<'a, V: Visitor<'a>>(
    names: &[Name<'a>],
    before: usize,
    flow: &'a Flow,
    first: Pos,
    role: Role,
    v: &mut V,
) {
    let walker = Walker { names, before };
    walker.flow(flow, first, role, v);
}

struct Walker<'n, 'a> {
    names: &'n [Name<'a>],
    before: usize,
}

impl<'n, 'a> Walker<'n, 'a> {
    fn flow<V: Visitor<'a>>(&self, flow: &'a Flow, first: Pos, role: Role, v: &mut V) {
        v.flow_start(flow, first);
        let last = flow.elements.len() - 1;
        for (i, element) in flow.elements.iter().enumerate() {
            let pos = if i == 0 { first } else { Pos::Fed };
            let here = if i == last { role } else { Role::Stream };
            self.element(element, pos, here, v);
        }
        v.flow_end(flow);
    }

    fn element<V: Visitor<'a>>(&self, element: &'a Element, pos: Pos, role: Role, v: &mut V) {
        match element {
            Element::Stage(stage) => self.stage(stage, pos, role, v),
            Element::List(list) => self.list(list, pos, role, v),
        }
    }

    fn stage<V: Visitor<'a>>(&self, stage: &'a StageRef, pos: Pos, role: Role, v: &mut V) {
        let named = |ident: &Ident| self.names.iter().any(|n| n.ident == ident);
        let index_of = |ident: &Ident| self.names.iter().rposition(|n| n.ident == ident);
        if let Some(ident) = stage.bare_name().filter(|i| named(i)) {
            match defined_before(self.names, self.before, ident) {
                None => v.error(
                    syn::Error::new(
                        ident.span(),
                        format!("`{ident}` is used before it is defined: a stream name can only be used after its `let`"),
                    ),
                    index_of(ident),
                ),
                Some(index) if pos == Pos::Fed => v.error(
                    syn::Error::new(
                        ident.span(),
                        format!("`{ident}` names a stream, so it cannot take input: a name starts a flow, as in `{ident} => parse`"),
                    ),
                    Some(index),
                ),
                Some(index) if role == Role::Branch => {
                    v.error(no_consumer(ident.span()), Some(index))
                }
                Some(index) => v.name(ident, index, role),
            }
            return;
        }
        if let Some(ident) = stage.path.get_ident().filter(|i| named(i)) {
            v.error(
                syn::Error::new(
                    ident.span(),
                    format!("`{ident}` names a stream, so it takes no arguments or options: only a stage does"),
                ),
                index_of(ident),
            );
            return;
        }
        if pos == Pos::Source && role == Role::Branch {
            v.error(no_consumer(stage.span()), None);
            return;
        }
        v.stage(stage, pos, role);
    }

    fn list<V: Visitor<'a>>(&self, list: &'a List, pos: Pos, role: Role, v: &mut V) {
        let ends = role != Role::Stream;
        let sources_only = list
            .flows
            .iter()
            .all(|f| f.elements.len() == 1 && matches!(f.elements[0], Element::Stage(_)));
        let (kind, first, each) = match (pos, ends) {
            (Pos::Source, false) => (ListKind::Merge, Pos::Source, Role::Stream),
            // `[a(..), b(..)]` alone: merged, to iterate over.
            (Pos::Source, true) if sources_only && role == Role::Result => {
                (ListKind::Merge, Pos::Source, Role::Stream)
            }
            (Pos::Source, true) => (ListKind::Join, Pos::Source, Role::Branch),
            (Pos::Fed, false) => (ListKind::BroadcastMerge, Pos::Fed, Role::Stream),
            (Pos::Fed, true) => (ListKind::BroadcastJoin, Pos::Fed, Role::Branch),
        };
        v.list_start(list, kind);
        for (i, flow) in list.flows.iter().enumerate() {
            if i > 0 {
                v.list_next(list, flow);
            }
            self.flow(flow, first, each, v);
        }
        v.list_end(list, kind, role);
    }
}

impl Element {
    pub fn span(&self) -> Span {
        match self {
            Element::Stage(stage) => stage.span(),
            Element::List(list) => list.bracket.span.join(),
        }
    }
}

fn no_consumer(span: Span) -> syn::Error {
    syn::Error::new(
        span,
        "this branch of the result list has no consumer: the pipeline's result is one value per branch, so each branch must end in a #[consumer] (`a => total`)",
    )
}

/// Checks the names and positions; returns each `let`'s name and its number of uses.
pub(crate) fn check(pipeline: &Pipeline) -> syn::Result<Vec<Name<'_>>> {
    let mut names: Vec<Name<'_>> = Vec::new();
    let mut errors = Errors::default();
    for l in &pipeline.lets {
        if names.iter().any(|n| *n.ident == l.name) {
            errors.push(syn::Error::new(
                l.name.span(),
                format!(
                    "`{}` is already defined: each `let` needs a name of its own",
                    l.name
                ),
            ));
        }
        names.push(Name {
            ident: &l.name,
            uses: 0,
        });
    }
    let mut counter = Counter {
        uses: vec![0; names.len()],
        errors,
    };
    for (i, l) in pipeline.lets.iter().enumerate() {
        walk(&names, i, &l.flow, Pos::Source, Role::Stream, &mut counter);
    }
    walk(
        &names,
        names.len(),
        &pipeline.result,
        Pos::Source,
        Role::Result,
        &mut counter,
    );
    let Counter { uses, mut errors } = counter;
    for (name, uses) in names.iter_mut().zip(uses) {
        name.uses = uses;
        if uses == 0 {
            errors.push(syn::Error::new(
                name.ident.span(),
                format!(
                    "`{}` is never used: a stream named by `let` must feed a later flow",
                    name.ident
                ),
            ));
        }
    }
    errors.finish(names)
}

#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.0 {
            Some(e) => Err(e),
            None => Ok(value),
        }
    }
}

struct Counter {
    uses: Vec<usize>,
    errors: Errors,
}

impl<'a> Visitor<'a> for Counter {
    fn stage(&mut self, _: &'a StageRef, _: Pos, _: Role) {}
    fn name(&mut self, _: &'a Ident, index: usize, _: Role) {
        self.uses[index] += 1;
    }
    fn list_start(&mut self, _: &'a List, _: ListKind) {}
    fn list_end(&mut self, _: &'a List, _: ListKind, _: Role) {}
    fn error(&mut self, error: syn::Error, name: Option<usize>) {
        if let Some(index) = name {
            self.uses[index] += 1;
        }
        self.errors.push(error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_str(src: &str) -> Result<Vec<usize>, String> {
        let pipeline: Pipeline = syn::parse_str(src).unwrap();
        check(&pipeline)
            .map(|names| names.iter().map(|n| n.uses).collect())
            .map_err(|e| {
                e.into_iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
    }

    #[test]
    fn counts_the_uses_of_each_name() {
        assert_eq!(
            check_str("let a = n(1); let b = [a => s, a => t] => u; [b => c, a => d]"),
            Ok(vec![3, 1])
        );
        assert_eq!(check_str("let a = n(1); a"), Ok(vec![1]));
        assert_eq!(check_str("let a = n(1); [a, a] => total"), Ok(vec![2]));
    }

    #[test]
    fn names_must_be_defined_before_and_used() {
        let e = check_str("let a = b => s; let b = n(1); a => c").unwrap_err();
        assert!(e.contains("`b` is used before it is defined"), "{e}");
        let e = check_str("let a = n(1); n(2) => c").unwrap_err();
        assert!(e.contains("`a` is never used"), "{e}");
        let e = check_str("let a = n(1); let a = n(2); a => c").unwrap_err();
        assert!(e.contains("`a` is already defined"), "{e}");
        let e = check_str("let a = n(1); n(2) => a => c").unwrap_err();
        assert!(
            e.contains("`a` names a stream, so it cannot take input"),
            "{e}"
        );
        let e = check_str("let a = n(1); a(3) => c").unwrap_err();
        assert!(e.contains("takes no arguments or options"), "{e}");
    }

    #[test]
    fn every_branch_of_the_result_needs_a_consumer() {
        assert!(check_str("[n(1), m(2)]").is_ok());
        let e = check_str("[n(1) => c, m(2)]").unwrap_err();
        assert!(e.contains("has no consumer"), "{e}");
        let e = check_str("let a = n(1); [a => c, a]").unwrap_err();
        assert!(e.contains("has no consumer"), "{e}");
        assert!(check_str("n(1) => [a, b, c, d, e, f, g, h, i]").is_ok());
        assert!(check_str("n(1) => [a, b, c, d, e, f, g, h, i] => m").is_ok());
    }
}
