//! The typed view of a `pipeline!` input: a source, then stages joined by `=>`, with
//! `[..]` for fan-in (first) and broadcast (last).
//!
//! ```text
//! graph  := source ('=>' node)*
//! source := stage | '[' stage (',' stage)* ']'
//! node   := stage | '[' branch (',' branch)* ']'      a broadcast ends its chain
//! branch := stage ('=>' node)*
//! stage  := path ('(' expr,* ')')? ('[' option,* ']')?
//! option := ('workers' | 'buffer') '=' expr        overrides the attribute's
//! ```

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{bracketed, parenthesized, token, Expr, Ident, Path, Token};

/// A stage named in `pipeline!`, with the arguments written after it and the options
/// set where it is used (`hash[workers = n]`).
pub(crate) struct StageRef {
    pub path: Path,
    pub args: Option<(token::Paren, Punctuated<Expr, Token![,]>)>,
    pub options: Vec<(Ident, Expr)>,
}

/// `workers = expr` or `buffer = expr`.
struct UseOption(Ident, Expr);

impl Parse for UseOption {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key: Ident = input
            .parse()
            .map_err(|e| syn::Error::new(e.span(), "expected `workers = ..` or `buffer = ..`"))?;
        if key != "workers" && key != "buffer" {
            return Err(syn::Error::new(
                key.span(),
                format!("`{key}` cannot be set in `pipeline!`; valid here: `workers`, `buffer`"),
            ));
        }
        input.parse::<Token![=]>()?;
        Ok(UseOption(key, input.parse()?))
    }
}

pub(crate) enum Node {
    Stage(StageRef),
    Broadcast(Vec<Branch>),
}

/// A chain of stages after `=>`; only its last node may be a broadcast.
pub(crate) struct Branch {
    pub nodes: Vec<Node>,
}

pub(crate) struct Graph {
    pub sources: Vec<StageRef>,
    pub rest: Vec<Node>,
}

impl Parse for StageRef {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() || input.peek(Token![=>]) || input.peek(Token![,]) {
            return Err(input.error("expected a stage name, e.g. `parse` or `read(path)`"));
        }
        let path: Path = input.call(Path::parse_mod_style).map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a stage name, e.g. `parse` or `read(path)`",
            )
        })?;
        let args = if input.peek(token::Paren) {
            let content;
            let paren = parenthesized!(content in input);
            Some((paren, content.parse_terminated(Expr::parse, Token![,])?))
        } else {
            None
        };
        let mut options: Vec<(Ident, Expr)> = Vec::new();
        if input.peek(token::Bracket) {
            let content;
            bracketed!(content in input);
            for UseOption(key, value) in
                Punctuated::<UseOption, Token![,]>::parse_terminated(&content)?
            {
                if options.iter().any(|(k, _)| *k == key) {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("`{key}` is given twice"),
                    ));
                }
                options.push((key, value));
            }
        }
        Ok(StageRef {
            path,
            args,
            options,
        })
    }
}

/// Parses `('=>' node)*` until the end of `input`; a broadcast must come last.
fn parse_rest(input: ParseStream) -> syn::Result<Vec<Node>> {
    let mut nodes = Vec::new();
    while !input.is_empty() && !input.peek(Token![,]) {
        if let Some(Node::Broadcast(_)) = nodes.last() {
            return Err(input.error(
                "a broadcast `[..]` must end the pipeline: put what follows inside each branch",
            ));
        }
        input
            .parse::<Token![=>]>()
            .map_err(|e| syn::Error::new(e.span(), "expected `=>` between stages"))?;
        if input.peek(token::Bracket) {
            let content;
            bracketed!(content in input);
            let branches = Punctuated::<Branch, Token![,]>::parse_terminated(&content)?;
            if branches.is_empty() {
                return Err(content.error("a broadcast needs at least one branch"));
            }
            nodes.push(Node::Broadcast(branches.into_iter().collect()));
        } else {
            nodes.push(Node::Stage(input.parse()?));
        }
    }
    Ok(nodes)
}

impl Parse for Branch {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut nodes = vec![Node::Stage(input.parse()?)];
        nodes.extend(parse_rest(input)?);
        Ok(Branch { nodes })
    }
}

impl Parse for Graph {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input
                .error("expected a pipeline, e.g. `pipeline!(numbers(10) => square => total)`"));
        }
        let sources = if input.peek(token::Bracket) {
            let content;
            bracketed!(content in input);
            let list = Punctuated::<StageRef, Token![,]>::parse_terminated(&content)?;
            if list.is_empty() {
                return Err(content.error("a fan-in `[..]` needs at least one producer"));
            }
            list.into_iter().collect()
        } else {
            vec![input.parse()?]
        };
        let rest = parse_rest(input)?;
        if !input.is_empty() {
            return Err(
                input.error("unexpected `,`: list several producers as `[a(..), b(..)] => ..`")
            );
        }
        Ok(Graph { sources, rest })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> syn::Result<Graph> {
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
        assert_eq!((g.sources.len(), g.rest.len()), (1, 2));
        let g = parse("[a(1), b(2, 3)] => s => [t, u => v => [w, x]]").unwrap();
        assert_eq!(g.sources.len(), 2);
        match &g.rest[1] {
            Node::Broadcast(branches) => {
                assert_eq!(branches.len(), 2);
                assert_eq!(branches[1].nodes.len(), 3);
            }
            Node::Stage(_) => panic!("expected a broadcast"),
        }
        assert!(parse("numbers(10)").unwrap().rest.is_empty());
        assert!(parse("m::numbers(10) => m::total").is_ok());
        let g =
            parse("numbers(10)[workers = 2] => hash[workers = n + 1, buffer = 8] => t").unwrap();
        assert_eq!(g.sources[0].options.len(), 1);
        match &g.rest[0] {
            Node::Stage(s) => assert_eq!(s.options.len(), 2),
            Node::Broadcast(_) => panic!("expected a stage"),
        }
    }

    #[test]
    fn malformed_inputs_are_errors_not_panics() {
        assert!(error("").contains("expected a pipeline"));
        assert!(error("numbers(10) =>").contains("expected a stage name"));
        assert!(error("numbers(10) square").contains("expected `=>`"));
        assert!(error("a => [b, c] => d").contains("must end the pipeline"));
        assert!(error("[] => b").contains("at least one producer"));
        assert!(error("a => []").contains("at least one branch"));
        assert!(error("a, b => c").contains("unexpected `,`"));
        assert!(error("a(1 +) => b").contains("expected"));
        assert!(error("=> b").contains("expected a stage name"));
        assert!(error("a => b[name = \"x\"]").contains("`name` cannot be set in `pipeline!`"));
        assert!(error("a => b[workers = 1, workers = 2]").contains("`workers` is given twice"));
    }
}
