//! The shape of a pipeline (stages and the queues between them), known before it
//! runs, and its pictures in Graphviz DOT and Mermaid.

use crate::stats::{StageStats, Stats};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What a stage does with its input and output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    /// Yields items from its arguments alone.
    Producer,
    /// Maps its share of the input stream to a stream (`#[stage]`, stream form).
    Stream,
    /// Maps one item at a time (`#[stage]`, item form).
    Item,
    /// Drains its share of the input into a value.
    Consumer,
}

impl StageKind {
    fn word(self) -> &'static str {
        match self {
            StageKind::Producer => "producer",
            StageKind::Stream => "stream stage",
            StageKind::Item => "item stage",
            StageKind::Consumer => "consumer",
        }
    }
}

/// One stage of a [`Graph`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Unique within the process; [`StageStats::id`] refers to it.
    pub id: usize,
    /// The stage's name.
    pub name: String,
    /// What kind of stage it is.
    pub kind: StageKind,
    /// How many workers run it.
    pub workers: usize,
    /// Capacity of its input queue, in items; `None` for a producer.
    pub buffer: Option<usize>,
    /// Whether several workers keep the input order.
    pub ordered: bool,
    /// Whether its workers run in child processes (an isolated stage).
    pub isolated: bool,
    /// Whether its workers are processes fed through a broker (a remote stage).
    pub remote: bool,
}

/// A queue from one stage to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// The [`Node::id`] of the stage that feeds the queue.
    pub from: usize,
    /// The [`Node::id`] of the stage that reads it.
    pub to: usize,
    /// Whether `to` is one branch of a broadcast: it gets a copy of every item.
    pub broadcast: bool,
}

/// The stages of a pipeline and the queues between them. Several edges into one
/// stage are a fan-in; broadcast edges leave one stage for each branch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    /// The stages, upstream first.
    pub nodes: Vec<Node>,
    /// The queues.
    pub edges: Vec<Edge>,
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

impl Graph {
    pub(crate) fn new_id() -> usize {
        NEXT_ID.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn add(&mut self, node: Node, from: &[usize], broadcast: bool) {
        for &f in from {
            self.edges.push(Edge {
                from: f,
                to: node.id,
                broadcast,
            });
        }
        self.nodes.push(node);
    }

    /// Everything in `self` or `other`, once.
    pub(crate) fn union(mut self, other: &Graph) -> Graph {
        for node in &other.nodes {
            if !self.nodes.iter().any(|n| n.id == node.id) {
                self.nodes.push(node.clone());
            }
        }
        for edge in &other.edges {
            if !self.edges.contains(edge) {
                self.edges.push(*edge);
            }
        }
        self
    }

    /// The graph in Graphviz DOT, e.g. for `dot -Tsvg`.
    pub fn to_dot(&self) -> String {
        self.dot(None)
    }

    /// The graph as a Mermaid flowchart, e.g. for a Markdown file.
    pub fn to_mermaid(&self) -> String {
        self.mermaid(None)
    }

    pub(crate) fn dot(&self, stats: Option<&Stats>) -> String {
        let mut out = String::from("digraph pipeline {\n    rankdir=LR;\n    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
        for node in &self.nodes {
            let label = label(node, stats, "\\n").replace('"', "\\\"");
            let shape = match node.kind {
                StageKind::Producer | StageKind::Consumer => ", style=\"rounded,bold\"",
                _ => "",
            };
            let _ = writeln!(out, "    s{} [label=\"{label}\"{shape}];", node.id);
        }
        for edge in &self.edges {
            let attrs = match (edge.broadcast, self.queue_label(edge.to)) {
                (true, q) => format!(" [style=dashed, label=\"broadcast{q}\"]"),
                (false, q) if !q.is_empty() => {
                    format!(" [label=\"{}\"]", q.trim_start_matches(", "))
                }
                _ => String::new(),
            };
            let _ = writeln!(out, "    s{} -> s{}{attrs};", edge.from, edge.to);
        }
        out.push_str("}\n");
        out
    }

    pub(crate) fn mermaid(&self, stats: Option<&Stats>) -> String {
        let mut out = String::from("flowchart LR\n");
        for node in &self.nodes {
            let label = label(node, stats, "<br/>").replace('"', "#quot;");
            let _ = match node.kind {
                StageKind::Producer | StageKind::Consumer => {
                    writeln!(out, "    s{}([\"{label}\"])", node.id)
                }
                _ => writeln!(out, "    s{}[\"{label}\"]", node.id),
            };
        }
        for edge in &self.edges {
            let q = self.queue_label(edge.to);
            let arrow = match (edge.broadcast, q.is_empty()) {
                (true, _) => format!("-. \"broadcast{q}\" .->"),
                (false, true) => "-->".to_owned(),
                (false, false) => format!("-- \"{}\" -->", q.trim_start_matches(", ")),
            };
            let _ = writeln!(out, "    s{} {arrow} s{}", edge.from, edge.to);
        }
        out
    }

    fn queue_label(&self, to: usize) -> String {
        match self
            .nodes
            .iter()
            .find(|n| n.id == to)
            .and_then(|n| n.buffer)
        {
            Some(items) => format!(", queue {items}"),
            None => String::new(),
        }
    }
}

fn label(node: &Node, stats: Option<&Stats>, newline: &str) -> String {
    let mut label = format!(
        "{}{newline}{} ×{}",
        node.name,
        node.kind.word(),
        node.workers
    );
    if node.ordered {
        label.push_str(", ordered");
    }
    if node.isolated {
        label.push_str(", isolated");
    }
    if node.remote {
        label.push_str(", remote");
    }
    if let Some(stage) = stats.and_then(|s| s.stages.iter().find(|s| s.id == node.id)) {
        label.push_str(newline);
        label.push_str(&stats_label(stage));
    }
    label
}

fn stats_label(stage: &StageStats) -> String {
    let mut parts = Vec::new();
    if let Some(n) = stage.items_in {
        parts.push(format!("in {n}"));
    }
    if let Some(n) = stage.items_out {
        parts.push(format!("out {n}"));
    }
    parts.push(format!("busy {:.0}%", 100.0 * stage.busy_fraction()));
    if stage.isolated && stage.restarts > 0 {
        parts.push(format!(
            "restarts {}, skipped {}",
            stage.restarts,
            stage.skipped.len()
        ));
    }
    parts.join(", ")
}
