//! The syntax of a `pipeline!` input: flows of stages joined by `=>`, lists `[..]` of
//! flows, and streams named by `let`.
//!
//! ```text
//! pipeline := ('let' NAME '=' flow ';')* flow ';'?
//! flow     := element ('=>' element)*
//! element  := stage | '[' flow (',' flow)* ','? ']'
//! stage    := path ('(' expr,* ')')? ('[' option,* ']')?
//! option   := 'workers' '=' expr | 'buffer' '=' expr | 'name' '=' STRING | 'ordered'
//! ```
//!
//! What an element means depends on where it stands (see `valid.rs`): a list at the
//! start of a flow merges its flows; a list after `=>` broadcasts to them; a list
//! followed by `=>` merges what its flows yield; the list that ends the pipeline
//! gives one value per flow. A bare name defined by an earlier `let` is that stream.

use crate::attr::{self, Place};
use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{bracketed, parenthesized, token, Expr, Ident, Path, Token};

/// A stage named in `pipeline!`, with the arguments written after it and the options
/// set where it is used (`hash[workers = n]`).
pub(crate) struct StageRef {
    pub path: Path,
    pub args: Option<(token::Paren, Punctuated<Expr, Token![,]>)>,
    pub options: Option<(token::Bracket, attr::Options)>,
}

impl StageRef {
    /// The name, when it is one identifier with nothing after it: maybe a `let` name.
    pub fn bare_name(&self) -> Option<&Ident> {
        match (&self.args, &self.options) {
            (None, None) => self.path.get_ident(),
            _ => None,
        }
    }

    pub fn span(&self) -> Span {
        self.path.span()
    }
}

/// `[a, b => c, ..]`.
pub(crate) struct List {
    pub bracket: token::Bracket,
    pub flows: Vec<Flow>,
}

pub(crate) enum Element {
    Stage(Box<StageRef>),
    List(List),
}

/// Elements joined by `=>`; never empty.
pub(crate) struct Flow {
    pub elements: Vec<Element>,
}

/// `let NAME = flow;`
pub(crate) struct Let {
    pub name: Ident,
    pub flow: Flow,
}

pub(crate) struct Pipeline {
    pub lets: Vec<Let>,
    pub result: Flow,
}

const STAGE_EXPECTED: &str = "expected a stage name, e.g. `parse` or `read(path)`";

impl Parse for StageRef {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() || input.peek(Token![=>]) || input.peek(Token![,]) {
            return Err(input.error(STAGE_EXPECTED));
        }
        let path: Path = input
            .call(Path::parse_mod_style)
            .map_err(|e| syn::Error::new(e.span(), STAGE_EXPECTED))?;
        let args = if input.peek(token::Paren) {
            let content;
            let paren = parenthesized!(content in input);
            Some((paren, content.parse_terminated(Expr::parse, Token![,])?))
        } else {
            None
        };
        let options = if input.peek(token::Bracket) {
            let content;
            let bracket = bracketed!(content in input);
            let tokens: TokenStream = content.parse()?;
            Some((bracket, attr::parse(Place::Use, tokens)?))
        } else {
            None
        };
        Ok(StageRef {
            path,
            args,
            options,
        })
    }
}

impl Parse for Element {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(token::Bracket) {
            let content;
            let bracket = bracketed!(content in input);
            let flows = Punctuated::<Flow, Token![,]>::parse_terminated(&content)?;
            if flows.is_empty() {
                return Err(syn::Error::new(
                    bracket.span.join(),
                    "an empty list: write at least one flow between `[` and `]`",
                ));
            }
            Ok(Element::List(List {
                bracket,
                flows: flows.into_iter().collect(),
            }))
        } else {
            Ok(Element::Stage(Box::new(input.parse()?)))
        }
    }
}

impl Parse for Flow {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        Flow::parse_until(input, "expected `=>` between stages")
    }
}

impl Flow {
    /// Elements joined by `=>`, up to `,`, `;` or the end; `expected` is the message
    /// for anything else.
    fn parse_until(input: ParseStream, expected: &str) -> syn::Result<Self> {
        let mut elements = vec![input.parse()?];
        while !input.is_empty() && !input.peek(Token![,]) && !input.peek(Token![;]) {
            input
                .parse::<Token![=>]>()
                .map_err(|e| syn::Error::new(e.span(), expected))?;
            elements.push(input.parse()?);
        }
        Ok(Flow { elements })
    }
}

impl Parse for Pipeline {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input
                .error("expected a pipeline, e.g. `pipeline!(numbers(10) => square => total)`"));
        }
        let mut lets = Vec::new();
        while input.peek(Token![let]) {
            input.parse::<Token![let]>()?;
            let name: Ident = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected a name for the stream, e.g. `let lines = read(path);`",
                )
            })?;
            input.parse::<Token![=]>()?;
            let flow = Flow::parse_until(
                input,
                "expected `=>` between stages, or `;` after the flow that `let` names",
            )?;
            input.parse::<Token![;]>()?;
            lets.push(Let { name, flow });
            if input.is_empty() {
                return Err(input.error(
                    "expected the pipeline after its `let`s: a last flow that uses the names, e.g. `[lines => count, lines => store]`",
                ));
            }
        }
        let result: Flow = input.parse()?;
        if input.peek(Token![;]) {
            input.parse::<Token![;]>()?;
        }
        if !input.is_empty() {
            return Err(if input.peek(Token![,]) {
                input
                    .error("unexpected `,`: list several flows in brackets, `[a(..), b(..)] => ..`")
            } else {
                input.error("unexpected tokens after the pipeline: its last flow is its result")
            });
        }
        Ok(Pipeline { lets, result })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> syn::Result<Pipeline> {
        syn::parse_str(src)
    }

    fn error(src: &str) -> String {
        match parse(src) {
            Ok(_) => panic!("`{src}` parsed"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn shapes() {
        let g = parse("numbers(10) => square => total").unwrap();
        assert_eq!(g.result.elements.len(), 3);
        let g = parse("[a(1) => s, b(2, 3)] => t => [u, v => w => [x, y]]").unwrap();
        assert_eq!(g.result.elements.len(), 3);
        match &g.result.elements[0] {
            Element::List(list) => {
                assert_eq!(list.flows.len(), 2);
                assert_eq!(list.flows[0].elements.len(), 2);
            }
            Element::Stage(_) => panic!("expected a list"),
        }
        assert_eq!(parse("numbers(10)").unwrap().result.elements.len(), 1);
        assert!(parse("m::numbers(10) => m::total").is_ok());
        assert!(parse("a => [b, c] => d").is_ok());
        let g = parse(
            "n(10)[workers = 2] => h[workers = n + 1, buffer = 8, ordered, name = \"h\"] => t",
        )
        .unwrap();
        match &g.result.elements[1] {
            Element::Stage(s) => {
                let options = &s.options.as_ref().unwrap().1;
                assert!(options.ordered.is_some() && options.name.is_some());
            }
            Element::List(_) => panic!("expected a stage"),
        }
    }

    #[test]
    fn named_streams() {
        let g = parse("let a = n(3); let b = [a => s, a] => t; [b => c, a => d];").unwrap();
        assert_eq!(g.lets.len(), 2);
        assert_eq!(g.lets[1].name, "b");
        assert!(matches!(&g.result.elements[0], Element::List(l) if l.flows.len() == 2));
    }

    #[test]
    fn malformed_inputs_are_errors_not_panics() {
        assert!(error("").contains("expected a pipeline"));
        assert!(error("numbers(10) =>").contains("expected a stage name"));
        assert!(error("numbers(10) square").contains("expected `=>`"));
        assert!(error("[] => b").contains("an empty list"));
        assert!(error("a => []").contains("an empty list"));
        assert!(error("a, b => c").contains("unexpected `,`"));
        assert!(error("a(1 +) => b").contains("expected"));
        assert!(error("=> b").contains("expected a stage name"));
        assert!(
            error("a => b[colour = 1]").contains("unknown option `colour` where a stage is used")
        );
        assert!(error("a => b[workers = 1, workers = 2]").contains("`workers` is given twice"));
        assert!(error("a => b[workers = 0]").contains("at least 1"));
        assert!(error("let a = n(1) a => b").contains("or `;` after the flow"));
        assert!(error("let a = n(1);").contains("expected the pipeline after its `let`s"));
        assert!(error("let 3 = n(1); x").contains("expected a name"));
    }
}
